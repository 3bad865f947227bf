// Image primitives on NCHW tensors, PyTorch's functional layout: conv2d (weight [out, in, kh, kw])
// as im2col + one GEMM, max and average pooling. Their backward helpers are exported too: a
// feedback-alignment rule computes a conv's input cotangent with a kernel B in place of W.
// Rules call them outside any op's scratch arena, so each frees its own im2col scratch.
import { ShapeError } from '../errors.ts';
import { backend } from '../kernels/index.ts';
import type { WindowGeometry } from '../kernels/backend.ts';
import { empty, type Shape, type Tensor } from '../tensor/tensor.ts';
import { add, broadcastTo, define, reshape } from './ops.ts';
import { matmul as accumulatingMatmul } from './precision.ts';

export interface Conv2dOptions {
  /** One number for both axes, or [sh, sw]. Default 1. */
  stride?: number | readonly [number, number];
  /** Zero padding on each side: one number or [ph, pw]. Default 0. */
  padding?: number | readonly [number, number];
}

export interface Pool2dOptions {
  kernel: number | readonly [number, number];
  /** Default: the kernel size (non-overlapping windows). */
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
}

const pair = (v: number | readonly [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);
const fmt = (s: Shape) => `[${s.join(', ')}]`;

/** The sliding-window geometry of `op` over x [n, c, h, w], validated (names the op). */
export function windowGeometry(
  op: string,
  xShape: Shape,
  kernel: [number, number],
  stride: [number, number],
  padding: [number, number],
): WindowGeometry {
  if (xShape.length !== 4) throw new ShapeError(`${op}: expects input [batch, channels, height, width], got ${fmt(xShape)}`);
  const [n, c, h, w] = xShape;
  const [kh, kw] = kernel;
  const [sh, sw] = stride;
  const [ph, pw] = padding;
  for (const [name, v, min] of [
    ['kernel', kh, 1],
    ['kernel', kw, 1],
    ['stride', sh, 1],
    ['stride', sw, 1],
    ['padding', ph, 0],
    ['padding', pw, 0],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new ShapeError(`${op}: ${name} must be an integer ≥ ${min}, got ${v}`);
  }
  const oh = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
  if (oh < 1 || ow < 1) {
    throw new ShapeError(`${op}: a ${kh}×${kw} window (padding ${ph}×${pw}) does not fit input ${fmt(xShape)}`);
  }
  return { n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow };
}

interface ConvAttrs {
  stride: [number, number];
  padding: [number, number];
}

function convGeometry(xShape: Shape, wShape: Shape, a: ConvAttrs): WindowGeometry {
  if (wShape.length !== 4) throw new ShapeError(`conv2d: weight must be [out, in, kh, kw], got ${fmt(wShape)}`);
  if (xShape.length === 4 && xShape[1] !== wShape[1]) {
    throw new ShapeError(`conv2d: input has ${xShape[1]} channels but the weight ${fmt(wShape)} expects ${wShape[1]}`);
  }
  return windowGeometry('conv2d', xShape, [wShape[2], wShape[3]], a.stride, a.padding);
}

function im2col(x: Tensor, g: WindowGeometry): Tensor {
  const cols = empty([g.c * g.kh * g.kw, g.n * g.oh * g.ow]);
  backend().im2col(x.buf, cols.buf, g);
  return cols;
}

/** [a, b, rest] → [b, a, rest] (stored as `shape`): the GEMM works on channel-major rows. */
function swapLeading(t: Tensor, a: number, b: number, rest: number, shape: Shape = [b, a, rest]): Tensor {
  const out = empty(shape);
  backend().transpose(t.buf, [a, b, rest], [1, 0, 2], out.buf);
  return out;
}

/** Without a tape: x [n, c, h, w] ⊛ w [o, c, kh, kw] (+ b [o]) → [n, o, oh, ow]. */
function convForward(x: Tensor, w: Tensor, b: Tensor | null, a: ConvAttrs): Tensor {
  const g = convGeometry(x.shape, w.shape, a);
  const o = w.shape[0];
  const p = g.oh * g.ow;
  if (b && (b.rank !== 1 || b.shape[0] !== o)) throw new ShapeError(`conv2d: bias must be [${o}], got ${fmt(b.shape)}`);
  const cols = im2col(x, g);
  const mat = empty([o, g.n * p]);
  accumulatingMatmul(w.buf, cols.buf, mat.buf, o, g.n * p, g.c * g.kh * g.kw, false, false);
  cols.dispose();
  if (b) backend().binary('add', mat.buf, [o, g.n * p], b.buf, [o, 1], mat.buf, [o, g.n * p]);
  const out = swapLeading(mat, o, g.n, p, [g.n, o, g.oh, g.ow]);
  mat.dispose();
  return out;
}

/**
 * The input cotangent of a convolution with kernel `k` shaped like its weight (W itself for
 * backprop, a feedback kernel B for feedback alignment): the transposed convolution of gOut.
 */
export function conv2dBackwardInput(gOut: Tensor, k: Tensor, xShape: Shape, opts: Conv2dOptions = {}): Tensor {
  const g = convGeometry(xShape, k.shape, attrsOf(opts));
  const o = k.shape[0];
  const p = g.oh * g.ow;
  const gMat = swapLeading(gOut, g.n, o, p);
  const dcols = empty([g.c * g.kh * g.kw, g.n * p]);
  accumulatingMatmul(k.buf, gMat.buf, dcols.buf, g.c * g.kh * g.kw, g.n * p, o, true, false);
  gMat.dispose();
  const dx = empty(xShape);
  backend().col2im(dcols.buf, dx.buf, g);
  dcols.dispose();
  return dx;
}

/** The weight and bias cotangents of a convolution of x with output cotangent gOut. */
export function conv2dBackwardParams(gOut: Tensor, x: Tensor, wShape: Shape, opts: Conv2dOptions = {}): { weight: Tensor; bias: Tensor } {
  const g = convGeometry(x.shape, wShape, attrsOf(opts));
  const o = wShape[0];
  const p = g.oh * g.ow;
  const gMat = swapLeading(gOut, g.n, o, p);
  const cols = im2col(x, g);
  const dw = empty(wShape);
  accumulatingMatmul(gMat.buf, cols.buf, dw.buf, o, g.c * g.kh * g.kw, g.n * p, false, true);
  cols.dispose();
  const db = empty([o]);
  backend().reduce('sum', gMat.buf, db.buf, o, g.n * p, 1);
  gMat.dispose();
  return { weight: dw, bias: db };
}

function attrsOf(opts: Conv2dOptions): ConvAttrs {
  return { stride: pair(opts.stride ?? 1), padding: pair(opts.padding ?? 0) };
}

// The convolution saves its input and weight (as PyTorch does), not the im2col columns: the
// backward recomputes them, so saved-activation memory is the input's size.
const conv2dOp = define<ConvAttrs>({
  name: 'conv2d',
  forward: ([x, w, b], a) => ({ out: convForward(x, w, b ?? null, a), saved: [x, w] }),
  vjp: (g, [x, w], a, shapes, needs) => {
    const opts = { stride: a.stride, padding: a.padding };
    const dx = needs[0] ? conv2dBackwardInput(g, w, x.shape, opts) : null;
    const params = needs[1] || needs[2] ? conv2dBackwardParams(g, x, w.shape, opts) : null;
    const out: Array<Tensor | null> = [dx, params && needs[1] ? params.weight : null];
    if (shapes.length > 2) out.push(params && needs[2] ? params.bias : null);
    return out;
  },
  // Linear in x, in w and in b separately: d(x ⊛ w + b) = dx ⊛ w + x ⊛ dw + db.
  jvp: ([tx, tw, tb], { inputs: [x, w], out }, a) => {
    let t: Tensor | null = tx ? convForward(tx, w, tb ?? null, a) : null;
    if (tw) t = t ? add(t, convForward(x, tw, null, a)) : convForward(x, tw, tb ?? null, a);
    if (!t && tb) t = broadcastTo(reshape(tb, [1, tb.size, 1, 1]), out.shape);
    return t;
  },
});

/** 2-D convolution (cross-correlation, as PyTorch): x [n, c, h, w], w [o, c, kh, kw], b [o] or null. */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  return conv2dOp(b ? [x, w, b] : [x, w], attrsOf(opts));
}

interface PoolAttrs {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
}

function poolAttrs(opts: Pool2dOptions): PoolAttrs {
  const kernel = pair(opts.kernel);
  return { kernel, stride: pair(opts.stride ?? kernel), padding: pair(opts.padding ?? 0) };
}

function poolGeometry(op: string, xShape: Shape, a: PoolAttrs): WindowGeometry {
  const g = windowGeometry(op, xShape, a.kernel, a.stride, a.padding);
  if (2 * a.padding[0] > a.kernel[0] || 2 * a.padding[1] > a.kernel[1]) {
    throw new ShapeError(`${op}: padding ${a.padding.join('×')} must be at most half the kernel ${a.kernel.join('×')}`);
  }
  return g;
}

const maxPool2dOp = define<PoolAttrs>({
  name: 'maxPool2d',
  forward: ([x], a) => {
    const g = poolGeometry('maxPool2d', x.shape, a);
    const out = empty([g.n, g.c, g.oh, g.ow]);
    // Winner offsets are saved as float32: exact for planes under 2²⁴ elements.
    const argmax = empty(out.shape);
    backend().maxPool2d(x.buf, out.buf, argmax.buf, g);
    return { out, saved: [argmax] };
  },
  vjp: (g, [argmax], a, [sx]) => {
    const geom = poolGeometry('maxPool2d', sx, a);
    const dx = empty(sx);
    backend().maxPool2dBackward(g.buf, argmax.buf, dx.buf, geom);
    return [dx];
  },
  // The tangent at each window's winner (the transpose of the VJP's scatter).
  jvp: ([t], { out, saved: [argmax] }, a) => {
    if (!t) return null;
    const geom = poolGeometry('maxPool2d', t.shape, a);
    const plane = geom.h * geom.w;
    const outPlane = geom.oh * geom.ow;
    const dt = empty(out.shape);
    for (let p = 0; p < geom.n * geom.c; p++) {
      for (let k = 0; k < outPlane; k++) dt.data[p * outPlane + k] = t.data[p * plane + argmax.data[p * outPlane + k]];
    }
    return dt;
  },
});

const avgPool2dOp: (inputs: readonly Tensor[], attrs: PoolAttrs) => Tensor = define<PoolAttrs>({
  name: 'avgPool2d',
  forward: ([x], a) => {
    const g = poolGeometry('avgPool2d', x.shape, a);
    const out = empty([g.n, g.c, g.oh, g.ow]);
    backend().avgPool2d(x.buf, out.buf, g);
    return { out, saved: [] };
  },
  vjp: (g, _s, a, [sx]) => {
    const geom = poolGeometry('avgPool2d', sx, a);
    const dx = empty(sx);
    backend().avgPool2dBackward(g.buf, dx.buf, geom);
    return [dx];
  },
  jvp: ([t], _p, a): Tensor | null => t && avgPool2dOp([t], a),
});

/** Max over kernel windows (padding never wins). */
export const maxPool2d = (x: Tensor, opts: Pool2dOptions): Tensor => maxPool2dOp([x], poolAttrs(opts));
/** Mean over kernel windows (padding counted as zeros, PyTorch's default). */
export const avgPool2d = (x: Tensor, opts: Pool2dOptions): Tensor => avgPool2dOp([x], poolAttrs(opts));
