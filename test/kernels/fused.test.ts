// The plain-TS fused kernels (the oracle for backends' fused versions) against compositions of
// reference primitives and hand-derived values.
import { describe, expect, it } from 'vitest';
import { adamScalars, referenceFused as F } from '../../src/kernels/fused.ts';
import { referenceBackend as ref } from '../../src/kernels/reference.ts';
import { rng } from '../../src/random.ts';
import { fillUniform, mismatch } from './helpers.ts';

const r = rng('fused-reference');

describe('reference fused kernels', () => {
  for (const wT of [false, true]) {
    it(`linearForward = relu(matmul + bias) (wTransposed=${wT})`, () => {
      const [m, n, k] = [5, 7, 3];
      const x = fillUniform(new Float32Array(m * k), r);
      const w = fillUniform(new Float32Array(k * n), r);
      const b = fillUniform(new Float32Array(n), r);
      const out = new Float32Array(m * n);
      F.linearForward(x, w, b, out, m, n, k, 'relu', wT);
      const mm = new Float32Array(m * n);
      ref.matmul(x, w, mm, m, n, k, false, wT);
      const z = new Float32Array(m * n);
      ref.binary('add', mm, [m, n], b, [n], z, [m, n]);
      const expected = new Float32Array(m * n);
      ref.unary('relu', z, expected);
      expect(mismatch(out, expected, 0, 0)).toBeNull();
      expect(out.some((v) => v === 0) && out.some((v) => v > 0)).toBe(true);
    });
  }

  it('softmaxCrossEntropy: probs are the softmax, loss is -mean log-softmax at the label', () => {
    const [rows, cols] = [6, 4];
    const logits = fillUniform(new Float64Array(rows * cols), r, -30, 30);
    const labels = new Int32Array([0, 3, 2, 1, 1, 0]);
    const probs = new Float64Array(rows * cols);
    const loss = F.softmaxCrossEntropy(logits, labels, rows, cols, probs);
    const sm = new Float64Array(rows * cols);
    ref.softmax(logits, sm, rows, cols, false);
    expect(mismatch(probs, sm, 1e-12, 1e-300)).toBeNull();
    const logp = new Float64Array(rows * cols);
    ref.softmax(logits, logp, rows, cols, true);
    let expected = 0;
    for (let i = 0; i < rows; i++) expected -= logp[i * cols + labels[i]] / rows;
    expect(loss).toBeCloseTo(expected, 10);
  });

  it('softmaxCrossEntropy: (probs - onehot) / rows is the gradient (finite differences)', () => {
    const [rows, cols] = [3, 5];
    const logits = fillUniform(new Float64Array(rows * cols), r, -2, 2);
    const labels = new Uint8Array([4, 0, 2]);
    const probs = new Float64Array(rows * cols);
    F.softmaxCrossEntropy(logits, labels, rows, cols, probs);
    const scratch = new Float64Array(rows * cols);
    const h = 1e-6;
    for (let i = 0; i < rows * cols; i++) {
      const x0 = logits[i];
      logits[i] = x0 + h;
      const up = F.softmaxCrossEntropy(logits, labels, rows, cols, scratch);
      logits[i] = x0 - h;
      const down = F.softmaxCrossEntropy(logits, labels, rows, cols, scratch);
      logits[i] = x0;
      const onehot = labels[Math.floor(i / cols)] === i % cols ? 1 : 0;
      expect((up - down) / (2 * h)).toBeCloseTo((probs[i] - onehot) / rows, 7);
    }
  });

  it('softmaxCrossEntropy stays finite when the label probability underflows', () => {
    const logits = new Float32Array([1000, -1000, 0]);
    const loss = F.softmaxCrossEntropy(logits, new Int32Array([1]), 1, 3, new Float32Array(3));
    expect(loss).toBeCloseTo(2000, 6);
  });

  it('sgd and momentum follow their textbook recurrences', () => {
    const p = new Float64Array([1, -2]);
    F.sgdUpdate(p, new Float64Array([0.5, -1]), 0.1);
    expect(Array.from(p)).toEqual([1 - 0.1 * 0.5, -2 + 0.1]);
    const q = new Float64Array([1]);
    const v = new Float64Array([0]);
    F.momentumUpdate(q, new Float64Array([2]), v, 0.1, 0.9); // v = 2, q = 0.8
    F.momentumUpdate(q, new Float64Array([1]), v, 0.1, 0.9); // v = 2.8, q = 0.52
    expect(v[0]).toBeCloseTo(2.8, 12);
    expect(q[0]).toBeCloseTo(0.52, 12);
  });

  it('adam takes a first step of lr * sign(g); adamw also decays the weights', () => {
    const g = new Float64Array([3, -0.01, 0]);
    const p = new Float64Array([1, 1, 1]);
    F.adamUpdate(p, g, new Float64Array(3), new Float64Array(3), 0.01, 0.9, 0.999, 1e-12, 1);
    expect(p[0]).toBeCloseTo(0.99, 9);
    expect(p[1]).toBeCloseTo(1.01, 9);
    expect(p[2]).toBe(1);
    const pw = new Float64Array([2]);
    F.adamUpdate(pw, new Float64Array([0]), new Float64Array(1), new Float64Array(1), 0.1, 0.9, 0.999, 1e-8, 1, 0.5);
    expect(pw[0]).toBeCloseTo(2 * (1 - 0.1 * 0.5), 12);
    expect(() => adamScalars(0.1, 0.9, 0.999, 0)).toThrow(/t must be >= 1/);
  });
});
