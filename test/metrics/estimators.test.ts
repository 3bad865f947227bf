import { describe, expect, it } from 'vitest';
import {
  buildModel,
  classification,
  exactExpectedGradient,
  expectedGradient,
  fromArray,
  measureEstimator,
  rng,
  sampledExpectedGradient,
  tileBatch,
  type Batch,
  type Tensor,
} from '../../src/index.ts';

const sigma = (a: number) => 1 / (1 + Math.exp(-a));

/** 2 inputs → 2 stochastic → 2 stochastic → 2 classes: 16 configurations. */
function tiny() {
  const model = buildModel({ sizes: [2, 2, 2, 2], activation: 'sigmoid', init: 'xavierUniform' });
  const params = model.init(rng(11).child('init'));
  params.forEach((p) => p.data.forEach((_, k) => (p.data[k] += 0.3 * Math.sin(7 * k + p.size))));
  const batch: Batch = { x: fromArray([0.5, -1, 2, 0.3, -0.7, 1.1], [3, 2]), labels: new Int32Array([0, 1, 1]), size: 3 };
  return { model, params, batch, task: classification(2), net: { paths: ['act1', 'act2'], slope: 1 } };
}

/** E[loss] by explicit loops over the 16 configurations, in float64. */
function bruteExpectedLoss(params: readonly Tensor[], batch: Batch): number {
  const [w0, b0, w1, b1, w2, b2] = params.map((p) => Array.from(p.data));
  let total = 0;
  for (let i = 0; i < batch.size; i++) {
    const x = [batch.x.data[2 * i], batch.x.data[2 * i + 1]];
    const p1 = [0, 1].map((j) => sigma(w0[2 * j] * x[0] + w0[2 * j + 1] * x[1] + b0[j]));
    for (let c = 0; c < 16; c++) {
      const h1 = [c & 1, (c >> 1) & 1];
      const h2 = [(c >> 2) & 1, (c >> 3) & 1];
      const p2 = [0, 1].map((j) => sigma(w1[2 * j] * h1[0] + w1[2 * j + 1] * h1[1] + b1[j]));
      let pr = 1;
      for (let j = 0; j < 2; j++) pr *= (h1[j] ? p1[j] : 1 - p1[j]) * (h2[j] ? p2[j] : 1 - p2[j]);
      const o = [0, 1].map((k) => w2[2 * k] * h2[0] + w2[2 * k + 1] * h2[1] + b2[k]);
      const m = Math.max(...o);
      const lse = m + Math.log(Math.exp(o[0] - m) + Math.exp(o[1] - m));
      total += pr * (lse - o[batch.labels![i]]);
    }
  }
  return total / batch.size;
}

describe('exact gradient of the expected loss (enumeration)', () => {
  it('its value matches a brute-force enumeration and its gradient matches finite differences of it', () => {
    const t = tiny();
    const ex = exactExpectedGradient(t.model, t.net, t.task, t.params, t.batch);
    expect(ex.method).toBe('enumeration');
    expect(ex.count).toBe(16);
    expect(ex.loss).toBeCloseTo(bruteExpectedLoss(t.params, t.batch), 5);
    const eps = 1e-3;
    let checked = 0;
    t.params.forEach((p, i) => {
      for (let k = 0; k < p.size; k++) {
        const shifted = (d: number) =>
          t.params.map((q, j) =>
            j === i
              ? fromArray(
                  Array.from(q.data, (v, m) => (m === k ? v + d : v)),
                  q.shape,
                )
              : q,
          );
        const fd = (bruteExpectedLoss(shifted(eps), t.batch) - bruteExpectedLoss(shifted(-eps), t.batch)) / (2 * eps);
        expect(Math.abs(ex.grads[i].data[k] - fd)).toBeLessThan(2e-4 + 2e-3 * Math.abs(fd));
        checked++;
      }
    });
    expect(checked).toBe(18);
  });

  it('gives the same result whatever the chunking over configurations', () => {
    const t = tiny();
    const a = exactExpectedGradient(t.model, t.net, t.task, t.params, t.batch);
    const b = exactExpectedGradient(t.model, t.net, t.task, t.params, t.batch, { chunkRows: 4 });
    a.grads.forEach((g, i) => g.data.forEach((v, k) => expect(b.grads[i].data[k]).toBeCloseTo(v, 6)));
  });

  it('refuses more than 16 units and sends expectedGradient to sampling instead', () => {
    const model = buildModel({ sizes: [2, 9, 9, 2] });
    const params = model.init(rng(1));
    const t = tiny();
    const net = { paths: ['act1', 'act2'], slope: 1 };
    expect(() => exactExpectedGradient(model, net, t.task, params, t.batch)).toThrow(/at most 16/);
    expect(() => expectedGradient(model, net, t.task, params, t.batch)).toThrow(/rng/);
    expect(expectedGradient(model, net, t.task, params, t.batch, { rng: rng(1), samples: 32 }).method).toBe('samples');
    // Only the named activations are stochastic: one layer of 9 units enumerates.
    expect(expectedGradient(model, { paths: ['act2'], slope: 1 }, t.task, params, t.batch).method).toBe('enumeration');
  });

  it('the many-sample estimate converges on the exact gradient', () => {
    const t = tiny();
    const ex = exactExpectedGradient(t.model, t.net, t.task, t.params, t.batch);
    const sa = sampledExpectedGradient(t.model, t.net, t.task, t.params, t.batch, { samples: 4096, rng: rng(2), group: 64 });
    expect(sa.count).toBe(4096);
    expect(sa.loss).toBeCloseTo(ex.loss, 1);
    const stats = measureEstimator('check', t.model, ex.grads, () => sa.grads, 2);
    expect(stats.overall.cosine).toBeGreaterThan(0.99);
    expect(stats.overall.relError).toBeLessThan(0.1);
  });
});

describe('measureEstimator', () => {
  const model = buildModel({ sizes: [2, 3, 2] });
  const ref = model.init(rng(3));

  it('recovers a known bias and a known variance', () => {
    const noise = rng(4);
    const sd = 0.5;
    // Unbiased with per-element variance sd² in layer 0 only; layer 1 shifted by +1 everywhere.
    const draw = () =>
      ref.map((r, i) =>
        fromArray(
          Array.from(r.data, (v) => (model.paramOwner[i] === 'fc1' ? v + sd * noise.normal() : v + 1)),
          r.shape,
        ),
      );
    const s = measureEstimator('synthetic', model, ref, draw, 4000);
    const n0 = 2 * 3 + 3;
    expect(s.layers[0].variance).toBeGreaterThan(0.9 * n0 * sd * sd);
    expect(s.layers[0].variance).toBeLessThan(1.1 * n0 * sd * sd);
    expect(s.layers[0].biasSq).toBeLessThan(4 * s.layers[0].noiseFloor);
    expect(s.layers[1].variance).toBeLessThan(1e-9);
    expect(s.layers[1].biasSq).toBeCloseTo(2 * 3 + 2, 4);
    expect(s.layers.map((l) => l.layer)).toEqual(['fc1', 'fc2']);
    expect(s.msPerSample).toBeGreaterThanOrEqual(0);
  });

  it('tileBatch repeats examples block after block', () => {
    const b = tileBatch({ x: fromArray([1, 2, 3, 4], [2, 2]), labels: new Int32Array([0, 1]), size: 2 }, 3);
    expect(b.size).toBe(6);
    expect(b.x.toArray()).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
    expect(Array.from(b.labels!)).toEqual([0, 1, 0, 1, 0, 1]);
  });
});
