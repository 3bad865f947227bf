// A LeNet-5-shaped SGD training step built from kernel calls only (until conv ops land): conv
// 1→6 5×5 (pad 2, so 28×28 images act as 32×32), ReLU, 2×2 max pool, conv 6→16 5×5, ReLU, pool,
// dense 400→120→84→10 with ReLU, softmax cross-entropy, SGD. Buffers are allocated once, so this
// times the kernels and leaves out the autograd's own costs: a lower bound for the op-level net.
//
// Two GEMM orientations for the convolutions, to measure which one the conv op should use:
// - 'OxP' (the conv op as specified): out[O, N·P] = W[O, CKK] · cols[CKK, N·P];
//   dW = gMat · colsᵀ; dcols = Wᵀ · gMat; with block transposes NCHW ↔ CNHW around them.
// - 'PxO': outᵀ[N·P, O] = colsᵀ · Wᵀ (the long side N·P becomes the GEMM's rows, so the 5-row
//   micro-kernel wastes no rows on O = 6); dWᵀ = cols · gᵀ; dcols = Wᵀ · gᵀᵀ; with batched
//   2-D transposes [N, P, O] ↔ [N, O, P].
import type { Backend, Buf, WindowGeometry } from '../src/kernels/backend.ts';
import { STAGE, STAGE_WORDS } from '../src/kernels/optim-program.ts';
import type { Rng } from '../src/random.ts';

export type Orientation = 'OxP' | 'PxO';

export interface LenetStep {
  /** One SGD step on images [n, 784] (pixels in [0, 1]) and labels; returns the mean loss. */
  step(images: Float32Array, labels: Uint8Array | Int32Array): number;
  /** Multiply-adds of one step's GEMMs. */
  macs: number;
}

const win = (n: number, c: number, hw: number, k: number, p: number): WindowGeometry => ({
  n,
  c,
  h: hw,
  w: hw,
  kh: k,
  kw: k,
  sh: 1,
  sw: 1,
  ph: p,
  pw: p,
  oh: hw + 2 * p - k + 1,
  ow: hw + 2 * p - k + 1,
});
const pool = (n: number, c: number, hw: number): WindowGeometry => ({
  n,
  c,
  h: hw,
  w: hw,
  kh: 2,
  kw: 2,
  sh: 2,
  sw: 2,
  ph: 0,
  pw: 0,
  oh: hw / 2,
  ow: hw / 2,
});

