// Losses: hand-computed values, gradchecks, stability at extreme logits, accuracy.
import { describe, expect, it } from 'vitest';
import { accuracy, binaryCrossEntropy, crossEntropy, mse } from '../../src/nn/losses.ts';
import { ShapeError } from '../../src/errors.ts';
import { gradcheck } from '../../src/autograd/gradcheck.ts';
import { valueAndGrad } from '../../src/autograd/functional.ts';
import { rng } from '../../src/random.ts';
import { tensor, uniform, type Tensor } from '../../src/tensor/tensor.ts';

const r = rng('losses');

describe('crossEntropy', () => {
  it('equals the hand-computed mean −log softmax[label]', () => {
    const logits = tensor([
      [1, 2, 3],
      [0, 0, 0],
    ]);
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    const want = (lse - 1 + Math.log(3)) / 2; // row 0 label 0, row 1 label 2
    expect(crossEntropy(logits, [0, 2]).item()).toBeCloseTo(want, 6);
  });

  it('passes gradcheck', () => {
    expect(gradcheck((x) => crossEntropy(x, [1, 0, 3]), [uniform([3, 4], -2, 2, r)]).ok).toBe(true);
  });

  it('is finite at logits ±1000, with the right value and gradient', () => {
    const logits = tensor([
      [1000, -1000],
      [-1000, 1000],
    ]);
    const { value, grads } = valueAndGrad((x: Tensor) => crossEntropy(x, [0, 0]))(logits);
    expect(value.item()).toBeCloseTo(1000, 3); // row 0: 0, row 1: 2000, mean 1000
    expect(grads.toArray()).toEqual([0, 0, -0.5, 0.5]);
  });
});

describe('mse', () => {
  it('is the batch mean of ½·Σ(out − y)²', () => {
    const out = tensor([
      [1, 2],
      [3, 5],
    ]);
    const y = tensor([
      [0, 2],
      [1, 1],
    ]);
    // row 0: ½·1 = 0.5; row 1: ½·(4 + 16) = 10; mean over 2 rows: 5.25
    expect(mse(out, y).item()).toBeCloseTo(5.25, 6);
    const { grads } = valueAndGrad((o: Tensor) => mse(o, y))(out);
    expect(grads.toArray()).toEqual([0.5, 0, 1, 2]); // (out − y) / batch
  });

  it('passes gradcheck in both arguments', () => {
    expect(gradcheck(mse, [uniform([4, 3], -2, 2, r), uniform([4, 3], -2, 2, r)]).ok).toBe(true);
  });

  it('rejects mismatched shapes naming mse', () => {
    expect(() => mse(tensor([[1, 2]]), tensor([1, 2]))).toThrow(ShapeError);
    expect(() => mse(tensor([[1, 2]]), tensor([1, 2]))).toThrow(/mse/);
  });
});

describe('binaryCrossEntropy', () => {
  it('matches −[y log σ(z) + (1−y) log(1−σ(z))] averaged over elements', () => {
    const z = [0.5, -1.5, 2, 0];
    const y = [1, 0, 0.25, 1];
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const want = z.reduce((acc, zi, i) => acc - (y[i] * Math.log(s(zi)) + (1 - y[i]) * Math.log(1 - s(zi))), 0) / 4;
    expect(binaryCrossEntropy(tensor([z.slice(0, 2), z.slice(2)]), tensor([y.slice(0, 2), y.slice(2)])).item()).toBeCloseTo(want, 6);
  });

  it('passes gradcheck in logits and targets', () => {
    expect(gradcheck(binaryCrossEntropy, [uniform([3, 2], -3, 3, r), uniform([3, 2], 0, 1, r)]).ok).toBe(true);
  });

  it('is finite at logits ±1000, with gradient (σ(z) − y)/n', () => {
    const z = tensor([1000, -1000, 1000, -1000]);
    const y = tensor([1, 0, 0, 1]);
    const { value, grads } = valueAndGrad((x: Tensor) => binaryCrossEntropy(x, y))(z);
    expect(value.item()).toBeCloseTo(500, 3); // two perfect (0), two wrong by 1000
    expect(grads.toArray()).toEqual([0, 0, 0.25, -0.25]);
  });
});

describe('accuracy', () => {
  it('counts arg-max hits, first index on ties', () => {
    const logits = tensor([
      [0.1, 0.9, 0.0],
      [2, 1, 2],
      [0, 0, 5],
      [3, 1, 2],
    ]);
    expect(accuracy(logits, [1, 0, 2, 1])).toBe(0.75);
    expect(accuracy(logits, [1, 2, 2, 1])).toBe(0.5); // the tie in row 1 goes to class 0
  });

  it('rejects a label count that differs from the batch', () => {
    expect(() => accuracy(tensor([[1, 2]]), [0, 1])).toThrow(ShapeError);
  });
});
