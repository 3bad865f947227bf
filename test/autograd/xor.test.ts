// XOR from scratch with a 2-layer tanh/sigmoid MLP, autograd + plain SGD written out here.
import { describe, expect, it } from 'vitest';
import * as R from '../../src/index.ts';
import { Tensor, noGrad, rng, tensor, uniform, valueAndGrad } from '../../src/index.ts';

type Params = { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor };

function forward(p: Params, x: Tensor): Tensor {
  const h = R.tanh(R.add(R.matmul(x, p.w1, false, true), p.b1));
  return R.sigmoid(R.add(R.matmul(h, p.w2, false, true), p.b2));
}

function trainXor(seed: number, steps = 2000, lr = 0.5) {
  const r = rng(seed).child('init');
  const p: Params = {
    w1: uniform([4, 2], -1, 1, r),
    b1: uniform([4], -1, 1, r),
    w2: uniform([1, 4], -1, 1, r),
    b2: uniform([1], -1, 1, r),
  };
  const x = tensor([
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ]);
  const y = tensor([[0], [1], [1], [0]]);
  const loss = (q: Params) => R.mean(R.square(R.sub(forward(q, x), y)));
  let last = Infinity;
  for (let s = 0; s < steps; s++) {
    const { value, grads } = valueAndGrad(loss)(p);
    last = value.item();
    for (const k of Object.keys(p) as Array<keyof Params>) {
      const w = p[k].data;
      const g = grads[k].data;
      for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
    }
  }
  const out = noGrad(() => forward(p, x)).toArray();
  return { p, last, predictions: out.map((v) => (v > 0.5 ? 1 : 0)) };
}

describe('XOR from scratch', () => {
  it('reaches 100% accuracy from a fixed seed', () => {
    const { predictions, last } = trainXor(1);
    expect(predictions).toEqual([0, 1, 1, 0]);
    expect(last).toBeLessThan(0.01);
  });

  it('the same seed gives bit-identical weights; another seed differs', () => {
    const a = trainXor(1, 300);
    const b = trainXor(1, 300);
    const c = trainXor(2, 300);
    for (const k of ['w1', 'b1', 'w2', 'b2'] as const) expect(Array.from(b.p[k].data)).toEqual(Array.from(a.p[k].data));
    expect(Array.from(c.p.w1.data)).not.toEqual(Array.from(a.p.w1.data));
  });
});
