// Evolution strategies and CMA-ES: rank shaping makes ES blind to monotone transforms of the
// objective; CMA-ES adapts its step size and a per-coordinate covariance; both train on the
// classification error itself, where backprop cannot run at all.
import { describe, expect, it } from 'vitest';
import { backprop } from '../../algorithms/backprop.ts';
import { cmaConstants, cmaEs } from '../../algorithms/cma-es.ts';
import { evolutionStrategies } from '../../algorithms/evolution-strategies.ts';
import {
  blobs,
  buildModel,
  centeredRanks,
  classification,
  classificationError,
  exp,
  fromArray,
  materialize,
  noGrad,
  regression,
  rng,
  ruleContext,
  SpecError,
  withObjective,
  valueAndGrad,
  type AnyRule,
  type Batch,
  type Task,
  type Tensor,
} from '../../src/index.ts';
import { runTrial, type EvalRecord, type TrialConfig } from '../../src/runner/trial.ts';

describe('centered ranks', () => {
  it('map the lowest to −0.5 and the highest to 0.5, ties sharing their mean rank', () => {
    expect(centeredRanks([3, 1, 2])).toEqual([0.5, -0.5, 0]);
    expect(centeredRanks([1, 1, 2, 0])).toEqual([0, 0, 0.5, -0.5]);
  });
});

describe('evolution strategies', () => {
  const model = buildModel({ sizes: [6, 8, 3], activation: 'tanh', init: 'xavierUniform' });
  const params = model.init(rng(0).child('init'));
  const ds = blobs(32, 3, 6, 0.8, rng(0).child('data'));
  const batch: Batch = { x: fromArray(ds.x, [ds.n, ds.features]), labels: ds.y, size: ds.n };
  const step = (task: Task, options = {}) =>
    materialize(
      evolutionStrategies.step(
        ruleContext({ model, task, params, rule: evolutionStrategies as AnyRule, options, rng: rng(4), dropout: rng(5), step: 3 }) as never,
        null,
        batch,
      ).updates,
    );

  it('with centered ranks, a monotone transform of the objective leaves the update unchanged; without, it does not', () => {
    const ce = classification(3);
    const expCe: Task = { ...ce, loss: (out, b) => exp(ce.loss(out, b)) };
    const a = step(ce);
    const b = step(expCe);
    a.forEach((u, i) => expect(Array.from(u.data)).toEqual(Array.from(b[i].data)));
    const raw = step(expCe, { shaping: 'none' });
    expect(Array.from(raw[0].data)).not.toEqual(Array.from(step(ce, { shaping: 'none' })[0].data));
  });

  it('refuses an odd population (its samples come in mirrored pairs)', () => {
    const ctx = ruleContext({
      model,
      task: classification(3),
      params,
      rule: evolutionStrategies as AnyRule,
      options: { population: 5 },
      rng: rng(4),
      dropout: rng(5),
      step: -1,
    });
    expect(() => evolutionStrategies.check!(ctx as never)).toThrow(/population must be an even integer/);
  });
});

