import { describe, expect, it } from 'vitest';
import { gradcheck } from '../../src/autograd/gradcheck.ts';
import {
  buildModel,
  bernoulli,
  bernoulliLogProb,
  bernoulliSample,
  binaryConcrete,
  categorical,
  categoricalSample,
  classification,
  fromArray,
  gumbelSoftmax,
  hardSign,
  hardThreshold,
  mul,
  perExampleLoss,
  predictStochastic,
  regression,
  rng,
  stochasticBinary,
  stochasticUnits,
  sum,
  valueAndGrad,
  type Tensor,
} from '../../src/index.ts';

const sigma = (a: number) => 1 / (1 + Math.exp(-a));
const softmaxRow = (l: number[]) => {
  const m = Math.max(...l);
  const e = l.map((v) => Math.exp(v - m));
  const z = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / z);
};
/** Frequencies within 4.5 binomial standard deviations of p. */
const expectFrequency = (count: number, n: number, p: number) =>
  expect(Math.abs(count / n - p)).toBeLessThan(4.5 * Math.sqrt((p * (1 - p)) / n) + 1e-9);

describe('stochastic binary units', () => {
  const a = [-2, 0, 1.5];
  const reps = 20000;
  const tiled = fromArray(
    Array.from({ length: reps * a.length }, (_, i) => a[i % a.length]),
    [reps, a.length],
  );

  it('Bernoulli(σ(a)) fires with probability σ(a), reproducibly from the stream, differently across streams', () => {
    const h = stochasticBinary(tiled, rng(1).child('h'));
    a.forEach((v, j) => {
      let c = 0;
      for (let r = 0; r < reps; r++) c += h.data[r * a.length + j];
      expectFrequency(c, reps, sigma(v));
    });
    expect(Array.from(stochasticBinary(tiled, rng(1).child('h')).data)).toEqual(Array.from(h.data));
    expect(Array.from(stochasticBinary(tiled, rng(2).child('h')).data)).not.toEqual(Array.from(h.data));
    expect(h.data.every((v) => v === 0 || v === 1)).toBe(true);
    const p = fromArray([0, 1, 0.3], [3]);
    const b = bernoulli(p, rng(3));
    expect([b.data[0], b.data[1]]).toEqual([0, 1]);
  });

  it('log p(h | a) is log σ(a) for h = 1 and log(1 − σ(a)) for h = 0', () => {
    const z = fromArray([-3, 0.5, 4, -1], [4]);
    const h = fromArray([1, 0, 1, 0], [4]);
    const lp = bernoulliLogProb(z, h);
    expect(lp.data[0]).toBeCloseTo(Math.log(sigma(-3)), 5);
    expect(lp.data[1]).toBeCloseTo(Math.log(1 - sigma(0.5)), 5);
    expect(lp.data[2]).toBeCloseTo(Math.log(sigma(4)), 5);
    expect(lp.data[3]).toBeCloseTo(Math.log(1 - sigma(-1)), 5);
  });

  it('hard threshold and sign are deterministic with zero gradient', () => {
    const z = fromArray([-1, 0, 2], [3]);
    expect(hardThreshold(z).toArray()).toEqual([0, 0, 1]);
    expect(hardSign(z).toArray()).toEqual([-1, 0, 1]);
    const g = valueAndGrad((x: Tensor) => sum(hardThreshold(x)))(z).grads;
    expect(g.toArray()).toEqual([0, 0, 0]);
  });

  it('binary concrete: hard samples are Bernoulli(σ(a)); soft ones lie in (0, 1) and harden as τ falls', () => {
    const hard = binaryConcrete(tiled, 1, rng(4), true);
    a.forEach((v, j) => {
      let c = 0;
      for (let r = 0; r < reps; r++) c += hard.data[r * a.length + j];
      expectFrequency(c, reps, sigma(v));
    });
    const soft = binaryConcrete(tiled, 1, rng(4));
    expect(soft.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    // Same noise: the hard value is the soft one rounded at ½.
    for (let i = 0; i < 300; i++) expect(hard.data[i]).toBe(soft.data[i] > 0.5 ? 1 : 0);
    const nearBinary = (t: Tensor) => t.data.filter((v) => v < 0.01 || v > 0.99).length / t.size;
    expect(nearBinary(binaryConcrete(tiled, 0.05, rng(4)))).toBeGreaterThan(0.9);
    expect(nearBinary(binaryConcrete(tiled, 2, rng(4)))).toBeLessThan(0.2);
  });

  it("bernoulliSample's log p(h | a) has the score h − σ(a) as its gradient (central differences, h held by the stream)", () => {
    const x = fromArray([-2, -0.3, 0, 0.4, 1.5, 3], [2, 3]);
    const r = gradcheck((t: Tensor) => bernoulliSample(t, rng(11), 'score').logProb!, [x]);
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
    const { h, aux, logProb } = bernoulliSample(x, rng(11), 'score');
    const expected = bernoulliLogProb(x, h).data;
    Array.from(expected).forEach((v, i) => expect(logProb!.data[i]).toBeCloseTo(v, 6));
    Array.from(x.data).forEach((v, i) => expect(aux!.data[i]).toBeCloseTo(h.data[i] - sigma(v), 6));
  });

  it('binary concrete: its one-op backward (y(1 − y)/τ) matches central differences for fixed noise', () => {
    // A fresh stream per call: every evaluation draws the same logistic noise.
    const f = (x: Tensor) => binaryConcrete(x, 0.7, rng(9));
    const r = gradcheck(f, [fromArray([-2, -0.3, 0, 0.4, 1.5, 3], [2, 3])]);
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  });
});

describe('categorical units and Gumbel-softmax', () => {
  const logits = [1, -0.5, 0.3, 2];
  const reps = 20000;
  const L = fromArray(
    Array.from({ length: reps * 4 }, (_, i) => logits[i % 4]),
    [reps, 4],
  );
  const p = softmaxRow(logits);

  it('categorical samples follow softmax(logits)', () => {
    const idx = categorical(L, rng(5));
    p.forEach((pj, j) => expectFrequency(idx.filter((v) => v === j).length, reps, pj));
    const oh = categoricalSample(L, rng(5));
    for (let r = 0; r < 50; r++) expect(oh.data[r * 4 + idx[r]]).toBe(1);
    expect(sum(oh).item()).toBe(reps);
  });

  it('hard Gumbel-softmax samples follow softmax(logits) (Gumbel-max) and soft rows sum to 1', () => {
    const y = gumbelSoftmax(L, 0.7, rng(6), true);
    p.forEach((pj, j) => {
      let c = 0;
      for (let r = 0; r < reps; r++) c += y.data[r * 4 + j];
      expectFrequency(c, reps, pj);
    });
    const s = gumbelSoftmax(L, 0.7, rng(6));
    for (let r = 0; r < 100; r++) {
      expect(s.data[r * 4] + s.data[r * 4 + 1] + s.data[r * 4 + 2] + s.data[r * 4 + 3]).toBeCloseTo(1, 5);
    }
  });

  it("the hard variant passes the soft sample's gradient straight through", () => {
    const x = fromArray(logits.concat(logits), [2, 4]);
    const w = fromArray([1, 2, 3, 4, -1, 0.5, 2, 0], [2, 4]);
    const g = (hard: boolean) => valueAndGrad((z: Tensor) => sum(mul(gumbelSoftmax(z, 0.5, rng(7), hard), w)))(x).grads.toArray();
    const gh = g(true);
    expect(gh).toEqual(g(false));
    expect(gh.some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });

  it('rejects a non-positive temperature', () => {
    expect(() => gumbelSoftmax(L, 0, rng(1))).toThrow(/temperature/);
    expect(() => binaryConcrete(L, -1, rng(1))).toThrow(/temperature/);
  });
});

describe('helpers for stochastic nets', () => {
  it('per-example losses average to the task loss', () => {
    const out = fromArray([1, 2, 0.5, -1, 0, 3], [2, 3]);
    const batch = { x: out, labels: new Int32Array([2, 0]), size: 2 };
    const task = classification(3);
    const pe = perExampleLoss(task, out, batch);
    expect(pe.shape).toEqual([2]);
    expect((pe.data[0] + pe.data[1]) / 2).toBeCloseTo(task.loss(out, batch).item(), 5);
    const targets = fromArray([0, 1, 1, 2, 0, 0], [2, 3]);
    const reg = regression();
    const pr = perExampleLoss(reg, out, { x: out, targets, size: 2 });
    expect((pr.data[0] + pr.data[1]) / 2).toBeCloseTo(reg.loss(out, { x: out, targets, size: 2 }).item(), 5);
  });

  it("'expected' prediction is the σ net's forward; 'sample' averages class probabilities", () => {
    const model = buildModel({ sizes: [3, 5, 4, 2], activation: 'sigmoid' });
    const params = model.init(rng(1));
    const x = fromArray([0.1, -1, 2, 1, 1, 1], [2, 3]);
    const net = { paths: ['act1', 'act2'], slope: 1 };
    expect(stochasticUnits(model, net)).toBe(9);
    expect(stochasticUnits(model, { paths: ['act2'], slope: 1 })).toBe(4);
    expect(predictStochastic(model, net, params, x, 'expected', 1, rng(0)).toArray()).toEqual(model.forward(params, x).toArray());
    const s = predictStochastic(model, net, params, x, 'sample', 5, rng(0));
    expect(s.data[0] + s.data[1]).toBeCloseTo(1, 5);
    expect(predictStochastic(model, net, params, x, 'sample', 5, rng(0)).toArray()).toEqual(s.toArray());
    // slope k: units fire with σ(k·a), the same as scaling every hidden layer's weights and biases by k.
    const scaledParams = params.map((p, i) =>
      model.paramOwner[i] !== 'fc3'
        ? fromArray(
            Array.from(p.data, (v) => 3 * v),
            p.shape,
          )
        : p,
    );
    const withSlope = predictStochastic(model, { ...net, slope: 3 }, params, x, 'expected', 1, rng(0)).toArray();
    model
      .forward(scaledParams, x)
      .toArray()
      .forEach((v, i) => expect(withSlope[i]).toBeCloseTo(v, 5));
  });
});
