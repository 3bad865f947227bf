// Equilibrium propagation: as β → 0 its update approaches the gradient of the same network's
// loss computed by backprop through the settling dynamics (Laborieux et al.'s check of the
// gradient-descending-updates property), symmetric nudging with a smaller bias than one-sided;
// the runner aligns it against that very gradient; it refuses what is not an MLP.
import { describe, expect, it } from 'vitest';
import { epLayers, equilibriumPropagation, settlingNetwork } from '../../algorithms/equilibrium-propagation.ts';
import {
  alignment,
  blobs,
  buildModel,
  classification,
  fromArray,
  materialize,
  noGrad,
  rng,
  ruleContext,
  SpecError,
  trueGradient,
  type AnyRule,
  type Batch,
  type RuleOptions,
} from '../../src/index.ts';
import { CONFORMANCE_MODELS } from '../../src/testing.ts';
import { runTrial, type EvalRecord, type TrialConfig } from '../../src/runner/trial.ts';

// Laborieux's MNIST activation σ(4(x − ½)), two hidden layers.
const ACT = 'sigmoid(4*x - 2)';
const T = 100;

function problem() {
  const model = buildModel({ sizes: [12, 16, 16, 4], activation: ACT, init: 'xavierUniform' });
  const params = model.init(rng(0).child('init'));
  const ds = blobs(32, 4, 12, 0.8, rng(0).child('data'));
  const batch: Batch = { x: fromArray(ds.x, [ds.n, ds.features]), labels: ds.y, size: ds.n };
  return { model, params, batch, task: classification(4) };
}

describe('equilibrium propagation', () => {
  const p = problem();
  // Backprop through T steps of the same free-phase dynamics.
  const bptt = trueGradient(settlingNetwork(p.model, T), p.task, p.params, p.batch).grads;
  const cosine = (options: RuleOptions) => {
    const ctx = ruleContext({
      model: p.model,
      task: p.task,
      params: p.params,
      rule: equilibriumPropagation as AnyRule,
      options: { freeSteps: T, nudgedSteps: T, ...options },
      rng: rng(1),
      dropout: rng(2),
      step: 0,
    });
    const res = equilibriumPropagation.step(ctx as never, null, p.batch);
    return { a: alignment(p.model, materialize(res.updates), bptt), res };
  };

  it('as β → 0 its update approaches backprop through the settling dynamics', () => {
    const small = cosine({ beta: 0.01 }).a;
    expect(small.overall.cosine).toBeGreaterThan(0.9999);
    for (const l of small.layers) expect(l.cosine, l.layer).toBeGreaterThan(0.9995);
    expect(Math.abs(small.overall.normRatio - 1)).toBeLessThan(0.01);
    // A strong nudge is a different, biased estimate.
    expect(cosine({ beta: 1 }).a.overall.cosine).toBeLessThan(0.95);
  });

  it('symmetric nudging (±β) has a far smaller bias than one-sided nudging at the same β', () => {
    const sym = cosine({ beta: 0.03, nudging: 'symmetric' }).a.overall.cosine;
    const pos = cosine({ beta: 0.03, nudging: 'positive' }).a.overall.cosine;
    expect(1 - sym).toBeLessThan((1 - pos) / 3);
    expect(pos).toBeGreaterThan(0.99);
  });

  it('records its settling: state change per free step, steps to convergence and the final energy', () => {
    const { res } = cosine({ beta: 0.01 });
    const changes = Array.from({ length: T }, (_, t) => res.metrics[`stateChange.${t + 1}`]);
    expect(changes.every(Number.isFinite)).toBe(true);
    expect(changes[T - 1]).toBeLessThan(1e-4);
    expect(res.metrics.settledShare).toBe(1);
    expect(res.metrics.settleSteps).toBeLessThan(T);
    expect(changes[res.metrics.settleSteps - 1]).toBeLessThanOrEqual(1e-3);
    expect(Number.isFinite(res.metrics.finalEnergy)).toBe(true);
    // Its prediction is the free phase's output, not the feedforward pass.
    const scores = noGrad(() =>
      equilibriumPropagation.predict!(
        ruleContext({
          model: p.model,
          task: p.task,
          params: p.params,
          rule: equilibriumPropagation as AnyRule,
          options: { freeSteps: T },
          rng: rng(1),
          dropout: rng(2),
          step: 0,
        }) as never,
        null,
        p.batch.x,
      ),
    );
    const ff = noGrad(() => p.model.forward(p.params, p.batch.x));
    expect(scores.shape).toEqual([32, 4]);
    expect(Array.from(scores.data)).not.toEqual(Array.from(ff.data));
  });

  it('the runner aligns it against backprop through its own settling network', () => {
    const config: TrialConfig = {
      experiment: 'ep-test',
      rule: 'equilibrium-propagation',
      options: { ...equilibriumPropagation.defaults, beta: 0.01, freeSteps: 60, nudgedSteps: 30 },
      seed: 0,
      data: { name: 'blobs', train: 128, test: 64, classes: 4, features: 12, spread: 0.8 },
      model: { sizes: [12, 16, 4], activation: ACT, init: 'xavierUniform' },
      optimizer: { name: 'sgd', lr: 0 },
      batchSize: 32,
      epochs: 1,
      maxSteps: 2,
      evalEvery: 0,
      alignEvery: 1,
      alignSamples: 16,
      memory: false,
      debug: false,
    };
    const evals: EvalRecord[] = [];
    runTrial(config, 'ep-test', equilibriumPropagation as AnyRule, (r) => r.type === 'eval' && evals.push(r));
    const points = evals.flatMap((e) => e.alignment);
    expect(points.length).toBe(2);
    for (const a of points) {
      expect(a.reference).toBe('task-gradient');
      expect(a.overall.cosine).toBeGreaterThan(0.999);
    }
  });

  it('refuses a conv net with a SpecError naming the rule, the layer and what is supported', () => {
    const conv = buildModel(CONFORMANCE_MODELS.conv, { sampleShape: [1, 6, 6], outputs: 4 });
    expect(() => epLayers(conv)).toThrow(SpecError);
    expect(() => epLayers(conv)).toThrow(/equilibrium-propagation: module "conv1" \(conv2d\).*MLPs/);
    expect(() => epLayers(buildModel({ sizes: [4, 3], activation: 'tanh' }))).toThrow(/at least two dense layers/);
  });
});

describe('equilibrium propagation on unbounded states', () => {
  it('says so when the free phase of a ReLU net with large weights diverges', () => {
    const model = buildModel({ sizes: [12, 64, 64, 4], activation: 'relu', init: 'heUniform' });
    const params = model.init(rng(0).child('init'));
    for (const p of params) for (let k = 0; k < p.size; k++) p.data[k] *= 4;
    const ds = blobs(8, 4, 12, 0.8, rng(0).child('data'));
    const batch: Batch = { x: fromArray(ds.x, [ds.n, ds.features]), labels: ds.y, size: ds.n };
    const ctx = ruleContext({
      model,
      task: classification(4),
      params,
      rule: equilibriumPropagation as AnyRule,
      options: { freeSteps: 200 },
      rng: rng(1),
      dropout: rng(2),
      step: 0,
    });
    expect(() => equilibriumPropagation.step(ctx as never, null, batch)).toThrow(/free phase diverged.*bounded activation/);
  });
});
