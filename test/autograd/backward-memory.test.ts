// Storage, not the ledger: what a forward and a backward pass leave allocated in WASM memory.
// A step's arena frees everything when the step ends, so anything an op or the backward pass
// does not free itself is alive at once for the whole step (a ResNet-20 step at batch 32 held
// 1.27 GB this way while its ledger peak was 78 MB).
import { describe, expect, it } from 'vitest';
import {
  buildModel,
  classification,
  conv2d,
  customVjp,
  isWeightLayer,
  mul,
  normal,
  replaceInputVjp,
  rng,
  scalar,
  sum,
  tanh,
  vjp,
  type Model,
  type ModelSpec,
  type Tensor,
} from '../../src/index.ts';
import { installBackend } from '../../src/kernels-api.ts';
import { conv2dBackwardInput, conv2dBackwardParams } from '../../src/autograd/image-ops.ts';
import { withArena } from '../../src/tensor/tensor.ts';
import { CONFORMANCE_MODELS } from '../../src/testing.ts';
import { sizeClass } from '../../src/kernels/wasm/allocator.ts';
import { loadWasmBackend } from '../../src/kernels/wasm/index.ts';

// This file measures the process's WASM backend whatever RULEBENCH_BACKEND says.
const W = loadWasmBackend();
installBackend(W);

const live = () => W.memoryStats().liveBytes;
const blocks = (...ts: Tensor[]) => ts.reduce((s, t) => s + sizeClass(t.bytes), 0);
const r = rng('backward-memory');

describe('conv2d frees its scratch', () => {
  const x = normal([4, 3, 12, 12], 0, 1, r.child('x'));
  const w = normal([5, 3, 3, 3], 0, 1, r.child('w'));
  const b = normal([5], 0, 1, r.child('b'));
  const opts = { stride: 1, padding: 1 };

  it('the forward leaves only its output (not the im2col columns or the GEMM result)', () =>
    withArena(() => {
      const before = live();
      const y = conv2d(x, w, b, opts);
      expect(live() - before).toBe(blocks(y));
    }));

  it('the input and parameter cotangents leave only themselves', () =>
    withArena(() => {
      const g = normal([4, 5, 12, 12], 0, 1, r.child('g'));
      const before = live();
      const dx = conv2dBackwardInput(g, w, x.shape, opts);
      const { weight, bias } = conv2dBackwardParams(g, x, w.shape, opts);
      expect(live() - before).toBe(blocks(dx, weight, bias));
    }));
});

describe('a backward pass frees the cotangents it no longer needs', () => {
  // Feedback layers (customVjp marked pure) in place of every weight layer, as feedback alignment builds them.
  const withFeedback = (m: Model) =>
    m.map((l) =>
      isWeightLayer(l) ? replaceInputVjp(l, (g, x) => l.inputVjp(g, normal(l.params.weight.shape, 0, 1, r.child(l.path)), x.shape)) : l,
    );
  for (const [arch, feedback] of [
    ['conv', false],
    ['residual', false],
    ['residual', true],
  ] as const) {
    it(`${arch} net${feedback ? ' with feedback layers' : ''}: after backward, only the gradients it returns are new`, () =>
      withArena(() => {
        const built = buildModel(CONFORMANCE_MODELS[arch] as ModelSpec, { sampleShape: [1, 6, 6], outputs: 4 });
        const model = feedback ? withFeedback(built) : built;
        const params = model.init(rng(1).child('init'));
        const x = normal([8, 1, 6, 6], 0, 1, r.child(arch));
        const batch = { x, labels: Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3]), size: 8 };
        const task = classification(4);
        const seed = scalar(1);
        const { vjpFn } = vjp((p: Tensor[]) => task.loss(model.forward(p, x, { training: true }), batch), params);
        const afterForward = live();
        const grads = vjpFn(seed);
        expect(grads).toHaveLength(params.length);
        expect(live() - afterForward).toBe(blocks(...grads));
      }));
  }

  it('never frees what a customVjp was given: a rule may keep it past the pass', () =>
    withArena(() => {
      let kept: Tensor | null = null;
      let copy: Float32Array | null = null;
      const keepIt = customVjp(
        'keep',
        (t: Tensor) => ({ out: t }),
        (_s, g) => {
          kept = g;
          copy = Float32Array.from(g.data);
          return [mul(g, scalar(1))];
        },
      );
      const x = normal([64, 64], 0, 1, r.child('keep'));
      const f = (p: Tensor[]) => sum(tanh(keepIt(tanh(tanh(p[0])))));
      const { vjpFn } = vjp(f, [x]);
      vjpFn(scalar(1));
      // More passes of the same shapes: storage freed by the first would be reused here.
      for (let i = 0; i < 3; i++) vjp(f, [x]).vjpFn(scalar(1));
      expect(Array.from(kept!.data)).toEqual(Array.from(copy!));
    }));
});
