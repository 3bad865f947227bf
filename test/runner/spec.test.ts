// Spec validation: every kind of bad spec gets a SpecError naming the field (and accepted
// values), and a fuzz of malformed specs never crashes or hangs.
import { beforeAll, describe, expect, it } from 'vitest';
import { SpecError, getRule, rng } from '../../src/index.ts';
import { loadBuiltins } from '../../src/runner/execute.ts';
import { parseShard, shard } from '../../src/runner/shard.ts';
import { expandTrials, validateSpec, type ExperimentSpec } from '../../src/runner/spec.ts';

const base = (): ExperimentSpec => ({
  name: 'ok',
  data: { name: 'blobs', train: 64, test: 16, classes: 3, features: 4 },
  model: { sizes: [4, 8, 3], activation: 'tanh' },
  optimizer: { name: 'sgd', lr: 0.1 },
  rules: ['backprop', { rule: 'feedback-alignment', grid: { variant: ['fa', 'usf'] } }],
  seeds: [0, 1],
  epochs: 1,
  batchSize: 8,
});

beforeAll(() => loadBuiltins());

function errorOf(mutate: (s: Record<string, unknown>) => void): string {
  const s = base() as unknown as Record<string, unknown>;
  mutate(s);
  try {
    validateSpec(s, getRule);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    return (e as Error).message;
  }
  throw new Error('no SpecError');
}