describe('cma-es', () => {
  it('has Hansen’s default population and positive, decreasing recombination weights summing to 1', () => {
    const c = cmaConstants(10, 0);
    expect(c.lambda).toBe(10);
    expect(c.mu).toBe(5);
    expect(c.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (let i = 1; i < c.mu; i++) expect(c.weights[i]).toBeLessThan(c.weights[i - 1]);
    expect(c.c1 + c.cmu).toBeLessThanOrEqual(1);
  });

  it('adapts: on a badly scaled linear regression its covariance learns the scales and its step size shrinks as it converges', () => {
    const model = buildModel({ sizes: [4, 1] });
    const params = model.init(rng(0).child('init'));
    const r = rng(5);
    const scales = [10, 1, 1, 0.1];
    const n = 64;
    const x = fromArray(
      Float32Array.from({ length: n * 4 }, (_, k) => scales[k % 4] * r.normal()),
      [n, 4],
    );
    const wStar = [0.3, -0.5, 0.8, 2];
    const y = fromArray(
      Float32Array.from({ length: n }, (_, i) => wStar.reduce((a, w, j) => a + w * x.data[i * 4 + j], 0)),
      [n, 1],
    );
    const batch: Batch = { x, targets: y, size: n };
    const ctx = (s: number) =>
      ruleContext({
        model,
        task: regression(),
        params,
        rule: cmaEs as AnyRule,
        options: { sigma: 0.1 },
        rng: rng(1),
        dropout: rng(2),
        step: s,
      });
    let state = cmaEs.init(ctx(-1) as never);
    let first = NaN;
    let loss = NaN;
    for (let s = 0; s < 150; s++) {
      const res = cmaEs.step(ctx(s) as never, state, batch);
      // CMA-ES's own mean update: SGD at rate 1.
      const u = materialize(res.updates);
      noGrad(() =>
        params.forEach((p, i) => {
          for (let k = 0; k < p.size; k++) p.data[k] -= u[i].data[k];
        }),
      );
      state = res.state;
      if (s === 0) first = res.loss;
      loss = res.loss;
      if (s === 100) {
        const sd = state.sd[0].data;
        // The weight of the feature 100× smaller gets the wider search.
        expect(sd[3] / sd[0]).toBeGreaterThan(10);
      }
    }
    expect(loss).toBeLessThan(1e-8 * first);
    expect(state.sigma).toBeLessThan(0.01);
    expect(state.generation).toBe(149);
  });
});

describe('the non-differentiable objective (classification error)', () => {
  it('is the error rate of the scores, and differentiating it throws a SpecError that says why', () => {
    const task = classificationError(3);
    const scores = fromArray([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0], [4, 3]);
    const b = { x: scores, labels: Int32Array.from([0, 1, 0, 0]), size: 4 };
    expect(task.loss(scores, b).item()).toBe(0.25);
    expect(task.differentiable).toBe(false);
    expect(() => valueAndGrad((s: Tensor) => task.loss(s, b))(scores)).toThrow(/classification-error is not differentiable/);
    expect(() => withObjective('classification-error', regression(1))).toThrow(SpecError);
  });

  const config = (rule: string, options = {}, optimizer: TrialConfig['optimizer'] = { name: 'adam', lr: 0.01 }): TrialConfig => ({
    experiment: 'non-differentiable',
    rule,
    options,
    seed: 0,
    task: 'classification-error',
    data: { name: 'blobs', train: 512, test: 256, classes: 4, features: 16, spread: 1 },
    model: { sizes: [16, 16, 4], activation: 'tanh', init: 'xavierUniform' },
    optimizer,
    batchSize: 64,
    epochs: 100,
    maxSteps: 150,
    evalEvery: 0,
    alignEvery: 10,
    alignSamples: 16,
    memory: false,
    debug: false,
  });
  const train = (rule: AnyRule, c: TrialConfig) => {
    const evals: EvalRecord[] = [];
    const summary = runTrial(c, rule.id, rule, (r) => r.type === 'eval' && evals.push(r));
    return { summary, evals };
  };

  it('backprop cannot train on it: its trial stops with that error', () => {
    expect(() => train(backprop as AnyRule, config('backprop'))).toThrow(/not differentiable/);
  });

  it('evolution strategies and CMA-ES lower it, with no alignment measured (there is no gradient to align with)', () => {
    for (const [rule, c] of [
      [evolutionStrategies as AnyRule, config('evolution-strategies', { population: 16, sigma: 0.05 })],
      [cmaEs as AnyRule, config('cma-es', { population: 16, sigma: 0.05 }, { name: 'sgd', lr: 1 })],
    ] as const) {
      const { summary, evals } = train(rule, c);
      expect(summary.status).toBe('done');
      // The first epoch's error is the objective from a random init (4 classes: about 0.75).
      expect(evals[0].trainLoss, rule.id).toBeGreaterThan(0.4);
      expect(evals.at(-1)!.trainLoss, rule.id).toBeLessThan(0.35);
      expect(summary.finalTestAcc, rule.id).toBeGreaterThan(0.65);
      expect(evals.every((e) => e.alignment.length === 0)).toBe(true);
    }
  });
});
