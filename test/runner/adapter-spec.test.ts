// `adapters` and `distill` in experiment specs: per entry or for the whole experiment (an entry's
// false opts out), validated with the field named, in the trials' configs only where set (the ids of
// other trials stay), and named in series labels.
import { beforeAll, describe, expect, it } from 'vitest';
import { getRule } from '../../src/index.ts';
import { loadBuiltins } from '../../src/runner/execute.ts';
import { manifestRule } from '../../src/runner/manifest.ts';
import { labelSeries } from '../../src/runner/series-label.ts';
import { expandTrials, validateSpec, type ExperimentSpec } from '../../src/runner/spec.ts';

const LORA = { kind: 'lora', rank: 4 } as const;
const TEACHER = { teacher: { model: { sizes: [4, 8, 3] }, params: 'teacher.json' }, temperature: 4, weight: 0.9 };
const base = (): ExperimentSpec => ({
  name: 'ok',
  data: { name: 'blobs', train: 64, test: 16, classes: 3, features: 4 },
  model: { sizes: [4, 8, 3], activation: 'tanh' },
  optimizer: { name: 'sgd', lr: 0.1 },
  rules: ['backprop', { rule: 'backprop', adapters: LORA }],
  seeds: [0],
  epochs: 1,
  batchSize: 8,
});

beforeAll(() => loadBuiltins());

describe('adapters and distill in specs', () => {
  it('an entry with adapters is its own trial, the other keeps the id it had without the field', () => {
    const trials = expandTrials(validateSpec(base(), getRule));
    const plain = expandTrials(validateSpec({ ...base(), rules: ['backprop'] }, getRule));
    expect(trials[0].id).toBe(plain[0].id);
    expect(trials[1].config.adapters).toEqual(LORA);
    expect(trials[1].id).not.toBe(trials[0].id);
  });

  it('bad values name the entry and field', () => {
    const bad = { ...base(), rules: [{ rule: 'backprop', adapters: { kind: 'lora', rank: 1.5 } }] } as unknown as ExperimentSpec;
    expect(() => validateSpec(bad, getRule)).toThrow(/^rules\[0\]\.adapters\.rank: expected an integer ≥ 1, got 1\.5$/);
    const d = { ...base(), distill: { ...TEACHER, temperature: -1 } } as ExperimentSpec;
    expect(() => validateSpec(d, getRule)).toThrow(/^distill\.temperature: expected a positive number, got -1$/);
  });

  it("an entry's distill without a teacher takes the experiment's, at its own temperature and weight", () => {
    const spec = validateSpec(
      {
        ...base(),
        distill: TEACHER,
        rules: [{ rule: 'backprop', distill: { temperature: 2, weight: 0.5 } }, 'backprop'],
      } as ExperimentSpec,
      getRule,
    );
    expect(expandTrials(spec).map((t) => t.config.distill)).toEqual([{ teacher: TEACHER.teacher, temperature: 2, weight: 0.5 }, TEACHER]);
    const none = { ...base(), rules: [{ rule: 'backprop', distill: { temperature: 2, weight: 0.5 } }] } as ExperimentSpec;
    expect(() => validateSpec(none, getRule)).toThrow(/^rules\[0\]\.distill\.teacher: missing, and the experiment has no distill/);
    const bad = { ...base(), distill: TEACHER, rules: [{ rule: 'backprop', distill: { temperature: 0, weight: 0.5 } }] } as ExperimentSpec;
    expect(() => validateSpec(bad, getRule)).toThrow(/^rules\[0\]\.distill\.temperature: expected a positive number, got 0$/);
  });

  it("the experiment's distill reaches every entry but those with distill: false, and labels say which", () => {
    const spec = validateSpec(
      { ...base(), distill: TEACHER, rules: [{ rule: 'backprop', distill: false }, 'backprop'] } as ExperimentSpec,
      getRule,
    );
    const trials = expandTrials(spec);
    expect(trials.map((t) => t.config.distill)).toEqual([undefined, TEACHER]);
    const rules = spec.rules.map(manifestRule);
    const labels = labelSeries(
      trials.map((t) => ({ rule: t.config.rule, options: t.config.options, entry: rules[t.entry!] })),
      rules,
    );
    expect(labels).toEqual(['backprop', 'backprop (distilled T=4 w=0.9)']);
    const lora = validateSpec(base(), getRule).rules.map(manifestRule);
    expect(
      labelSeries(
        lora.map((r) => ({ rule: r.rule, options: r.options, entry: r })),
        lora,
      ),
    ).toEqual(['backprop', 'backprop (lora r=4)']);
  });
});
