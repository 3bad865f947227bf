// Tape behaviour: deep chains, accumulation, custom VJPs, stopping gradients, error naming.
import { describe, expect, it } from 'vitest';
import * as R from '../../src/index.ts';
import {
  NumericsError,
  ShapeError,
  Tensor,
  customVjp,
  noGrad,
  scalar,
  stopGradient,
  tensor,
  valueAndGrad,
  vjp,
  withAnomalyMode,
} from '../../src/index.ts';
import { withLayer } from '../../src/autograd/tape.ts';

describe('tape', () => {
  it('differentiates a chain 100,000 ops deep without recursion limits', () => {
    const { value, grads } = valueAndGrad((x: Tensor) => {
      let y = x;
      for (let i = 0; i < 100_000; i++) y = R.mul(y, scalar(1.00001));
      return R.sum(y);
    })(tensor([1]));
    const expected = Math.pow(1.00001, 100_000);
    expect(value.item()).toBeCloseTo(expected, 2);
    expect(grads.data[0]).toBeCloseTo(expected, 2);
  });

  it('accumulates the gradient of a value used twice', () => {
    // f(x) = x·x + 3x  ⇒  f'(x) = 2x + 3
    const { grads } = valueAndGrad((x: Tensor) => R.sum(R.add(R.mul(x, x), R.mul(x, scalar(3)))))(tensor([2, -1]));
    expect(grads.toArray()).toEqual([7, 1]);
  });

  it('returns gradients in the structure of the inputs, zeros for unused leaves', () => {
    const p = { a: tensor([1, 2]), b: [tensor([3]), tensor([4])] };
    const { grads } = valueAndGrad((q: typeof p) => R.sum(R.mul(q.a, q.b[0])))(p);
    expect(grads.a.toArray()).toEqual([3, 3]);
    expect(grads.b[0].toArray()).toEqual([3]);
    expect(grads.b[1].toArray()).toEqual([0]);
  });

  it('never marks the caller tensors and does not record under noGrad', () => {
    const x = tensor([1, 2]);
    valueAndGrad((p: Tensor) => R.sum(p))(x);
    expect(x.trace).toBeNull();
    const { grads } = valueAndGrad((p: Tensor) => noGrad(() => R.sum(R.mul(p, p))))(x);
    expect(grads.toArray()).toEqual([0, 0]);
  });

  it('stopGradient blocks the cotangent', () => {
    const { grads } = valueAndGrad((x: Tensor) => R.sum(R.mul(x, stopGradient(x))))(tensor([3]));
    expect(grads.toArray()).toEqual([3]);
  });

  it('vjp maps an output cotangent to input cotangents', () => {
    const { out, vjpFn } = vjp((x: Tensor) => R.mul(x, scalar(2)), tensor([1, 2, 3]));
    expect(out.toArray()).toEqual([2, 4, 6]);
    expect(vjpFn(tensor([1, 0, -1])).toArray()).toEqual([2, 0, -2]);
  });

  it('customVjp replaces the backward pass', () => {
    // Identity forward, doubled backward.
    const twice = customVjp(
      'twice',
      (x: Tensor) => ({ out: x }),
      (_s, g) => [R.mul(g, scalar(2))],
    );
    const { value, grads } = valueAndGrad((x: Tensor) => R.sum(twice(x)))(tensor([1, 5]));
    expect(value.item()).toBe(6);
    expect(grads.toArray()).toEqual([2, 2]);
  });

  it('a VJP returning a wrongly shaped cotangent throws a ShapeError naming the op', () => {
    const bad = customVjp(
      'badShape',
      (x: Tensor) => ({ out: R.tanh(x) }),
      () => [tensor([1, 2, 3])],
    );
    expect(() => valueAndGrad((x: Tensor) => R.sum(bad(x)))(tensor([1, 2]))).toThrowError(/badShape/);
    expect(() => valueAndGrad((x: Tensor) => R.sum(bad(x)))(tensor([1, 2]))).toThrowError(ShapeError);
  });

  it('forward shape errors name the op', () => {
    expect(() => R.matmul(tensor([[1, 2]]), tensor([[1, 2]]))).toThrowError(/matmul: inner dimensions/);
    expect(() => R.add(tensor([1, 2]), tensor([1, 2, 3]))).toThrowError(/add: shapes \[2\] and \[3\] do not broadcast/);
  });

  it('anomaly mode names the first op producing NaN and its layer', () => {
    const f = (x: Tensor) => R.sum(R.exp(withLayer('hidden1', () => R.log(x))));
    expect(() => withAnomalyMode(() => valueAndGrad(f)(tensor([1, -1])))).toThrowError(NumericsError);
    expect(() => withAnomalyMode(() => valueAndGrad(f)(tensor([1, -1])))).toThrowError(/op "log".*layer "hidden1"/);
    // Off by default: the NaN just propagates.
    expect(Number.isNaN(valueAndGrad(f)(tensor([1, -1])).value.item())).toBe(true);
  });

  it('anomaly mode catches NaN first appearing in backward', () => {
    // sqrt at 0 is finite forward, infinite slope backward.
    expect(() => withAnomalyMode(() => valueAndGrad((x: Tensor) => R.sum(R.sqrt(x)))(tensor([0, 1])))).toThrowError(
      /in the backward of "sqrt"/,
    );
  });
});

describe('unneeded cotangents', () => {
  it('backward skips the matmul for the input batch (nothing differentiates it)', async () => {
    const { tensor: t, matmul, tanh, sum: total, valueAndGrad: vg } = await import('../../src/index.ts');
    const { backend, withBackend } = await import('../../src/kernels-api.ts');
    const real = backend();
    let calls = 0;
    withBackend(
      {
        ...real,
        matmul: (...args: Parameters<typeof real.matmul>) => {
          calls++;
          real.matmul(...args);
        },
      },
      () => {
        const x = t([
          [1, 2],
          [3, 4],
        ]);
        const w = t([
          [0.5, -1],
          [2, 0.1],
        ]);
        const v = t([[1], [-1]]);
        vg((p: Tensor[]) => total(matmul(tanh(matmul(x, p[0])), p[1])))([w, v]);
      },
    );
    // Forward 2; backward: dv, dh (needed to reach w) and dw — but not dx.
    expect(calls).toBe(5);
  });
});