describe('spec validation', () => {
  it('accepts a good spec and expands rules × grid × seeds with stable ids', () => {
    const t = expandTrials(validateSpec(base(), getRule));
    expect(t).toHaveLength(6);
    expect(new Set(t.map((x) => x.id)).size).toBe(6);
    expect(expandTrials(validateSpec(base(), getRule)).map((x) => x.id)).toEqual(t.map((x) => x.id));
  });

  const CASES: Array<[string, (s: Record<string, unknown>) => void, RegExp]> = [
    ['unknown top-level key', (s) => (s.epoch = 3), /spec\.epoch: unknown key; accepted keys: .*epochs/],
    ['wrong type', (s) => (s.epochs = '3'), /epochs: expected an integer/],
    ['negative size', (s) => (s.batchSize = -1), /batchSize: expected an integer in \[1/],
    ['huge size', (s) => (s.epochs = 1e12), /epochs: expected an integer/],
    ['missing field', (s) => delete s.model, /model: expected an object/],
    ['unknown dataset', (s) => (s.data = { name: 'cifar' }), /data\.name: unknown dataset "cifar"; accepted: mnist, fashion-mnist/],
    ['unknown data key', (s) => (s.data = { name: 'blobs', trian: 5 }), /data\.trian: unknown key/],
    ['impossible model shape', (s) => (s.model = { sizes: [4] }), /model\.sizes/],
    ['zero width', (s) => (s.model = { sizes: [4, 0, 3] }), /model\.sizes\[1\]/],
    ['unknown activation', (s) => (s.model = { sizes: [4, 3], activation: 'swoosh(' }), /model\.activation|activation/],
    [
      'unknown optimizer',
      (s) => (s.optimizer = { name: 'adagrad', lr: 1 }),
      /optimizer\.name: unknown optimizer "adagrad"; accepted: sgd, momentum, rmsprop, adam, adamw/,
    ],
    ['NaN hyperparameter', (s) => (s.optimizer = { name: 'sgd', lr: NaN }), /optimizer.*lr/],
    ['empty rules', (s) => (s.rules = []), /rules: expected a non-empty array/],
    ['unknown rule id', (s) => (s.rules = ['backprob']), /rules\[0\]\.rule: rule "backprob" is unknown; registered rules: .*backprop/],
    [
      'a rule object where an entry belongs',
      (s) => (s.rules = ['backprop', getRule('feedback-alignment')]),
      /^rules\[1\]: rule "feedback-alignment" is a rule object, not a rule entry; write \{ rule: <the rule> \}/,
    ],
    [
      'unknown rule option',
      (s) => (s.rules = [{ rule: 'feedback-alignment', options: { varient: 'fa' } }]),
      /rules\[0\]\.options\.varient: rule "feedback-alignment" has no option "varient"; its options: variant/,
    ],
    [
      'bad option choice',
      (s) => (s.rules = [{ rule: 'feedback-alignment', grid: { variant: ['fa', 'xx'] } }]),
      /rules\[0\]\.grid\.variant: "xx" is not accepted; choices: fa, usf, brsf, frsf/,
    ],
    [
      'wrong option type',
      (s) => (s.rules = [{ rule: 'direct-feedback-alignment', options: { scale: 'big' } }]),
      /options\.scale: expected a finite number/,
    ],
    [
      'empty grid',
      (s) => (s.rules = [{ rule: 'feedback-alignment', grid: { variant: [] } }]),
      /rules\[0\]\.grid\.variant: expected a non-empty array/,
    ],
    ['empty seeds', (s) => (s.seeds = []), /seeds: expected a non-empty array/],
    ['duplicate seeds', (s) => (s.seeds = [1, 1]), /seeds: duplicates/],
    ['bad rule object', (s) => (s.rules = [{ rule: { id: 'x' } }]), /rules\[0\]\.rule: expected a rule id/],
    [
      'budget with both keys',
      (s) => (s.budget = { forwardPasses: 10, wallSeconds: 1 }),
      /^budget: expected one of forwardPasses or wallSeconds, got forwardPasses and wallSeconds$/,
    ],
    ['empty budget', (s) => (s.budget = {}), /^budget: expected one of forwardPasses or wallSeconds, got neither$/],
    ['negative budget', (s) => (s.budget = { forwardPasses: -5 }), /^budget\.forwardPasses: expected a finite number > 0, got -5$/],
    ['zero budget', (s) => (s.budget = { wallSeconds: 0 }), /^budget\.wallSeconds: expected a finite number > 0, got 0$/],
    ['non-number budget', (s) => (s.budget = { wallSeconds: '60' }), /^budget\.wallSeconds: expected a finite number > 0, got "60"$/],
    [
      'infinite budget',
      (s) => (s.budget = { forwardPasses: Infinity }),
      /^budget\.forwardPasses: expected a finite number > 0, got Infinity$/,
    ],
    [
      'misnamed budget key',
      (s) => (s.budget = { forwardpasses: 10 }),
      /^budget\.forwardpasses: unknown key; a budget is \{ forwardPasses: N \} or \{ wallSeconds: S \}$/,
    ],
    ['budget not an object', (s) => (s.budget = 100), /^budget: expected \{ forwardPasses: N \} or \{ wallSeconds: S \}, got 100$/],
    [
      'bad budget on a rule entry',
      (s) => (s.rules = ['backprop', { rule: 'mezo', budget: { forwardPasses: NaN } }]),
      /^rules\[1\]\.budget\.forwardPasses: expected a finite number > 0, got NaN$/,
    ],
  ];
  for (const [what, mutate, message] of CASES) {
    it(`${what}: SpecError naming the field`, () => expect(errorOf(mutate)).toMatch(message));
  }

  it("a budget reaches every trial, an entry's own winning over the experiment's, and leaves unbudgeted trial ids as they were", () => {
    const plain = expandTrials(validateSpec(base(), getRule));
    const spec = { ...base(), budget: { forwardPasses: 600 }, rules: ['backprop', { rule: 'mezo', budget: { wallSeconds: 2 } }] };
    const trials = expandTrials(validateSpec(spec, getRule));
    expect(trials.map((t) => [t.config.rule, t.config.budget])).toEqual([
      ['backprop', { forwardPasses: 600 }],
      ['backprop', { forwardPasses: 600 }],
      ['mezo', { wallSeconds: 2 }],
      ['mezo', { wallSeconds: 2 }],
    ]);
    expect(plain.every((t) => !('budget' in t.config))).toBe(true);
    expect(trials[0].id).not.toBe(plain[0].id);
  });

  it('shards are disjoint and cover every trial; bad --shard is named', () => {
    const xs = Array.from({ length: 10 }, (_, i) => i);
    const parts = [0, 1, 2].map((i) => shard(xs, i, 3));
    expect(parts.flat().sort((a, b) => a - b)).toEqual(xs);
    expect(() => parseShard('3/3')).toThrow(/--shard/);
    expect(parseShard('1/4')).toEqual({ index: 1, count: 4 });
  });

  it('fuzz: 1,500 malformed specs each give a SpecError naming a field, never a crash', () => {
    const r = rng('fuzz');
    const junk = [NaN, Infinity, -1, 0, 1e15, 2.5, '', 'x', null, undefined, [], {}, [1, 'a'], true, { name: 'x' }, () => 1];
    const pick = <T>(xs: readonly T[]) => xs[r.int(xs.length)];
    const paths: string[][] = [
      ['name'],
      ['data'],
      ['data', 'name'],
      ['data', 'train'],
      ['data', 'validation'],
      ['data', 'spread'],
      ['model'],
      ['model', 'sizes'],
      ['model', 'activation'],
      ['model', 'dropout'],
      ['model', 'init'],
      ['optimizer'],
      ['optimizer', 'name'],
      ['optimizer', 'lr'],
      ['rules'],
      ['rules', '0'],
      ['rules', '1', 'grid'],
      ['rules', '1', 'grid', 'variant'],
      ['seeds'],
      ['seeds', '0'],
      ['epochs'],
      ['batchSize'],
      ['maxSteps'],
      ['alignEvery'],
      ['memory'],
      ['references'],
      ['bogus'],
    ];
    let n = 0;
    for (let i = 0; i < 1500; i++) {
      const s = JSON.parse(JSON.stringify(base())) as Record<string, unknown>;
      const path = pick(paths);
      let o = s as Record<string, unknown>;
      for (const k of path.slice(0, -1)) {
        if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
        o = o[k] as Record<string, unknown>;
      }
      const v = pick(junk);
      if (v === undefined) delete o[path[path.length - 1]];
      else o[path[path.length - 1]] = v;
      try {
        validateSpec(s, getRule);
        // A few mutations happen to be valid (e.g. memory: true): fine.
      } catch (e) {
        expect(e, `${path.join('.')} = ${String(v)}`).toBeInstanceOf(SpecError);
        expect((e as Error).message.length).toBeGreaterThan(10);
        n++;
      }
    }
    expect(n).toBeGreaterThan(1000);
  });
});
