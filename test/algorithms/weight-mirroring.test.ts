// Weight mirroring: the mirror phase alone drives B to (ησ²/λ)·W for dense and conv layers; on a
// small task the B–W angle falls toward 0 while plain FA's does not; no mirror steps is FA.
import { describe, expect, it } from 'vitest';
import { feedbackAlignment } from '../../algorithms/feedback-alignment.ts';
import { weightMirroring } from '../../algorithms/weight-mirroring.ts';
import { CONFORMANCE_MODELS } from '../../src/testing.ts';
import {
  blobs,
  buildModel,
  classification,
  feedbackLayers,
  fromArray,
  materialize,
  rng,
  ruleContext,
  type AnyRule,
  type Batch,
  type ModelSpec,
  type RuleOptions,
} from '../../src/index.ts';
import { trainSgd } from './train-sgd.ts';

function mirrorOnly(spec: ModelSpec, sample: number[], options: RuleOptions) {
  const model = buildModel(spec, { sampleShape: sample, outputs: 4 });
  const params = model.init(rng(1).child('init'));
  const ds = blobs(8, 4, model.inputSize, 1, rng(1).child('data'));
  const batch: Batch = { x: fromArray(ds.x, [8, model.inputSize]), labels: ds.y, size: 8 };
  const ctx = ruleContext({
    model,
    task: classification(4),
    params,
    rule: weightMirroring as AnyRule,
    options,
    rng: rng(1).child('rule'),
    dropout: rng(1),
    step: 0,
  });
  const state = weightMirroring.init(ctx as never);
  weightMirroring.step(ctx as never, state, batch); // parameters are not updated: only B moves
  return weightMirroring.diagnostics!(ctx as never, state);
}

describe('weight-mirroring', () => {
  it('the mirror phase alone brings B to (ησ²/λ)·W: angle near 0, norm ratio ησ²/λ', () => {
    const spec: ModelSpec = { sizes: [20, 24, 16, 4], activation: 'tanh', init: 'xavierUniform' };
    const unit = mirrorOnly(spec, [20], { mirrorSteps: 300 });
    const doubled = mirrorOnly(spec, [20], { mirrorSteps: 300, mirrorNoise: 2 });
    for (const l of ['fc2', 'fc3']) {
      expect(unit[`${l}.feedbackAngleDeg`]).toBeLessThan(10);
      expect(unit[`${l}.feedbackNormRatio`]).toBeGreaterThan(0.9);
      expect(unit[`${l}.feedbackNormRatio`]).toBeLessThan(1.1);
      // σ = 2: B settles at 4·W.
      expect(doubled[`${l}.feedbackNormRatio`]).toBeGreaterThan(3.6);
      expect(doubled[`${l}.feedbackNormRatio`]).toBeLessThan(4.4);
    }
  });

  it('mirrors conv kernels too', () => {
    const d = mirrorOnly(CONFORMANCE_MODELS.conv as ModelSpec, [1, 6, 6], { mirrorSteps: 200 });
    expect(d['conv2.feedbackAngleDeg']).toBeLessThan(10);
    expect(d['fc.feedbackAngleDeg']).toBeLessThan(10);
  });

  it('the B–W angle falls toward 0 on a small task while plain FA’s stays far from it', () => {
    const wm = trainSgd(weightMirroring as AnyRule, {}, 200, 0.1);
    const fa = trainSgd(feedbackAlignment as AnyRule, {}, 200, 0.1);
    const angle = (rule: AnyRule, r: typeof wm) =>
      feedbackLayers(r.model).map((l) => rule.diagnostics!(r.ctx as never, r.state as never)[`${l.path}.feedbackAngleDeg`]);
    for (const a of angle(weightMirroring as AnyRule, wm)) expect(a).toBeLessThan(15);
    for (const a of angle(feedbackAlignment as AnyRule, fa)) expect(a).toBeGreaterThan(45);
  });

  it('with no mirror steps it is feedback alignment with its random B', () => {
    const model = buildModel({ sizes: [20, 24, 16, 4], activation: 'tanh' }, null);
    const params = model.init(rng(2).child('init'));
    const ds = blobs(16, 4, 20, 1, rng(2).child('data'));
    const batch: Batch = { x: fromArray(ds.x, [16, 20]), labels: ds.y, size: 16 };
    const ctx = (rule: AnyRule, options: RuleOptions) =>
      ruleContext({ model, task: classification(4), params, rule, options, rng: rng(2).child('rule'), dropout: rng(2), step: 0 });
    const w = ctx(weightMirroring as AnyRule, { mirrorSteps: 0 });
    const f = ctx(feedbackAlignment as AnyRule, {});
    const a = materialize(weightMirroring.step(w as never, weightMirroring.init(w as never), batch).updates);
    const b = materialize(feedbackAlignment.step(f as never, feedbackAlignment.init(f as never), batch).updates);
    a.forEach((u, i) => expect(Array.from(u.data), model.paramNames[i]).toEqual(Array.from(b[i].data)));
  });

  it('refuses bad mirror options, naming the option', () => {
    const model = buildModel({ sizes: [6, 5, 3] }, null);
    const c = ruleContext({
      model,
      task: classification(3),
      params: model.init(rng(0)),
      rule: weightMirroring as AnyRule,
      options: { mirrorBatch: 0 },
      rng: rng(0),
      dropout: rng(0),
      step: -1,
    });
    expect(() => weightMirroring.check!(c as never)).toThrow(/weight-mirroring: option mirrorBatch/);
  });
});
