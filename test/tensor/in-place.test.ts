// axpbyInPlace: y ← a·y + b·x in one kernel call, bit for bit as the per-element JS loop it
// replaces in rules (predictive coding's value-node relaxation).
import { describe, expect, it } from 'vitest';
import { axpbyInPlace, fromArray, rng, ShapeError } from '../../src/index.ts';

const r = rng('in-place-test');
const rand = (n: number) =>
  fromArray(
    Array.from({ length: n }, () => r.range(-3, 3)),
    [n],
  );

describe('axpbyInPlace', () => {
  it('matches the JS loop y[k] = a·y[k] + b·x[k] on float32 storage bit for bit', () => {
    for (const n of [1, 5, 4099]) {
      for (const [a, b] of [
        [1, -0.1],
        [0.57, 1],
        [-2.5, 0.3],
      ]) {
        const y = rand(n);
        const x = rand(n);
        const expected = Float32Array.from(y.data);
        for (let k = 0; k < n; k++) expected[k] = a * expected[k] + b * x.data[k];
        expect(axpbyInPlace(y, a, x, b)).toBe(y);
        expect(Array.from(new Uint32Array(Float32Array.from(y.data).buffer))).toEqual(Array.from(new Uint32Array(expected.buffer)));
      }
    }
  });

  it('refuses tensors of different sizes, naming both', () => {
    expect(() => axpbyInPlace(rand(4), 1, rand(5), 1)).toThrow(ShapeError);
    expect(() => axpbyInPlace(rand(4), 1, rand(5), 1)).toThrow(/x has 5 elements, y has 4/);
  });
});
