// Forward gradients: the weight-perturbed estimate is (∇L·v)v exactly, unbiased (its average
// over directions approaches backprop's gradient), streamed range by range, and a step holds no
// tape, no saved activation and no gradient; the activity-perturbed variant with local losses is
// unbiased for each block's local loss, conforms on the MLP and the conv net, and refuses a
// residual net naming the module.
import { describe, expect, it } from 'vitest';
import { backprop } from '../../algorithms/backprop.ts';
import { forwardGradient, type ForwardGradientState } from '../../algorithms/forward-gradient.ts';
import { CONFORMANCE_MODELS, checkConformance, refusal } from '../../src/testing.ts';
import { runTrial, type TrialConfig } from '../../src/runner/trial.ts';
import { stepReference } from '../../src/runner/reference.ts';
import {
  blobs,
  buildModel,
  classification,
  crossEntropy,
  fromArray,
  isLazy,
  materialize,
  ruleEstimates,
  rng,
  ruleContext,
  valueAndGrad,
  type AnyRule,
  type Batch,
  type LazyUpdates,
  type ModelSpec,
  type RuleOptions,
  type Tensor,
} from '../../src/index.ts';

const fg = forwardGradient as AnyRule;

function setup(spec: ModelSpec, sample: number[], options: RuleOptions, seed = 5, classes = 3) {
  const model = buildModel(spec, { sampleShape: sample, outputs: classes });
  const params = model.init(rng(seed).child('init'));
  const ds = blobs(16, classes, model.inputSize, 0.8, rng(seed).child('data'));
  const batch: Batch = { x: fromArray(ds.x, [ds.n, ds.features]), labels: ds.y, size: ds.n };
  const task = classification(classes);
  const ctx = (rule: AnyRule, o: RuleOptions = options) =>
    ruleContext({ model, task, params, rule, options: o, rng: rng(seed).child('rule'), dropout: rng(seed).child('dropout'), step: 0 });
  const bp = materialize(backprop.step(ctx(backprop as AnyRule, {}) as never, null, batch).updates);
  return { model, params, batch, task, ctx: ctx(fg), bp };
}

function dot(a: readonly Tensor[], b: readonly Tensor[]): number {
  let s = 0;
  a.forEach((t, i) => {
    for (let k = 0; k < t.size; k++) s += t.data[k] * b[i].data[k];
  });
  return s;
}
const cosine = (a: readonly Tensor[], b: readonly Tensor[]) => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));

describe('forward-gradient, perturbing the weights', () => {
  const tiny: ModelSpec = { sizes: [4, 6, 3], activation: 'tanh', init: 'xavierUniform' };

  it('one direction gives d·v with d = ∇L·v: ⟨update, ∇L⟩ = d² exactly (forward mode against backprop)', () => {
    for (const [spec, sample, classes] of [
      [tiny, [4], 3],
      [CONFORMANCE_MODELS.conv as ModelSpec, [1, 6, 6], 4],
    ] as const) {
      const s = setup(spec, [...sample], {}, 5, classes);
      const res = forwardGradient.step(s.ctx as never, forwardGradient.init(s.ctx as never), s.batch);
      const d = res.metrics.directionalDerivative;
      const u = materialize(res.updates);
      expect(dot(u, s.bp) / (d * d)).toBeCloseTo(1, 4);
    }
  });

  it('is unbiased: the average over many directions approaches backprop’s gradient', () => {
    for (const noise of ['gaussian', 'rademacher']) {
      const s = setup(tiny, [4], { directions: 2000, noise });
      const u = materialize(forwardGradient.step(s.ctx as never, forwardGradient.init(s.ctx as never), s.batch).updates);
      // 51 parameters, 2000 directions: expected cosine 1/√(1 + 52/2000) ≈ 0.987.
      expect(cosine(u, s.bp)).toBeGreaterThan(0.97);
      const one = setup(tiny, [4], { noise });
      const single = materialize(forwardGradient.step(one.ctx as never, forwardGradient.init(one.ctx as never), one.batch).updates);
      expect(cosine(single, one.bp)).toBeLessThan(0.9);
    }
  });

  it('streams its updates: ranges of any split equal the whole parameter, bit for bit', () => {
    const s = setup({ sizes: [40, 150, 3], activation: 'relu' }, [40], { directions: 2 });
    const res = forwardGradient.step(s.ctx as never, forwardGradient.init(s.ctx as never), s.batch);
    expect(isLazy(res.updates)).toBe(true);
    const lazy = res.updates as LazyUpdates;
    const whole = lazy.get(0);
    const parts: number[] = [];
    for (const [off, len] of [
      [0, 1000],
      [1000, 3000],
      [4000, 2000],
    ])
      parts.push(...lazy.getRange!(0, off, len).data);
    expect(parts).toEqual(Array.from(whole.data));
  });

  it('a training step tapes nothing, saves no activation and makes no gradient: its peak is below backprop’s', () => {
    const config = (rule: string): TrialConfig => ({
      experiment: 'test',
      rule,
      options: {},
      seed: 0,
      data: { name: 'mnist', train: 512, test: 256 },
      model: { sizes: [784, 256, 256, 10], activation: 'relu' },
      optimizer: { name: 'sgd', lr: 1e-4 },
      batchSize: 128,
      epochs: 1,
      maxSteps: 2,
      evalEvery: 0,
      alignEvery: 0,
      alignSamples: 16,
      memory: true,
      debug: false,
    });
    const memory = (rule: AnyRule) => {
      let mem = null as null | {
        peakBytes: number;
        peakByCategory: Record<string, number>;
        ratioToInference: number;
        inferenceBytes: number;
      };
      runTrial(config(rule.id), rule.id, rule, (r) => {
        if (r.type === 'eval' && r.memory) mem = r.memory;
      });
      return mem!;
    };
    const f = memory(fg);
    const b = memory(backprop as AnyRule);
    expect(f.peakByCategory['saved-activation']).toBe(0);
    expect(f.peakByCategory.grad).toBe(0);
    expect(b.peakByCategory['saved-activation']).toBeGreaterThan(0);
    expect(f.ratioToInference).toBeLessThan(b.ratioToInference);
    // One weight's tangent at a time and updates streamed in ranges: the step needs less than one
    // more copy of the parameters beyond inference (backprop holds a whole gradient at once).
    const paramBytes = 4 * (784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10);
    expect(f.peakBytes - f.inferenceBytes).toBeLessThan(paramBytes);
  });
});

