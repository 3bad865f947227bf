// Ops allocate the outputs their kernels overwrite entirely without zeroing them (uninitialized()).
// Every recycled block is poisoned with NaN first: a forward and backward pass over most ops must
// then give, bit for bit, what it gives on a backend whose free blocks are clean (and an output
// that needs zeros, like slice's cotangent, must still get them).
import { describe, expect, it } from 'vitest';
import {
  add,
  broadcastTo,
  conv2d,
  exp,
  leakyRelu,
  logSoftmax,
  matmul,
  max,
  maxPool2d,
  mean,
  mul,
  normal,
  pow,
  relu,
  reshape,
  rng,
  sigmoid,
  slice,
  softmax,
  sum,
  tanh,
  transpose,
  vjp,
  type Tensor,
} from '../../src/index.ts';
import { withBackend } from '../../src/kernels-api.ts';
import { createWasmBackend, type WasmBackend } from '../../src/kernels/wasm/index.ts';
import { withArena } from '../../src/tensor/tensor.ts';

/** Every size class up to `maxElements` gets `copies` freed blocks filled with `value`. */
function poison(W: WasmBackend, value: number, maxElements: number, copies: number): void {
  const held: Float32Array[] = [];
  for (let c = 0; c < copies; c++) {
    for (let n = 1; n <= maxElements; n++) held.push((W.alloc(n) as Float32Array).fill(value));
  }
  for (const b of held) W.free(b);
}

/** A forward and backward pass through matmul, broadcasting, reductions, softmax, conv and pooling. */
function pass(): Float32Array[] {
  const r = rng('uninitialized-outputs');
  const x = normal([4, 2, 6, 6], 0, 1, r.child('x'));
  const k = normal([3, 2, 3, 3], 0, 1, r.child('k'));
  const kb = normal([3], 0, 1, r.child('kb'));
  const w = normal([10, 27], 0, 1, r.child('w'));
  const b = normal([10], 0, 1, r.child('b'));
  return withArena(() => {
    const f = ([xx, kk, kbb, ww, bb]: Tensor[]): Tensor => {
      const h = maxPool2d(relu(conv2d(xx, kk, kbb, { stride: 1, padding: 1 })), { kernel: 2 });
      const flat = reshape(h, [4, 27]);
      const z = add(matmul(flat, transpose(ww, [1, 0])), bb);
      const a = leakyRelu(tanh(z), 0.1);
      const s = add(softmax(a), mul(sigmoid(pow(z, 2)), broadcastTo(max(z, 0, true), [4, 10])));
      // slice's cotangent is zero outside the slice: its buffer must stay zero-filled.
      return add(add(sum(logSoftmax(s)), mean(exp(a))), add(sum(max(z, 1)), sum(slice(a, 1, 2, 7))));
    };
    const { out, vjpFn } = vjp(f, [x, k, kb, w, b]);
    const grads = vjpFn(normal([], 0, 1, rng('seed')));
    return [out, ...grads].map((t) => Float32Array.from(t.data));
  });
}

describe('uninitialized op outputs', () => {
  it('give the same values and gradients on NaN-poisoned recycled blocks as on clean ones', () => {
    const clean = withBackend(createWasmBackend({ maxPages: 4096 }), pass);
    const poisoned = createWasmBackend({ maxPages: 4096 });
    poison(poisoned, NaN, 1200, 24);
    const got = withBackend(poisoned, pass);
    expect(clean.every((t) => t.every(Number.isFinite))).toBe(true);
    expect(got.map((t) => Array.from(t))).toEqual(clean.map((t) => Array.from(t)));
  });
});
