import { describe, expect, it } from 'vitest';
import { ShapeError, full, ones, reshape, rng, tensor, transpose, uniform, zeros } from '../../src/index.ts';
import * as R from '../../src/index.ts';

describe('Tensor', () => {
  it('builds from nested arrays, row-major', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(t.get(1, 0)).toBe(4);
    expect(t.toNested()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('rejects ragged arrays and bad shapes with ShapeError', () => {
    expect(() => tensor([[1, 2], [3]])).toThrowError(ShapeError);
    expect(() => zeros([2, -1])).toThrowError(/invalid shape/);
    expect(() => reshape(zeros([2, 3]), [4, 2])).toThrowError(/reshape/);
  });

  it('creation helpers fill as asked; seeded draws are reproducible', () => {
    expect(ones([2, 2]).toArray()).toEqual([1, 1, 1, 1]);
    expect(full([3], 2.5).toArray()).toEqual([2.5, 2.5, 2.5]);
    expect(uniform([10], -1, 1, rng(1)).toArray()).toEqual(uniform([10], -1, 1, rng(1)).toArray());
    const u = uniform([1000], -1, 1, rng(2)).toArray();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...u)).toBeLessThan(1);
  });

  it('general broadcasting, transposes and reductions compute the right values', () => {
    const a = tensor([[[1], [2]]]); // [1,2,1]
    const b = tensor([10, 20, 30]); // [3]
    expect(R.add(a, b).toNested()).toEqual([
      [
        [11, 21, 31],
        [12, 22, 32],
      ],
    ]);
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(transpose(x).toNested()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(R.sum(x, 0).toArray()).toEqual([5, 7, 9]);
    expect(R.max(x, 1).toArray()).toEqual([3, 6]);
    expect(R.mean(x).item()).toBe(3.5);
    expect(R.matmul(x, x, false, true).toNested()).toEqual([
      [14, 32],
      [32, 77],
    ]);
    expect(R.matmul(x, x, true, false).toNested()).toEqual([
      [17, 22, 27],
      [22, 29, 36],
      [27, 36, 45],
    ]);
    expect(R.concat([x, x], 0).shape).toEqual([4, 3]);
    expect(R.slice(x, 1, 1, 3).toNested()).toEqual([
      [2, 3],
      [5, 6],
    ]);
  });

  it('softmax is stable for large logits', () => {
    const p = R.softmax(tensor([[1000, 1000, -1000]])).toArray();
    expect(p[0]).toBeCloseTo(0.5, 6);
    expect(p[2]).toBe(0);
    expect(R.softmaxCrossEntropy(tensor([[1000, -1000]]), [1]).item()).toBeCloseTo(2000, 0);
  });
});