describe('forward-gradient, perturbing the activities (local losses)', () => {
  it('estimates each block’s local-loss gradient without bias (examples independent: no batch norm)', () => {
    const spec: ModelSpec = { sizes: [5, 7, 3], activation: 'tanh', init: 'xavierUniform' };
    const s = setup(spec, [5], { perturb: 'activities', directions: 4000 });
    const state = forwardGradient.init(s.ctx as never) as ForwardGradientState;
    const head = state.heads[0];
    const headBefore = head.params.map((p) => p.clone());
    const u = materialize(forwardGradient.step(s.ctx as never, state, s.batch).updates);
    // Exact gradients: block 1 (fc1 → act1) through its head; block 2 (fc2) through the task loss.
    const fc1 = s.model.find('fc1')!;
    const act = s.model.find('act1')!;
    const local = valueAndGrad((p: Tensor[]) => {
      const h = act.apply(fc1.apply(s.batch.x, { params: p }), { params: p });
      return crossEntropy(head.net.forward(headBefore, h), s.batch.labels!);
    })([...s.params]).grads;
    const blockOne = [0, 1];
    expect(
      cosine(
        blockOne.map((i) => u[i]),
        blockOne.map((i) => local[i]),
      ),
    ).toBeGreaterThan(0.97);
    expect(cosine([u[2], u[3]], [s.bp[2], s.bp[3]])).toBeGreaterThan(0.97);
    // The head learned in the step (its own exact gradient, applied with Adam).
    expect(Array.from(head.params[0].data)).not.toEqual(Array.from(headBefore[0].data));
  });

  it('declares the local losses’ gradient, which its mean over many directions approaches on every hidden layer', () => {
    const s = setup({ sizes: [5, 7, 6, 3], activation: 'tanh', init: 'xavierUniform' }, [5], { perturb: 'activities', directions: 4000 });
    expect(ruleEstimates(fg, s.ctx.options)).toBe('local-gradient');
    const state = forwardGradient.init(s.ctx as never) as ForwardGradientState;
    // The reference is taken as the runner takes it: before the step, on the state the step receives.
    const ref = stepReference(fg, s.ctx, state, s.batch, { samples: 1, rng: rng(1) })!;
    expect(ref.kind).toBe('local-gradient');
    const u = materialize(forwardGradient.step(s.ctx as never, state, s.batch).updates);
    for (const layer of ['fc1', 'fc2']) {
      const idx = Object.values(s.model.find(layer)!.params).map((p) => p.index);
      const at = (ts: readonly Tensor[]) => idx.map((i) => ts[i]);
      expect(cosine(at(u), at(ref.grads)), layer).toBeGreaterThan(0.97);
    }
  });

  it('perturbing the weights still declares the task gradient, and the runner takes backprop’s as its reference', () => {
    const s = setup({ sizes: [5, 7, 3], activation: 'tanh', init: 'xavierUniform' }, [5], { perturb: 'weights' });
    expect(ruleEstimates(fg, s.ctx.options)).toBe('task-gradient');
    const ref = stepReference(fg, s.ctx, forwardGradient.init(s.ctx as never), s.batch, { samples: 1, rng: rng(1) })!;
    expect(ref.kind).toBe('task-gradient');
    ref.grads.forEach((g, i) => expect(Array.from(g.data)).toEqual(Array.from(s.bp[i].data)));
  });

  for (const architecture of ['mlp', 'conv'] as const) {
    it(`conforms on the ${architecture} net`, () => {
      const failed = checkConformance(fg, { architecture, options: { perturb: 'activities' } }).filter((c) => !c.ok);
      expect(failed).toEqual([]);
    });
  }

  it('refuses a residual net, naming the module, and says perturbing the weights works there', () => {
    expect(refusal(fg, { architecture: 'residual', options: { perturb: 'activities' } })).toMatch(
      /^forward-gradient: the module at "block1\.conv1" has parameters inside the residual at "block1".*perturb 'weights' works on any model/,
    );
    expect(refusal(fg, { architecture: 'residual' })).toBeNull();
  });
});