export function lenetStep(B: Backend, n: number, rng: Rng, orientation: Orientation, lr = 0.05): LenetStep {
  const buf = (size: number): Buf => B.alloc(size);
  const param = (size: number, fanIn: number): Buf => {
    const b = buf(size);
    const s = Math.sqrt(6 / fanIn);
    for (let i = 0; i < size; i++) b[i] = rng.range(-s, s);
    return b;
  };
  const g1 = win(n, 1, 28, 5, 2); // → [n, 6, 28, 28]
  const q1 = pool(n, 6, 28); // → [n, 6, 14, 14]
  const g2 = win(n, 6, 14, 5, 0); // → [n, 16, 10, 10]
  const q2 = pool(n, 16, 10); // → [n, 16, 5, 5] = [n, 400]
  const P1 = 28 * 28,
    P2 = 100;
  const fc = [
    [400, 120],
    [120, 84],
    [84, 10],
  ] as const;

  const W1 = param(6 * 25, 25),
    b1 = buf(6),
    W2 = param(16 * 150, 150),
    b2 = buf(16);
  const Wf = fc.map(([i, o]) => param(o * i, i)),
    bf = fc.map(([, o]) => buf(o));
  const params = [W1, b1, W2, b2, ...Wf, ...bf];
  const grads = params.map((p) => buf(p.length));
  const [dW1, db1, dW2, db2, ...rest] = grads;
  const dWf = rest.slice(0, 3),
    dbf = rest.slice(3);
  // Transposed weight gradients of the PxO orientation, transposed into dW1 / dW2.
  const dW1t = buf(25 * 6),
    dW2t = buf(150 * 16);

  const x = buf(n * 784);
  const cols1 = buf(25 * n * P1),
    z1 = buf(6 * n * P1),
    h1 = buf(n * 6 * P1),
    p1 = buf(n * 6 * 196),
    a1 = buf(n * 6 * 196);
  const cols2 = buf(150 * n * P2),
    z2 = buf(16 * n * P2),
    h2 = buf(n * 16 * P2),
    p2 = buf(n * 400),
    a2 = buf(n * 400);
  const zf = fc.map(([, o]) => buf(n * o)),
    hf = fc.map(([, o]) => buf(n * o));
  const probs = buf(n * 10),
    logp = buf(n * 10),
    onehot = buf(n * 10),
    mask = buf(Math.max(n * 6 * P1, 16 * n * P2));
  const dzf = fc.map(([, o]) => buf(n * o)),
    dhf = fc.map(([i]) => buf(n * i));
  const dh2 = buf(n * 16 * P2),
    g2m = buf(16 * n * P2),
    dcols2 = buf(150 * n * P2),
    dp1 = buf(n * 6 * 196);
  const dh1 = buf(n * 6 * P1),
    g1m = buf(6 * n * P1);
  const program = new Float64Array(STAGE_WORDS);
  program[0] = STAGE.scale;
  program[3] = -lr;
  const scale = buf(1);
  scale[0] = 1 / n;

  /** GEMM, then bias per output channel, then NCHW: z is [O, N·P] (OxP) or [N·P, O] (PxO). */
  const convForward = (cols: Buf, W: Buf, b: Buf, z: Buf, out: Buf, O: number, CKK: number, P: number): void => {
    if (orientation === 'OxP') {
      B.matmul(W, cols, z, O, n * P, CKK, false, false);
      B.binary('add', z, [O, n * P], b, [O, 1], z, [O, n * P]);
      B.transpose(z, [O, n, P], [1, 0, 2], out);
    } else {
      B.matmul(cols, W, z, n * P, O, CKK, true, true);
      B.binary('add', z, [n * P, O], b, [O], z, [n * P, O]);
      B.transpose(z, [n, P, O], [0, 2, 1], out);
    }
  };
  /** From the NCHW output gradient g: dW, db and (if dcols) the columns' gradient. */
  const convBackward = (
    g: Buf,
    gm: Buf,
    cols: Buf,
    W: Buf,
    dW: Buf,
    dWt: Buf,
    db: Buf,
    dcols: Buf | null,
    O: number,
    CKK: number,
    P: number,
  ): void => {
    if (orientation === 'OxP') {
      B.transpose(g, [n, O, P], [1, 0, 2], gm); // [O, N·P]
      B.matmul(gm, cols, dW, O, CKK, n * P, false, true);
      B.reduce('sum', gm, db, O, n * P, 1);
      if (dcols) B.matmul(W, gm, dcols, CKK, n * P, O, true, false);
    } else {
      B.transpose(g, [n, O, P], [0, 2, 1], gm); // [N·P, O]
      B.matmul(cols, gm, dWt, CKK, O, n * P, false, false);
      B.transpose(dWt, [CKK, O], [1, 0], dW);
      B.reduce('sum', gm, db, 1, n * P, O);
      if (dcols) B.matmul(W, gm, dcols, CKK, n * P, O, true, true);
    }
  };

  // conv1: forward and dW (its input needs no gradient); conv2 and the dense layers: forward, dW, dx.
  const macs = 2 * 6 * 25 * n * P1 + 3 * 16 * 150 * n * P2 + fc.reduce((a, [i, o]) => a + 3 * n * i * o, 0);

  return {
    macs,
    step(images, labels) {
      x.set(images.subarray(0, n * 784));
      onehot.fill(0);
      for (let i = 0; i < n; i++) onehot[i * 10 + labels[i]] = 1;
      // ---- forward
      B.im2col(x, cols1, g1);
      convForward(cols1, W1, b1, z1, h1, 6, 25, P1);
      B.unary('relu', h1, h1);
      B.maxPool2d(h1, p1, a1, q1);
      B.im2col(p1, cols2, g2);
      convForward(cols2, W2, b2, z2, h2, 16, 150, P2);
      B.unary('relu', h2, h2);
      B.maxPool2d(h2, p2, a2, q2);
      let h = p2;
      fc.forEach(([i, o], l) => {
        B.matmul(h, Wf[l], zf[l], n, o, i, false, true);
        B.binary('add', zf[l], [n, o], bf[l], [o], zf[l], [n, o]);
        if (l < 2) B.unary('relu', zf[l], hf[l]);
        h = l < 2 ? hf[l] : zf[l];
      });
      B.softmax(zf[2], logp, n, 10, true);
      let loss = 0;
      for (let i = 0; i < n; i++) loss -= logp[i * 10 + labels[i]];
      // ---- backward: dlogits = (softmax − onehot) / n
      B.softmax(zf[2], probs, n, 10, false);
      B.binary('sub', probs, [n, 10], onehot, [n, 10], dzf[2], [n, 10]);
      B.binary('mul', dzf[2], [n, 10], scale, [1], dzf[2], [n, 10]);
      for (let l = 2; l >= 0; l--) {
        const [i, o] = fc[l];
        const input = l === 0 ? p2 : hf[l - 1];
        B.matmul(dzf[l], input, dWf[l], o, i, n, true, false);
        B.reduce('sum', dzf[l], dbf[l], 1, n, o);
        B.matmul(dzf[l], Wf[l], dhf[l], n, i, o, false, false);
        if (l > 0) {
          B.unary('step', hf[l - 1], mask.subarray(0, n * i));
          B.binary('mul', dhf[l], [n, i], mask.subarray(0, n * i), [n, i], dzf[l - 1], [n, i]);
        }
      }
      B.maxPool2dBackward(dhf[0], a2, dh2, q2);
      B.unary('step', h2, mask.subarray(0, dh2.length));
      B.binary('mul', dh2, [dh2.length], mask.subarray(0, dh2.length), [dh2.length], dh2, [dh2.length]);
      convBackward(dh2, g2m, cols2, W2, dW2, dW2t, db2, dcols2, 16, 150, P2);
      B.col2im(dcols2, dp1, g2);
      B.maxPool2dBackward(dp1, a1, dh1, q1);
      B.unary('step', h1, mask.subarray(0, dh1.length));
      B.binary('mul', dh1, [dh1.length], mask.subarray(0, dh1.length), [dh1.length], dh1, [dh1.length]);
      convBackward(dh1, g1m, cols1, W1, dW1, dW1t, db1, null, 6, 25, P1);
      // ---- SGD
      for (let k = 0; k < params.length; k++) {
        if (!B.allFinite(grads[k])) throw new Error(`lenet bench: gradient ${k} is not finite`);
        B.optimizerStep(program, 1, params[k], grads[k], [], -1);
      }
      return loss / n;
    },
  };
}
