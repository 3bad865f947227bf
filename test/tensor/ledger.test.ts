// The memory ledger: deterministic live/peak bytes by category.
import { describe, expect, it } from 'vitest';
import * as R from '../../src/index.ts';
import { Tensor, ledger, rng, softmaxCrossEntropy, uniform, valueAndGrad } from '../../src/index.ts';

const F32 = 4;

function mlp(sizes: number[], seed: string) {
  const r = rng(seed);
  return ledger().withCategory('param', () =>
    sizes.slice(1).map((out, i) => ({ w: uniform([out, sizes[i]], -0.5, 0.5, r), b: uniform([out], -0.1, 0.1, r) })),
  );
}

function loss(params: Array<{ w: Tensor; b: Tensor }>, x: Tensor, y: number[]) {
  let h = x;
  params.forEach((p, i) => {
    h = R.add(R.matmul(h, p.w, false, true), p.b);
    if (i < params.length - 1) h = R.relu(h);
  });
  return softmaxCrossEntropy(h, y);
}

describe('ledger', () => {
  const sizes = [20, 16, 12, 5];
  const batch = 8;
  const paramBytes = sizes.slice(1).reduce((s, o, i) => s + (o * sizes[i] + o) * F32, 0);

  it('counts parameters as live until released', () => {
    const before = ledger().liveBytes().param;
    const params = mlp(sizes, 'p');
    expect(ledger().liveBytes().param - before).toBe(paramBytes);
    for (const p of params) {
      p.w.release();
      p.b.release();
    }
    expect(ledger().liveBytes().param).toBe(before);
  });

  it('saves exactly the activation bytes computed from the shapes', () => {
    const params = mlp(sizes, 'p');
    const r = rng('x');
    const y = Array.from({ length: batch }, (_, i) => i % 5);
    const { memory } = ledger().measure(() => {
      const x = uniform([batch, sizes[0]], 0, 1, r);
      return valueAndGrad(loss)(params, x, y);
    });
    // Saved for backward: the input x (by the first matmul), each hidden ReLU output (by relu
    // and the next matmul, counted once), and the log-probabilities of the fused loss.
    const saved = batch * (sizes[0] + sizes[1] + sizes[2] + sizes[3]) * F32;
    expect(memory.peakByCategory['saved-activation']).toBe(saved);
    expect(memory.atPeak.param).toBeGreaterThanOrEqual(paramBytes);
    // Gradients of every parameter are live together at the end of the step.
    expect(memory.peakByCategory.grad).toBe(paramBytes);
    expect(memory.peakBytes).toBeGreaterThanOrEqual(paramBytes + saved);
  });

  it('peak is per step (reset between steps) and identical for identical steps', () => {
    const params = mlp(sizes, 'p');
    const y = Array.from({ length: batch }, (_, i) => i % 5);
    const stepOnce = (n: number) =>
      ledger().measure(() => valueAndGrad(loss)(params, uniform([n, sizes[0]], 0, 1, rng('x')), y.slice(0, n))).memory;
    const a = stepOnce(batch);
    const small = stepOnce(2);
    const b = stepOnce(batch);
    expect(b).toEqual(a);
    expect(small.peakBytes).toBeLessThan(a.peakBytes);
  });

  it('does not count non-persistent tensors outside a step, and kept ones until released', () => {
    const before = ledger().totalLiveBytes();
    R.zeros([1000]);
    expect(ledger().totalLiveBytes()).toBe(before);
    const k = R.zeros([1000]).keep('rule-state');
    expect(ledger().liveBytes()['rule-state']).toBeGreaterThanOrEqual(4000);
    k.release();
    expect(ledger().totalLiveBytes()).toBe(before);
  });

  it('frees a transient at its last use: a long chain of temporaries peaks low', () => {
    const { memory } = ledger().measure(() => {
      let t = R.zeros([1000]);
      for (let i = 0; i < 50; i++) t = R.add(t, R.scalar(1));
      return t;
    });
    // An input, an output and a scalar live at once, never 50 buffers.
    expect(memory.peakBytes - memory.startBytes).toBe(2 * 4000 + F32);
  });
});
