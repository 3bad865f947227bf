// What an experiment expects of a rule at its budget (`expect` on a rule entry, `quick.expect` by
// rule id for --quick): validated with the field named, recorded in experiment.json, never part
// of a trial; and progress lines that name a series by its label, as the report does.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SpecError, getRule } from '../../src/index.ts';
import { loadBuiltins } from '../../src/runner/execute.ts';
import { buildManifest } from '../../src/runner/manifest.ts';
import { Progress } from '../../src/runner/progress.ts';
import { runExperiment } from '../../src/runner/run.ts';
import { applyOverrides, expandTrials, validateSpec, type ExperimentSpec } from '../../src/runner/spec.ts';
import { quiet, tmp } from './helpers.ts';

const base = (): ExperimentSpec => ({
  name: 'expect',
  data: { name: 'blobs', train: 64, test: 16, classes: 3, features: 4 },
  model: { sizes: [4, 8, 3], activation: 'tanh' },
  optimizer: { name: 'sgd', lr: 0.1 },
  rules: ['backprop', { rule: 'feedback-alignment', grid: { variant: ['fa', 'usf'] } }, 'mezo'],
  seeds: [0],
  epochs: 1,
  batchSize: 8,
  quick: { epochs: 1, expect: { mezo: 'near-chance at this budget: one direction per step over all parameters' } },
});

const resolve = (s: ExperimentSpec, quick: boolean) => validateSpec(applyOverrides(s, { quick }), getRule);
const errorOf = (s: unknown, quick = false): string => {
  try {
    resolve(s as ExperimentSpec, quick);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    return (e as Error).message;
  }
  throw new Error('no SpecError');
};

beforeAll(() => loadBuiltins());

describe('a rule’s expectation at the budget', () => {
  it('--quick gives the named rule’s entry its quick expectation; without --quick it has none', () => {
    const quick = resolve(base(), true);
    expect(quick.rules.map((r) => r.expect ?? null)).toEqual([
      null,
      null,
      'near-chance at this budget: one direction per step over all parameters',
    ]);
    expect(resolve(base(), false).rules.every((r) => r.expect === undefined)).toBe(true);
    // --rules after --quick: the expectation follows its rule.
    const only = validateSpec(applyOverrides(base(), { quick: true, rules: ['mezo'] }), getRule);
    expect(only.rules.map((r) => r.expect)).toEqual([expect.stringMatching(/^near-chance/)]);
  });

  it('an entry’s own expectation is descriptive: the trials and their ids do not change', () => {
    const plain = base();
    const withExpect = {
      ...base(),
      rules: ['backprop', { rule: 'feedback-alignment', grid: { variant: ['fa', 'usf'] }, expect: 'slower than backprop' }, 'mezo'],
    };
    const ids = (s: ExperimentSpec, quick: boolean) => expandTrials(resolve(s, quick)).map((t) => t.id);
    expect(ids(withExpect, false)).toEqual(ids(plain, false));
    expect(ids(plain, true)).toEqual(ids(plain, false).map(() => expect.any(String)));
    expect(expandTrials(resolve(plain, true)).every((t) => !('expect' in t.config))).toBe(true);
  });

  it('experiment.json records the expectation with its rule entry', () => {
    const spec = resolve(base(), true);
    const m = buildManifest(spec, 'x.ts', expandTrials(spec), false, {});
    const rules = (m.spec as { rules: Array<{ rule: string; expect?: string }> }).rules;
    expect(rules.find((r) => r.rule === 'mezo')?.expect).toMatch(/^near-chance at this budget/);
    expect(rules.filter((r) => r.expect).length).toBe(1);
  });

  it('a rerun of the same trials brings a new expectation into the directory’s experiment.json', async () => {
    const dir = tmp('expect');
    const file = join(dir, 'spec.ts');
    const spec = { ...base(), data: { name: 'blobs', train: 32, test: 8, classes: 3, features: 4 }, rules: ['backprop', 'mezo'] };
    writeFileSync(file, `export default ${JSON.stringify(spec)};\n`);
    const out = join(dir, 'out');
    await runExperiment(file, { ...quiet, out, quick: true });
    const rulesIn = () =>
      (JSON.parse(readFileSync(join(out, 'experiment.json'), 'utf8')) as { spec: { rules: Array<{ rule: string; expect?: string }> } }).spec
        .rules;
    expect(rulesIn().find((r) => r.rule === 'mezo')?.expect).toMatch(/^near-chance/);
    // A second file: this process has the first one's module cached.
    const edited = join(dir, 'edited.ts');
    writeFileSync(edited, `export default ${JSON.stringify({ ...spec, quick: { epochs: 1, expect: { mezo: 'still near chance' } } })};\n`);
    await runExperiment(edited, { ...quiet, out, quick: true, resume: true });
    expect(rulesIn().find((r) => r.rule === 'mezo')?.expect).toBe('still near chance');
  });

  it('names the field of a bad expectation, with or without --quick', () => {
    expect(errorOf({ ...base(), rules: ['backprop', { rule: 'mezo', expect: 3 }] })).toMatch(/^rules\[1\]\.expect: expected a sentence/);
    expect(errorOf({ ...base(), rules: ['backprop', { rule: 'mezo', expect: '  ' }] })).toMatch(/^rules\[1\]\.expect: /);
    // A rule the experiment does not have: found on a run without --quick too.
    expect(errorOf({ ...base(), quick: { expect: { 'forward-gradient': 'near chance' } } })).toMatch(
      /^quick\.expect\.forward-gradient: no rule "forward-gradient" in the experiment; its rules: backprop, feedback-alignment, mezo/,
    );
    expect(errorOf({ ...base(), quick: { expect: { mezo: '' } } }, true)).toMatch(/^quick\.expect\.mezo: expected a sentence/);
    expect(errorOf({ ...base(), quick: { expect: ['mezo'] } })).toMatch(/^quick\.expect: expected an object/);
  });
});

describe('progress lines', () => {
  it('name each finished trial by its series label, not its options’ JSON', async () => {
    const lines: string[] = [];
    const out = tmp('progress');
    await runExperiment(join('test/runner/fixtures/tiny-experiment.ts'), { ...quiet, out, log: (s) => lines.push(s) });
    const done = lines
      .join('')
      .split('\n')
      .filter((l) => / seed \d: done/.test(l));
    expect(done.length).toBe(6);
    expect(done.some((l) => l.startsWith('feedback-alignment variant=usf seed 0: done'))).toBe(true);
    expect(done.some((l) => l.startsWith('backprop seed 1: done'))).toBe(true);
    for (const l of done) expect(l, l).not.toMatch(/[{}]/);
  });

  it('fall back to the rule id for a trial without a label', () => {
    const lines: string[] = [];
    const p = new Progress(2, (s) => lines.push(s), false, new Map([['a', 'x k=1']]));
    const summary = { type: 'summary', rule: 'x', options: { k: 1 }, seed: 0, status: 'done', finalTestAcc: 0.5, error: null } as never;
    p.record('a', summary);
    p.record('b', summary);
    expect(lines.filter((l) => l.includes(': done'))).toEqual([
      'x k=1 seed 0: done, test acc 0.5000\n',
      'x seed 0: done, test acc 0.5000\n',
    ]);
  });
});
