import { describe, expect, it } from 'vitest';
import { backprop } from '../../algorithms/backprop.ts';
import { directFeedbackAlignment } from '../../algorithms/direct-feedback-alignment.ts';
import { feedbackAlignment } from '../../algorithms/feedback-alignment.ts';
import { Model, alignment, blobs, classification, fromArray, materialize, rng, type RuleContext, type Batch } from '../../src/index.ts';

function setup(sizes: number[], options: Record<string, string | number> = {}) {
  const model = new Model({ sizes, activation: 'tanh', init: 'xavierUniform' });
  const params = model.init(rng(3).child('init'));
  const ds = blobs(32, sizes[sizes.length - 1], sizes[0], 0.7, rng(3).child('data'));
  const batch: Batch = { x: fromArray(ds.x, [ds.n, ds.features]), labels: ds.y, size: ds.n };
  const ctx: RuleContext = { model, task: classification(sizes[sizes.length - 1]), params, step: 0, options, rng: rng(3) };
  return { model, params, batch, ctx };
}

const bpUpdates = (s: ReturnType<typeof setup>) => materialize(backprop.step({ ...s.ctx, options: backprop.defaults }, null, s.batch).updates);

describe('feedback alignment', () => {
  it('with B set equal to W reproduces backprop exactly', () => {
    const s = setup([6, 10, 8, 3]);
    const ctx = { ...s.ctx, options: { ...feedbackAlignment.defaults } };
    const state = feedbackAlignment.init(ctx);
    state.fixed = s.model.blocks.map((b) => (b.index > 0 ? s.params[b.weight].clone() : null));
    const fa = materialize(feedbackAlignment.step(ctx, state, s.batch).updates);
    const bp = bpUpdates(s);
    fa.forEach((u, i) => expect(Array.from(u.data)).toEqual(Array.from(bp[i].data)));
  });

  it('with random B differs from backprop below the top layer, and matches it at the top', () => {
    const s = setup([6, 10, 8, 3]);
    const ctx = { ...s.ctx, options: { ...feedbackAlignment.defaults } };
    const fa = materialize(feedbackAlignment.step(ctx, feedbackAlignment.init(ctx), s.batch).updates);
    const rep = alignment(s.model, fa, bpUpdates(s));
    expect(rep.layers[2].cosine).toBeCloseTo(1, 6);
    expect(rep.layers[0].cosine).toBeLessThan(0.99);
  });

  for (const variant of ['usf', 'brsf', 'frsf']) {
    it(`${variant}: feedback has the signs of W (angle below 90°) and training updates are finite`, () => {
      const s = setup([6, 10, 8, 3]);
      const ctx = { ...s.ctx, options: { ...feedbackAlignment.defaults, variant } };
      const state = feedbackAlignment.init(ctx);
      const diag = feedbackAlignment.diagnostics!(ctx, state);
      expect(diag['layer1.feedbackAngleDeg']).toBeLessThan(90);
      expect(diag['layer2.feedbackAngleDeg']).toBeLessThan(90);
      const ups = materialize(feedbackAlignment.step(ctx, state, s.batch).updates);
      expect(ups.every((u) => u.data.every(Number.isFinite))).toBe(true);
    });
  }

  it('plain FA feedback starts near 90° from W', () => {
    const s = setup([6, 40, 40, 3]);
    const ctx = { ...s.ctx, options: { ...feedbackAlignment.defaults } };
    const diag = feedbackAlignment.diagnostics!(ctx, feedbackAlignment.init(ctx));
    expect(Math.abs(diag['layer1.feedbackAngleDeg'] - 90)).toBeLessThan(15);
  });
});

describe('direct feedback alignment', () => {
  it('on one hidden layer with B = W_out reproduces backprop', () => {
    const s = setup([6, 10, 3]);
    const ctx = { ...s.ctx, options: { ...directFeedbackAlignment.defaults } };
    const state = directFeedbackAlignment.init(ctx);
    state.feedback[0] = s.params[s.model.blocks[1].weight].clone();
    const dfa = materialize(directFeedbackAlignment.step(ctx, state, s.batch).updates);
    const bp = bpUpdates(s);
    dfa.forEach((u, i) => u.data.forEach((v, k) => expect(v).toBeCloseTo(bp[i].data[k], 6)));
  });

  it('with random B differs from backprop in the hidden layer', () => {
    const s = setup([6, 10, 3]);
    const ctx = { ...s.ctx, options: { ...directFeedbackAlignment.defaults } };
    const dfa = materialize(directFeedbackAlignment.step(ctx, directFeedbackAlignment.init(ctx), s.batch).updates);
    const rep = alignment(s.model, dfa, bpUpdates(s));
    expect(rep.layers[1].cosine).toBeCloseTo(1, 6);
    expect(rep.layers[0].cosine).toBeLessThan(0.99);
  });
});

describe('alignment metric', () => {
  it('backprop against itself has cosine 1, angle 0, norm ratio 1, full sign agreement per layer', () => {
    const s = setup([6, 10, 8, 3]);
    const rep = alignment(s.model, bpUpdates(s), bpUpdates(s));
    for (const l of [...rep.layers, rep.overall]) {
      expect(l.cosine).toBeCloseTo(1, 10);
      expect(l.angleDeg).toBeLessThan(1e-3);
      expect(l.normRatio).toBeCloseTo(1, 10);
      expect(l.signAgreement).toBe(1);
    }
  });

  it('an update pointing the other way has cosine −1', () => {
    const s = setup([6, 10, 3]);
    const bp = bpUpdates(s);
    const flipped = bp.map((g) => fromArray(Array.from(g.data, (v) => -2 * v), g.shape));
    const rep = alignment(s.model, flipped, bp);
    expect(rep.overall.cosine).toBeCloseTo(-1, 6);
    expect(rep.overall.normRatio).toBeCloseTo(2, 6);
  });
});
