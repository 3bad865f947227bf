// Search spaces and presets as rules declare them and specs use them: declarations checked at
// registration, an entry's space is the rule's minus what it fixes, presets resolved (PEPITA's
// schedule in its run's epochs), and the tune block validated field by field.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBuiltins } from '../../../src/runner/execute.ts';
import { getRule, listRules, registerRule } from '../../../src/rules/registry.ts';
import { validateSpec, type ExperimentSpec } from '../../../src/runner/spec.ts';
import { planTuning } from '../../../src/runner/tune/plan.ts';
import { tuneExperiment } from '../../../src/runner/tune/run-tune.ts';
import { SpecError } from '../../../src/errors.ts';

await loadBuiltins();

const base: ExperimentSpec = {
  name: 'spaces',
  data: { name: 'blobs', train: 200, test: 50, features: 4, classes: 3, validation: 40 },
  model: { sizes: [4, 8, 3] },
  optimizer: { name: 'sgd', lr: 0.1 },
  rules: ['backprop'],
  seeds: [0],
  epochs: 2,
  batchSize: 16,
};
const spec = (o: Partial<ExperimentSpec>) => validateSpec({ ...base, ...o }, getRule, { stepsPerEpoch: () => 10 });
const stub = { description: 'x', init: () => null, step: () => ({ updates: [], state: null, loss: 0, metrics: {} }) };

