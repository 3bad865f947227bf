// LayerNorm: normalizes the last axis, applies gain/bias, and its composed gradient checks out.
import { describe, expect, it } from 'vitest';
import { layerNorm, layerNormParams } from '../../src/nn/norm.ts';
import { ShapeError } from '../../src/errors.ts';
import { gradcheck, vjpCheck } from '../../src/autograd/gradcheck.ts';
import { rng } from '../../src/random.ts';
import { tensor, uniform } from '../../src/tensor/tensor.ts';

const r = rng('norm');

describe('layerNorm', () => {
  it('gives zero mean, unit variance rows at init, then applies gain and bias', () => {
    const x = tensor([
      [1, 2, 3, 4],
      [10, 10, 10, 14],
    ]);
    const { gain, bias } = layerNormParams(4);
    const y = layerNorm(x, gain, bias, 0);
    for (let row = 0; row < 2; row++) {
      const v = y.toArray().slice(row * 4, row * 4 + 4);
      const mean = v.reduce((a, b) => a + b) / 4;
      const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / 4;
      expect(mean).toBeCloseTo(0, 6);
      expect(variance).toBeCloseTo(1, 5);
    }
    // Row 0: mean 2.5, variance 1.25 → (1 − 2.5)/√1.25 = −1.3416...
    expect(y.get(0, 0)).toBeCloseTo(-1.5 / Math.sqrt(1.25), 5);
    const z = layerNorm(x, tensor([2, 2, 2, 2]), tensor([1, 0, 0, 0]), 0);
    expect(z.get(0, 0)).toBeCloseTo(1 + (2 * -1.5) / Math.sqrt(1.25), 5);
    expect(z.get(0, 1)).toBeCloseTo((2 * -0.5) / Math.sqrt(1.25), 5);
  });

  it('eps keeps a constant row finite', () => {
    const { gain, bias } = layerNormParams(3);
    expect(layerNorm(tensor([[5, 5, 5]]), gain, bias).toArray()).toEqual([0, 0, 0]);
  });

  it('passes gradcheck in x, gain and bias', () => {
    const inputs = [uniform([3, 5], -2, 2, r), uniform([5], 0.5, 1.5, r), uniform([5], -1, 1, r)];
    const f = (x: (typeof inputs)[0], g: (typeof inputs)[0], b: (typeof inputs)[0]) => layerNorm(x, g, b, 1e-5);
    const res = gradcheck(f, inputs);
    expect(res.ok, JSON.stringify(res.worst)).toBe(true);
    expect(vjpCheck(f, [uniform([2, 3, 16], -2, 2, r), uniform([16], 0.5, 1.5, r), uniform([16], -1, 1, r)]).ok).toBe(true);
  });

  it('rejects a gain that does not match the last axis', () => {
    const { bias } = layerNormParams(4);
    expect(() => layerNorm(uniform([2, 4], -1, 1, r), tensor([1, 1, 1]), bias)).toThrow(ShapeError);
    expect(() => layerNorm(uniform([2, 4], -1, 1, r), tensor([1, 1, 1]), bias)).toThrow(/layerNorm: gain/);
  });
});
