// Equal-compute budgets: a trial stops before the step that would overspend its forward-pass or
// wall-time budget, says so (stoppedBy), records what it spent, and a resumed trial stops where an
// uninterrupted one does. (Bad budgets: spec.test.ts and integrity.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backprop } from '../../algorithms/backprop.ts';
import { evolutionStrategies } from '../../algorithms/evolution-strategies.ts';
import { mezo } from '../../algorithms/mezo.ts';
import { rng } from '../../src/random.ts';
import type { AnyRule } from '../../src/rules/rule.ts';
import { readCheckpoint, writeCheckpoint } from '../../src/runner/checkpoint.ts';
import { standardObservers, trainLoop, Training } from '../../src/runner/loop.ts';
import { startingParams } from '../../src/runner/param-files.ts';
import { prepareTrial, runTrial, type EvalRecord, type SummaryRecord, type TrialConfig, type TrialRecord } from '../../src/runner/trial.ts';

const config = (over: Partial<TrialConfig> = {}): TrialConfig => ({
  experiment: 'budget-test',
  rule: 'backprop',
  options: {},
  seed: 3,
  data: { name: 'blobs', train: 80, test: 16, classes: 3, features: 5 },
  model: { sizes: [5, 8, 3], activation: 'tanh' },
  optimizer: { name: 'sgd', lr: 0.05 },
  batchSize: 16,
  // 5 steps an epoch: far more than any budget below lets a rule run.
  epochs: 40,
  maxSteps: 0,
  evalEvery: 4,
  alignEvery: 0,
  alignSamples: 4,
  memory: false,
  debug: false,
  ...over,
});

const trial = (rule: AnyRule, over: Partial<TrialConfig>) => {
  const recs: TrialRecord[] = [];
  const summary = runTrial(config({ rule: rule.id, ...over }), rule.id, rule, (r) => recs.push(r));
  return { summary, evals: recs.filter((r): r is EvalRecord => r.type === 'eval') };
};

/** Backprop's step on the 5-8-3 net, in forward-pass equivalents (a binary fraction: sums of it are exact). */
const BP = 2 + 24 / 64;

describe('a forwardPasses budget', () => {
  // Per step: backprop 2 + the share of the 5-8-3 net's forward above its first layer (24 of 64
  // multiply-adds), its input VJP; MeZO (one sample) 2; ES with a population of 6: 6.
  const rules: Array<[AnyRule, Record<string, number>, number]> = [
    [backprop as AnyRule, {}, BP],
    [mezo as AnyRule, {}, 2],
    [evolutionStrategies as AnyRule, { population: 6 }, 6],
  ];

  it.each([60, 61, 65])('each rule stops before the step that would overspend %d: steps ∝ 1 / its cost per step', (budget) => {
    for (const [rule, options, perStep] of rules) {
      const { summary, evals } = trial(rule, { options, budget: { forwardPasses: budget } });
      const steps = Math.floor(budget / perStep);
      expect(summary.status, rule.id).toBe('done');
      expect(summary.steps, rule.id).toBe(steps);
      expect(summary.stoppedBy).toBe('budget.forwardPasses');
      expect(summary.cost).toEqual({ forwardPasses: steps * perStep, forwardPassesPerStep: perStep });
      // The last evaluation is where it stopped, with what had been spent by then; each eval's cost is cumulative.
      const last = evals[evals.length - 1];
      expect(last.step).toBe(steps);
      expect(last.cost).toEqual({ forwardPasses: steps * perStep });
      for (const e of evals) expect(e.cost).toEqual({ forwardPasses: e.step * perStep });
    }
  });

  it('without a budget, the epochs end training and the cost is still counted', () => {
    const { summary } = trial(backprop as AnyRule, { epochs: 2 });
    expect(summary.steps).toBe(10);
    expect(summary.stoppedBy).toBe('epochs');
    expect(summary.cost).toEqual({ forwardPasses: 10 * BP, forwardPassesPerStep: BP });
    expect(trial(backprop as AnyRule, { maxSteps: 7 }).summary.stoppedBy).toBe('maxSteps');
  });

  it('a resumed trial stops at the same step with the same records as an uninterrupted one', () => {
    const c = config({ budget: { forwardPasses: 40 } });
    const straight: TrialRecord[] = [];
    runTrial(c, 'b', backprop as AnyRule, (r) => straight.push(r));
    const dir = mkdtempSync(join(tmpdir(), 'rulebench-budget-'));
    try {
      const path = join(dir, 'trial.ckpt');
      const before: TrialRecord[] = [];
      let saves = 0;
      expect(() =>
        runTrial(c, 'b', backprop as AnyRule, (r) => before.push(r), {
          resume: null,
          save: (s) => {
            writeCheckpoint(path, 'b', before.length, s);
            if (++saves === 2) throw new Error('stop');
          },
        }),
      ).toThrow('stop');
      const ckpt = readCheckpoint(path)!;
      const after: TrialRecord[] = [];
      runTrial(c, 'b', backprop as AnyRule, (r) => after.push(r), { resume: ckpt, save: () => {} });
      const strip = (r: TrialRecord) => JSON.stringify({ ...r, host: null });
      expect([...before.slice(0, ckpt.recordsBytes), ...after].map(strip)).toEqual(straight.map(strip));
      expect((after[after.length - 1] as SummaryRecord).steps).toBe(Math.floor(40 / BP));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a wallSeconds budget', () => {
  it('stops before the step that would take the steps past it (a fake clock: every step takes 10 ms)', () => {
    const c = config({ budget: { wallSeconds: 0.095 } });
    const data = prepareTrial(c);
    const { params, buffers } = startingParams(c, { seed: 3, rule: 'backprop' }, data.model, data.train, rng(3).child('init'));
    const t = new Training(c, 'wall', backprop as AnyRule, data, params, buffers);
    // Each reading moves the clock 10 ms: a step reads it before and after itself, 10 ms apart.
    let clock = 0;
    const host = { now: () => (clock += 10) };
    const recs: TrialRecord[] = [];
    const summary = trainLoop(t, standardObservers(t, host), (r) => recs.push(r));
    // After 9 steps, 90 ms: a 10th would end at 100 > 95.
    expect(summary.steps).toBe(9);
    expect(summary.stoppedBy).toBe('budget.wallSeconds');
    expect(summary.host.stepMs).toBe(90);
    expect(summary.cost).toEqual({ forwardPasses: 9 * BP, forwardPassesPerStep: BP });
  });
});
