// Difference target propagation: the top block learns from the task loss; with η̂ = 1 the block
// below learns exactly backprop's gradient there; the inverses learn to undo their blocks;
// targets below go through the difference correction; residual nets are refused.
import { describe, expect, it } from 'vitest';
import { backprop } from '../../algorithms/backprop.ts';
import { targetPropagation, type TargetPropagationState } from '../../algorithms/target-propagation.ts';
import { CONFORMANCE_MODELS } from '../../src/testing.ts';
import {
  adam,
  blobs,
  buildModel,
  classification,
  fromArray,
  materialize,
  noGrad,
  rng,
  ruleContext,
  type AnyRule,
  type Batch,
  type ModelSpec,
  type RuleOptions,
} from '../../src/index.ts';

const MLP: ModelSpec = { sizes: [6, 10, 9, 8, 3], activation: 'tanh', init: 'xavierUniform' };

function setup(spec: ModelSpec, sample: number[], options: RuleOptions, classes = 3, n = 16) {
  const model = buildModel(spec, { sampleShape: sample, outputs: classes });
  const params = model.init(rng(4).child('init'));
  const ds = blobs(n, classes, model.inputSize, 0.8, rng(4).child('data'));
  const batch: Batch = { x: fromArray(ds.x, [ds.n, ds.features]), labels: ds.y, size: ds.n };
  const ctx = (rule: AnyRule, o: RuleOptions, step = 0) =>
    ruleContext({ model, task: classification(classes), params, rule, options: o, rng: rng(4).child('rule'), dropout: rng(4), step });
  return {
    model,
    params,
    batch,
    ctx: (step = 0) => ctx(targetPropagation as AnyRule, options, step),
    bp: materialize(backprop.step(ctx(backprop as AnyRule, {}) as never, null, batch).updates),
  };
}

describe('target-propagation', () => {
  it('the output block learns the task gradient; with η̂ = 1 the block below learns backprop’s gradient exactly', () => {
    const s = setup(MLP, [6], { targetLr: 1 });
    const u = materialize(targetPropagation.step(s.ctx() as never, targetPropagation.init(s.ctx() as never), s.batch).updates);
    // fc4 (top) and fc3 (penultimate, target one gradient step away): parameters 4–7.
    for (const i of [4, 5, 6, 7]) u[i].data.forEach((v, k) => expect(v, s.model.paramNames[i]).toBeCloseTo(s.bp[i].data[k], 6));
    // Lower blocks follow targets from the (untrained) inverses: not backprop's.
    let same = true;
    u[0].data.forEach((v, k) => (same &&= Math.abs(v - s.bp[0].data[k]) < 1e-6));
    expect(same).toBe(false);
  });

  it('its targets below are differences through the inverses: with a zero inverse, lower blocks keep their activity as target', () => {
    const s = setup(MLP, [6], {});
    const state = targetPropagation.init(s.ctx() as never) as TargetPropagationState;
    // g ≡ tanh(0) = 0: ĥ = h + g(ĥ') − g(h') = h, so fc1 and fc2 already sit at their targets.
    for (const inv of state.inverses) for (const p of inv.params) p.data.fill(0);
    const u = materialize(targetPropagation.step(s.ctx() as never, state, s.batch).updates);
    for (const i of [0, 1, 2, 3])
      expect(
        u[i].data.every((v) => Math.abs(v) < 1e-7),
        s.model.paramNames[i],
      ).toBe(true);
    expect(u[4].data.some((v) => v !== 0)).toBe(true);
  });

  it('the inverses learn to undo their blocks on noisy inputs: their loss falls', () => {
    const s = setup(MLP, [6], { inverseLr: 1e-2 }, 3, 64);
    let state = targetPropagation.init(s.ctx() as never) as TargetPropagationState;
    const losses: number[] = [];
    const opt = adam({ lr: 1e-3 });
    const os = opt.init(s.params);
    for (let step = 0; step < 150; step++) {
      const res = targetPropagation.step(s.ctx(step) as never, state, s.batch);
      state = res.state;
      losses.push(res.metrics['fc2.inverseLoss'] + res.metrics['fc3.inverseLoss']);
      noGrad(() => opt.update(s.params, materialize(res.updates), os, step));
    }
    expect(state.inverses.map((i) => i.block)).toEqual(['fc2', 'fc3']);
    expect(losses.at(-1)!).toBeLessThan(0.3 * losses[0]);
  });

  it('conv blocks get dense inverses reshaped to the block input; residual nets are refused, naming the module', () => {
    const s = setup(CONFORMANCE_MODELS.conv as ModelSpec, [1, 6, 6], {}, 4);
    const state = targetPropagation.init(s.ctx() as never) as TargetPropagationState;
    expect(state.inverses.map((i) => [i.block, i.net.inputShape, i.net.outputShape])).toEqual([['conv2', [54], [36]]]);
    const r = setup(CONFORMANCE_MODELS.residual as ModelSpec, [1, 6, 6], {}, 4);
    expect(() => targetPropagation.check!(r.ctx() as never)).toThrow(
      /^target-propagation: the module at "block1\.conv1" has parameters inside the residual at "block1"/,
    );
  });
});