describe('search spaces and presets', () => {
  it('every built-in rule with options worth tuning declares a space; paper presets for PEPITA, Kolen-Pollack, forward gradients', () => {
    const withSpace = listRules()
      .filter((r) => r.search && Object.keys(r.search).length)
      .map((r) => r.id);
    for (const id of [
      'pepita',
      'kolen-pollack',
      'forward-gradient',
      'mezo',
      'direct-feedback-alignment',
      'predictive-coding',
      'weight-mirroring',
      'target-propagation',
    ])
      expect(withSpace).toContain(id);
    for (const id of ['pepita', 'kolen-pollack', 'forward-gradient']) expect(getRule(id).presets?.paper?.source).toMatch(/\d{4}/);
  });

  it('refuses a malformed declaration when the rule is registered, naming rule and option', () => {
    const bad = (search: unknown, presets?: unknown) => () =>
      registerRule({
        ...stub,
        id: `bad-${Math.random().toString(36).slice(2, 8)}`,
        defaults: { lr: 0.1, kind: 'a' },
        choices: { kind: ['a', 'b'] },
        search,
        presets,
      } as never);
    expect(bad({ nope: { float: [0, 1] } })).toThrow(/search\.nope names no option/);
    expect(bad({ lr: { float: [0, 1], log: true } })).toThrow(/search\.lr\.float: a log range needs low > 0/);
    expect(bad({ lr: { float: [2, 1] } })).toThrow(/low ≤ high/);
    expect(bad({ kind: { choice: ['a', 'z'] } })).toThrow(/"z" is not accepted; choices: a, b/);
    expect(bad({ kind: { float: [0, 1] } })).toThrow(/numeric range for an option whose default is "a"/);
    expect(bad({ lr: { float: [0.1, 1], int: [1, 2] } })).toThrow(/exactly one of float, int or choice/);
    expect(bad(undefined, { paper: { options: { lr: 1 } } })).toThrow(/presets\.paper: .*source/);
    expect(bad(undefined, { paper: { source: 'x', optimiser: {} } })).toThrow(/presets\.paper\.optimiser: unknown key/);
  });

  it("an entry's space is the rule's minus the options its entry, preset or grid fixes; its own optimizer fixes the optimizer", () => {
    const s = spec({
      rules: [
        { rule: 'mezo', options: { eps: 1e-3 } },
        { rule: 'kolen-pollack', grid: { coupled: [true, false] } },
        { rule: 'pepita', optimizer: { name: 'sgd', lr: 0.01 } },
      ],
    });
    const plan = planTuning(s, 10, { budget: 5 });
    expect(plan.units.map((u) => u.key)).toEqual(['mezo eps=0.001', 'kolen-pollack coupled=true', 'kolen-pollack coupled=false', 'pepita']);
    expect(plan.units[0].space.map(([k]) => k)).toEqual(['samples', 'momentum']);
    expect(plan.units[1].space.map(([k]) => k)).toEqual(['lr', 'decay']);
    // The family coordinate is stratified: 5 draws give each of the 2 families 2 or 3.
    for (const u of plan.units.slice(0, 3))
      for (const f of ['adam', 'momentum']) expect(u.configs.filter((c) => c.optimizer.name === f).length).toBeGreaterThanOrEqual(2);
    expect(plan.units[3].configs.every((c) => c.optimizer.name === 'sgd' && c.optimizer.lr === 0.01)).toBe(true);
    // One sequence: configuration i draws the same optimizer for every entry that tunes it.
    expect(plan.units[0].configs.map((c) => c.optimizer)).toEqual(plan.units[1].configs.map((c) => c.optimizer));
    for (const c of plan.units[0].configs) {
      expect(Number.isInteger(c.options.samples) && (c.options.samples as number) >= 1 && (c.options.samples as number) <= 8).toBe(true);
      expect(c.options.momentum as number).toBeLessThanOrEqual(0.95);
    }
    expect(plan.rungs.map((r) => r.steps)).toEqual([2, 7, 20]);
  });

  it("a preset's options sit under the entry's; its optimizer's schedule is in the run's epochs; conflicts and unknown presets are named", () => {
    const s = spec({
      rules: [
        { rule: 'pepita', preset: 'paper' },
        { rule: 'kolen-pollack', preset: 'paper', options: { decay: 0.5 } },
      ],
    });
    // The authors' decay at epochs 60 and 90, in this spec's steps (10 per epoch).
    expect(s.rules[0].optimizer).toEqual({
      name: 'momentum',
      lr: 0.01,
      momentum: 0.9,
      schedule: { kind: 'multistep', milestones: [600, 900], gamma: 0.1 },
    });
    expect(s.rules[1].options).toEqual({ decay: 0.5, coupled: true });
    expect(s.rules[1].optimizer).toEqual({ name: 'sgd', lr: 0.3 });
    expect(() => spec({ rules: [{ rule: 'pepita', preset: 'papr' }] })).toThrow(
      /rules\[0\]\.preset: rule "pepita" has no preset "papr"; its presets: paper/,
    );
    expect(() => spec({ rules: [{ rule: 'backprop', preset: 'paper' }] })).toThrow(/its presets: \(none\)/);
    expect(() => spec({ rules: [{ rule: 'pepita', preset: 'paper', optimizer: { name: 'adam', lr: 1e-3 } }] })).toThrow(
      /rules\[0\]\.optimizer: preset "paper" of rule "pepita" sets the optimizer/,
    );
  });

  it('validates the tune block, naming the field', () => {
    const bad = (tune: unknown) => () => spec({ tune: tune as never });
    expect(bad({ budjet: 3 })).toThrow(/tune\.budjet: unknown key/);
    expect(bad({ budget: 0 })).toThrow(/tune\.budget: expected an integer/);
    expect(bad({ halving: { eta: 1 } })).toThrow(/tune\.halving\.eta/);
    expect(bad({ halving: { unit: 'minutes' } })).toThrow(/tune\.halving\.unit: expected 'steps' or 'epochs'/);
    expect(bad({ optimizers: [{ name: 'adam', lr: 1e-3 }] })).toThrow(/tune\.optimizers\[0\]\.lr: expected the learning rate's log range/);
    expect(bad({ optimizers: [{ name: 'adamm', lr: [1e-4, 1e-2] }] })).toThrow(/tune\.optimizers\[0\]\.name: unknown optimizer "adamm"/);
    expect(bad({ optimizers: [{ name: 'adam', lr: [1e-4, 1e-2], beta3: 1 }] })).toThrow(
      /tune\.optimizers\[0\]: optimizer adam: unknown field "beta3"/,
    );
    expect(bad({ metric: 'testAcc' })).toThrow(/tune\.metric: expected 'valAcc' or 'valLoss'/);
    expect(bad({ seeds: [1, 1] })).toThrow(/tune\.seeds: duplicates/);
  });

  it('refuses to tune without a validation split, or on the test split, naming data.validation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rulebench-tune-'));
    const file = join(dir, 'on-test.ts');
    writeFileSync(
      file,
      `import { defineExperiment } from '${resolve('src/index.ts')}';\nexport default defineExperiment(${JSON.stringify({ ...base, data: { ...base.data, validation: 'test' } })});\n`,
    );
    for (const [path, says] of [
      ['test/runner/fixtures/slow-experiment.ts', 'has none'],
      [file, "has 'test'"],
    ]) {
      const err = await tuneExperiment(path, { out: join(dir, 'out'), workers: 1, log: () => {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SpecError);
      expect((err as Error).message).toMatch(/^data\.validation: tuning scores configurations on a validation split/);
      expect((err as Error).message).toContain(says);
    }
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
