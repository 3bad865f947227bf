import { describe, expect, it } from 'vitest';
import {
  embedLabels, forwardForward, goodness, goodnessScores, layerInput, negativeLabels,
} from '../../algorithms/forward-forward.ts';
import { checkConformance } from '../../src/rules/conformance.ts';
import { runTrial, type EvalRecord, type TrialConfig } from '../../src/runner/trial.ts';
import { Model, blobs, classification, fromArray, materialize, noGrad, rng, type Batch, type RuleContext } from '../../src/index.ts';

function setup(sizes = [12, 16, 16, 4], options: Record<string, string | number | boolean> = {}) {
  const model = new Model({ sizes, activation: 'relu', init: 'heUniform' });
  const params = model.init(rng(5).child('init'));
  const classes = sizes[sizes.length - 1];
  const ds = blobs(48, classes, sizes[0], 0.5, rng(5).child('data'));
  const batch: Batch = { x: fromArray(ds.x, [ds.n, ds.features]), labels: ds.y, size: ds.n };
  const ctx: RuleContext<typeof forwardForward.defaults> = {
    model, task: classification(classes), params, step: 0, options: { ...forwardForward.defaults, ...options }, rng: rng(5).child('rule'),
  };
  return { model, params, batch, ctx };
}

describe('forward-forward', () => {
  it('passes the conformance suite', () => {
    const failed = checkConformance(forwardForward).filter((c) => !c.ok);
    expect(failed).toEqual([]);
  });

  it('negative labels never carry the true label, and cover every other class', () => {
    const r = rng(1).child('negatives');
    const labels = Uint8Array.from({ length: 5000 }, (_, i) => i % 10);
    const neg = negativeLabels(labels, 10, r);
    const seen = Array.from({ length: 10 }, () => new Set<number>());
    neg.forEach((c, i) => {
      expect(c).not.toBe(labels[i]);
      expect(c).toBeLessThan(10);
      seen[labels[i]].add(c);
    });
    for (const s of seen) expect(s.size).toBe(9);
  });

  it('embeds labels one-hot in the first features of a copy, leaving x untouched', () => {
    const x = fromArray([5, 5, 5, 5, 7, 7, 7, 7], [2, 4]);
    const e = embedLabels(x, [[1, 0], [2, 1]], 3, 0.5);
    expect(e.shape).toEqual([4, 4]);
    expect(e.toArray()).toEqual([0, 0.5, 0, 5, 0.5, 0, 0, 7, 0, 0, 0.5, 5, 0, 0.5, 0, 7]);
    expect(x.toArray()).toEqual([5, 5, 5, 5, 7, 7, 7, 7]);
  });

  it("normalization hides a layer's goodness from the next layer", () => {
    const s = setup();
    const h = s.model.forward(s.params, s.batch.x).post[0];
    const big = fromArray(Array.from(h.data, (v) => 3 * v), h.shape);
    expect(goodness(big, 'sum').data[0]).toBeCloseTo(9 * goodness(h, 'sum').data[0], 3);
    const next = (t: typeof h) => s.model.block(1, s.params, t, { input: (b, u) => layerInput(b.index, u) }).post.toArray();
    const a = next(h);
    const b = next(big);
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 5));
  });

  it('no gradient crosses layers; the output block gets zero updates', () => {
    const s = setup();
    const u1 = materialize(forwardForward.step(s.ctx, null, s.batch).updates);
    // Change the second layer: the first layer's update must not move.
    const w1 = s.params[s.model.blocks[1].weight];
    const params = s.params.map((p) => (p === w1 ? fromArray(Array.from(p.data, (v) => v * -2 + 0.1), p.shape) : p));
    const u2 = materialize(forwardForward.step({ ...s.ctx, params }, null, s.batch).updates);
    const b0 = s.model.blocks[0];
    for (const i of [b0.weight, b0.bias]) expect(u2[i].toArray()).toEqual(u1[i].toArray());
    expect(u2[s.model.blocks[1].weight].toArray()).not.toEqual(u1[s.model.blocks[1].weight].toArray());
    const out = s.model.blocks[2];
    for (const i of [out.weight, out.bias]) expect(u1[i].data.every((v) => v === 0)).toBe(true);
    expect(u1[b0.weight].data.some((v) => v !== 0)).toBe(true);
  });

  it('layerwise schedule trains one hidden layer at a time', () => {
    const s = setup([12, 16, 16, 4], { schedule: 'layerwise', layerSteps: 5 });
    const nonzero = (step: number) =>
      materialize(forwardForward.step({ ...s.ctx, step }, null, s.batch).updates).map((u) => u.data.some((v) => v !== 0));
    const b = s.model.blocks;
    expect([nonzero(0)[b[0].weight], nonzero(0)[b[1].weight]]).toEqual([true, false]);
    expect([nonzero(7)[b[0].weight], nonzero(7)[b[1].weight]]).toEqual([false, true]);
  });

  it('predict (shared first-layer map) equals goodness summed over label-embedded forward passes', () => {
    for (const predictFrom of [0, 1]) {
      const s = setup([12, 16, 16, 4], { predictFrom });
      const scores = noGrad(() => goodnessScores(s.ctx, s.batch.x));
      for (let c = 0; c < 4; c++) {
        const x = embedLabels(s.batch.x, [new Uint8Array(s.batch.size).fill(c)], 4);
        const r = noGrad(() => s.model.forward(s.params, x, { blocks: 2, input: (b, h) => layerInput(b.index, h) }));
        const g0 = goodness(r.post[0], 'sum');
        const g1 = goodness(r.post[1], 'sum');
        for (let i = 0; i < s.batch.size; i++) {
          const want = (predictFrom === 0 ? g0.data[i] : 0) + g1.data[i];
          expect(scores.data[i * 4 + c]).toBeCloseTo(want, 2);
        }
      }
    }
  });

  it('after training on blobs, positives have higher goodness than negatives and predict beats chance', () => {
    const config: TrialConfig = {
      experiment: 'test', rule: 'forward-forward', options: {}, seed: 0,
      data: { name: 'blobs', train: 1000, test: 400, classes: 4, features: 16, spread: 0.5 },
      model: { sizes: [16, 32, 32, 4], activation: 'relu', init: 'heUniform' },
      optimizer: { name: 'adam', lr: 0.01 }, batchSize: 50, epochs: 8, maxSteps: 0,
      evalEvery: 0, alignEvery: 0, memory: false, debug: false,
    };
    const evals: EvalRecord[] = [];
    runTrial(config, 't', forwardForward, (r) => r.type === 'eval' && evals.push(r));
    const first = evals[0].metrics;
    const last = evals[evals.length - 1];
    for (const k of [0, 1]) {
      const gap = (m: Record<string, number>) => m[`layer${k}.goodnessPos`] - m[`layer${k}.goodnessNeg`];
      expect(gap(last.metrics)).toBeGreaterThan(0);
      expect(gap(last.metrics)).toBeGreaterThan(gap(first));
    }
    expect(last.testAcc).toBeGreaterThan(0.8);
  });
});
