// The primitive ops. Each is one declarative record beside its forward: the forward kernel
// call, which residuals it saves, its VJP as a function of those residuals only, and its JVP
// (forward mode). Composite ops (in functional.ts and src/nn) are built from these.
//
// Adding a primitive: `define({ name, forward, vjp, jvp })`. `jvp(tangents, { inputs, out,
// saved }, attrs)` returns the output's tangent J·t (or null when it is zero) from one tangent
// per input, each null when that input's tangent is zero — so a rule must handle every mix of
// null and non-null tangents. It may call other ops freely: they record nothing and carry no
// tangents while it runs. For an op linear in an input, the JVP is the op applied to the
// tangent; for an elementwise op it is the VJP's formula with t in place of g. Every op needs
// a case in test/autograd/op-cases.ts: the suite checks its VJP and JVP by finite differences
// and the two against each other (⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩), and fails for an op without either.
import { ShapeError } from '../errors.ts';
import { backend } from '../kernels/index.ts';
import type { BinaryOp, UnaryOp } from '../kernels/backend.ts';
import { empty, scalar, sizeOf, uninitialized, view, withScratch, type Shape, Tensor } from '../tensor/tensor.ts';
import { pushTangent, type JvpFn } from './forward.ts';
import { roundOutput } from './precision.ts';
import { checkFinite, currentLayer, isTracked, record } from './tape.ts';
import { matmul as accumulatingMatmul } from './precision.ts';

export interface OpRecord<A> {
  readonly name: string;
  /** Computes the output and the residuals the VJP needs. */
  forward(inputs: readonly Tensor[], attrs: A): { out: Tensor; saved: Tensor[] };
  /**
   * Cotangent of each input from the output cotangent and the saved residuals. `needs[i]` is
   * false for inputs nothing differentiates (e.g. the data batch): their cotangent may be null.
   */
  vjp(g: Tensor, saved: readonly Tensor[], attrs: A, inputShapes: readonly Shape[], needs: readonly boolean[]): Array<Tensor | null>;
  /** The output tangent J·t from the inputs' tangents (null: zero), for forward mode. */
  jvp: JvpFn<A>;
}

/** Every primitive by name: the gradient-check suite iterates this table. */
export const OPS = new Map<string, OpRecord<never>>();

/** Register a primitive and return its tape-recording call (ops in other files use it too). */
export function define<A>(rec: OpRecord<A>): (inputs: readonly Tensor[], attrs: A) => Tensor {
  OPS.set(rec.name, rec as OpRecord<never>);
  return (inputs, attrs) => {
    const needs = inputs.map(isTracked);
    const { out, saved } = withScratch(
      () => rec.forward(inputs, attrs),
      (r) => [r.out, ...r.saved],
    );
    roundOutput(out, currentLayer());
    // Inputs are in use until the output exists (stamped after it is allocated).
    for (const x of inputs) x.touch();
    checkFinite(rec.name, out, inputs, 'forward');
    const shapes = inputs.map((x) => x.shape);
    record(
      rec.name,
      inputs,
      out,
      saved,
      (g) =>
        withScratch(
          () => rec.vjp(g, saved, attrs, shapes, needs),
          (r) => r,
        ),
      true,
    );
    pushTangent(rec.name, rec.jvp, inputs, out, saved, attrs);
    return out;
  };
}

const fmt = (s: Shape) => `[${s.join(', ')}]`;

/** Numpy broadcasting of two shapes, naming `op` on mismatch. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new ShapeError(`${op}: shapes ${fmt(a)} and ${fmt(b)} do not broadcast`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new ShapeError(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

// ---------------------------------------------------------------- kernel helpers (no tape)
// Outputs a kernel overwrites entirely are allocated uninitialized (no memset).

export function kUnary(op: UnaryOp, x: Tensor): Tensor {
  const out = uninitialized(x.shape);
  backend().unary(op, x.buf, out.buf);
  return out;
}

export function kBinary(op: BinaryOp, a: Tensor, b: Tensor, name: string = op): Tensor {
  const shape = broadcastShapes(name, a.shape, b.shape);
  const out = uninitialized(shape);
  backend().binary(op, a.buf, a.shape, b.buf, b.shape, out.buf, shape);
  return out;
}

/** Sum `g` down to `shape` (undoing broadcasting). */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  let cur = g;
  const lead = g.rank - shape.length;
  // Collapse leading axes in one reduction: view as [prod(lead), rest].
  if (lead > 0) {
    const outer = sizeOf(g.shape.slice(0, lead));
    const rest = g.shape.slice(lead);
    const out = uninitialized(rest);
    backend().reduce('sum', cur.buf, out.buf, 1, outer, sizeOf(rest));
    cur = out;
  }
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1 && cur.shape[d] !== 1) {
      const outShape = cur.shape.map((s, i) => (i === d ? 1 : s));
      const out = uninitialized(outShape);
      backend().reduce('sum', cur.buf, out.buf, sizeOf(cur.shape.slice(0, d)), cur.shape[d], sizeOf(cur.shape.slice(d + 1)));
      cur = out;
    }
  }
  return cur.shape.length === shape.length ? cur : view(cur, shape);
}

/** `t` broadcast to `shape` (itself when it has that shape already). */
function toShape(t: Tensor, shape: Shape): Tensor {
  return t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]) ? t : broadcastTo(t, shape);
}

/** The sum of the non-null terms, broadcast to `shape`; null when every term is (a zero tangent). */
function sumTerms(shape: Shape, terms: ReadonlyArray<Tensor | null>): Tensor | null {
  let acc: Tensor | null = null;
  for (const t of terms) if (t) acc = acc ? add(acc, t) : t;
  return acc && toShape(acc, shape);
}

// ---------------------------------------------------------------- elementwise binary

const addOp = define<null>({
  name: 'add',
  forward: ([a, b]) => ({ out: kBinary('add', a, b), saved: [] }),
  vjp: (g, _s, _a, [sa, sb]) => [sumToShape(g, sa), sumToShape(g, sb)],
  jvp: ([ta, tb], { out }) => sumTerms(out.shape, [ta, tb]),
});
const subOp = define<null>({
  name: 'sub',
  forward: ([a, b]) => ({ out: kBinary('sub', a, b), saved: [] }),
  vjp: (g, _s, _a, [sa, sb]) => [sumToShape(g, sa), sumToShape(neg(g), sb)],
  jvp: ([ta, tb], { out }) => sumTerms(out.shape, [ta, tb && neg(tb)]),
});
const mulOp = define<null>({
  name: 'mul',
  forward: ([a, b]) => ({ out: kBinary('mul', a, b), saved: [a, b] }),
  vjp: (g, [a, b], _a, [sa, sb]) => [sumToShape(mul(g, b), sa), sumToShape(mul(g, a), sb)],
  jvp: ([ta, tb], { inputs: [a, b], out }) => sumTerms(out.shape, [ta && mul(ta, b), tb && mul(a, tb)]),
});
const divOp = define<null>({
  name: 'div',
  forward: ([a, b]) => ({ out: kBinary('div', a, b), saved: [a, b] }),
  vjp: (g, [a, b], _a, [sa, sb]) => [sumToShape(div(g, b), sa), sumToShape(neg(div(mul(g, a), mul(b, b))), sb)],
  // d(a/b) = (da − (a/b)·db) / b
  jvp: ([ta, tb], { inputs: [, b], out }) => {
    const num = sumTerms(out.shape, [ta, tb && neg(mul(out, tb))]);
    return num && div(num, b);
  },
});
// Subgradient convention: ties send the gradient to `a`.
const maximumOp = define<null>({
  name: 'maximum',
  forward: ([a, b]) => ({ out: kBinary('max', a, b, 'maximum'), saved: [a, b] }),
  vjp: (g, [a, b], _a, [sa, sb]) => {
    const bWins = kBinary('gt', b, a);
    return [sumToShape(mul(g, sub(onesLike(bWins), bWins)), sa), sumToShape(mul(g, bWins), sb)];
  },
  jvp: ([ta, tb], { inputs: [a, b], out }) => {
    const bWins = kBinary('gt', b, a);
    return sumTerms(out.shape, [ta && mul(ta, sub(onesLike(bWins), bWins)), tb && mul(tb, bWins)]);
  },
});

export const add = (a: Tensor, b: Tensor): Tensor => addOp([a, b], null);
export const sub = (a: Tensor, b: Tensor): Tensor => subOp([a, b], null);
export const mul = (a: Tensor, b: Tensor): Tensor => mulOp([a, b], null);
export const div = (a: Tensor, b: Tensor): Tensor => divOp([a, b], null);
export const maximum = (a: Tensor, b: Tensor): Tensor => maximumOp([a, b], null);

// ---------------------------------------------------------------- elementwise unary

/**
 * An elementwise op whose VJP needs either its input x or its output y (whichever is cheaper).
 * Its Jacobian is diagonal, so the JVP is the same product with the tangent in place of g.
 */
function unaryOp(op: UnaryOp, saves: 'x' | 'out', vjp: (residual: Tensor, g: Tensor) => Tensor) {
  return define<null>({
    name: op,
    forward: ([x]) => {
      const out = kUnary(op, x);
      return { out, saved: [saves === 'x' ? x : out] };
    },
    vjp: (g, [r]) => [vjp(r, g)],
    jvp: ([t], { saved: [r] }) => t && vjp(r, t),
  });
}

const negOp = define<null>({
  name: 'neg',
  forward: ([x]) => ({ out: kUnary('neg', x), saved: [] }),
  vjp: (g) => [neg(g)],
  jvp: ([t]) => t && neg(t),
});
const expOp = unaryOp('exp', 'out', (y, g) => mul(g, y));
const logOp = unaryOp('log', 'x', (x, g) => div(g, x));
const tanhOp = unaryOp('tanh', 'out', (y, g) => mul(g, kBinary('sub', onesLike(y), kUnary('square', y))));
const sigmoidOp = unaryOp('sigmoid', 'out', (y, g) => mul(g, kBinary('mul', y, kBinary('sub', onesLike(y), y))));
const reluOp = unaryOp('relu', 'out', (y, g) => mul(g, kUnary('step', y)));
const softplusOp = unaryOp('softplus', 'x', (x, g) => mul(g, kUnary('sigmoid', x)));
const geluOp = unaryOp('gelu', 'x', (x, g) => mul(g, kUnary('geluGrad', x)));
const sqrtOp = unaryOp('sqrt', 'out', (y, g) => div(g, kBinary('mul', y, fullLike(y, 2))));
const squareOp = unaryOp('square', 'x', (x, g) => mul(g, kBinary('mul', x, fullLike(x, 2))));
const absOp = unaryOp('abs', 'x', (x, g) => mul(g, kUnary('sign', x)));
const sinOp = unaryOp('sin', 'x', (x, g) => mul(g, kUnary('cos', x)));
const cosOp = unaryOp('cos', 'x', (x, g) => neg(mul(g, kUnary('sin', x))));
// Piecewise-constant ops: zero gradient almost everywhere.
const signOp = define<null>({
  name: 'sign',
  forward: ([x]) => ({ out: kUnary('sign', x), saved: [] }),
  vjp: () => [null],
  jvp: () => null,
});
const stepOp = define<null>({
  name: 'step',
  forward: ([x]) => ({ out: kUnary('step', x), saved: [] }),
  vjp: () => [null],
  jvp: () => null,
});
function leakyReluSlope(x: Tensor, alpha: number): Tensor {
  const d = uninitialized(x.shape);
  backend().leakyRelu(x.buf, d.buf, alpha, true);
  return d;
}
const leakyReluOp = define<number>({
  name: 'leakyRelu',
  forward: ([x], alpha) => {
    const out = uninitialized(x.shape);
    backend().leakyRelu(x.buf, out.buf, alpha, false);
    return { out, saved: [x] };
  },
  vjp: (g, [x], alpha) => [mul(g, leakyReluSlope(x, alpha))],
  jvp: ([t], { inputs: [x] }, alpha) => t && mul(t, leakyReluSlope(x, alpha)),
});
/** d(x^p)/dx = p·x^(p−1). */
const powSlope = (x: Tensor, p: number): Tensor => kBinary('mul', kBinary('pow', x, fullLike(x, p - 1, [])), fullLike(x, p, []));
const powOp = define<number>({
  name: 'pow',
  forward: ([x], p) => ({ out: kBinary('pow', x, fullLike(x, p, [])), saved: [x] }),
  vjp: (g, [x], p) => [mul(g, powSlope(x, p))],
  jvp: ([t], { inputs: [x] }, p) => t && mul(t, powSlope(x, p)),
});

export const neg = (x: Tensor): Tensor => negOp([x], null);
export const exp = (x: Tensor): Tensor => expOp([x], null);
export const log = (x: Tensor): Tensor => logOp([x], null);
export const tanh = (x: Tensor): Tensor => tanhOp([x], null);
export const sigmoid = (x: Tensor): Tensor => sigmoidOp([x], null);
export const relu = (x: Tensor): Tensor => reluOp([x], null);
export const softplus = (x: Tensor): Tensor => softplusOp([x], null);
export const gelu = (x: Tensor): Tensor => geluOp([x], null);
export const sqrt = (x: Tensor): Tensor => sqrtOp([x], null);
export const square = (x: Tensor): Tensor => squareOp([x], null);
export const abs = (x: Tensor): Tensor => absOp([x], null);
export const sin = (x: Tensor): Tensor => sinOp([x], null);
export const cos = (x: Tensor): Tensor => cosOp([x], null);
export const sign = (x: Tensor): Tensor => signOp([x], null);
export const step = (x: Tensor): Tensor => stepOp([x], null);
export const leakyRelu = (x: Tensor, alpha = 0.01): Tensor => leakyReluOp([x], alpha);
/** x^p for a constant exponent p. */
export const pow = (x: Tensor, p: number): Tensor => powOp([x], p);

function fullLike(x: Tensor, v: number, shape: Shape = x.shape): Tensor {
  const t = uninitialized(shape);
  t.data.fill(v);
  return t;
}

function onesLike(x: Tensor): Tensor {
  return fullLike(x, 1);
}

// ---------------------------------------------------------------- matmul

export interface MatmulAttrs {
  transA: boolean;
  transB: boolean;
}

function mm(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  if (a.rank !== 2 || b.rank !== 2) throw new ShapeError(`matmul: expects 2-D operands, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const [m, k] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [k2, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (k !== k2) {
    throw new ShapeError(
      `matmul: inner dimensions differ: ${transA ? 'Aᵀ' : 'A'} ${fmt(a.shape)} · ${transB ? 'Bᵀ' : 'B'} ${fmt(b.shape)} (${k} vs ${k2})`,
    );
  }
  const out = uninitialized([m, n]);
  accumulatingMatmul(a.buf, b.buf, out.buf, m, n, k, transA, transB);
  return out;
}

const matmulOp = define<MatmulAttrs>({
  name: 'matmul',
  forward: ([a, b], { transA, transB }) => ({ out: mm(a, b, transA, transB), saved: [a, b] }),
  // Skipping unneeded cotangents matters here: the input batch's would be a full matmul.
  vjp: (g, [a, b], { transA, transB }, _shapes, [needA, needB]) => {
    const when = (need: boolean, f: () => Tensor) => (need ? f() : null);
    if (!transA && !transB) return [when(needA, () => matmul(g, b, false, true)), when(needB, () => matmul(a, g, true, false))];
    if (!transA && transB) return [when(needA, () => matmul(g, b, false, false)), when(needB, () => matmul(g, a, true, false))];
    if (transA && !transB) return [when(needA, () => matmul(b, g, false, true)), when(needB, () => matmul(a, g, false, false))];
    return [when(needA, () => matmul(b, g, true, true)), when(needB, () => matmul(g, a, true, true))];
  },
  // Bilinear: d(op(A)·op(B)) = op(dA)·op(B) + op(A)·op(dB).
  jvp: ([ta, tb], { inputs: [a, b], out }, { transA, transB }) =>
    sumTerms(out.shape, [ta && matmul(ta, b, transA, transB), tb && matmul(a, tb, transA, transB)]),
});

/** op(A)·op(B) for 2-D tensors, transposes taken by the kernel (never materialized). */
export const matmul = (a: Tensor, b: Tensor, transA = false, transB = false): Tensor => matmulOp([a, b], { transA, transB });

// ---------------------------------------------------------------- reductions and broadcast

export interface ReduceAttrs {
  axis: number | null; // null: all axes
  keepDims: boolean;
}

function reduceShapes(op: string, shape: Shape, axis: number | null, keepDims: boolean) {
  if (axis === null) {
    return { outer: 1, len: sizeOf(shape), inner: 1, outShape: keepDims ? shape.map(() => 1) : [], keepShape: shape.map(() => 1) };
  }
  const a = normAxis(op, axis, shape.length);
  const keepShape = shape.map((d, i) => (i === a ? 1 : d));
  return {
    outer: sizeOf(shape.slice(0, a)),
    len: shape[a],
    inner: sizeOf(shape.slice(a + 1)),
    outShape: keepDims ? keepShape : shape.filter((_, i) => i !== a),
    keepShape,
  };
}

const broadcastToOp = define<Shape>({
  name: 'broadcastTo',
  forward: ([x], shape) => {
    const s = broadcastShapes('broadcastTo', x.shape, shape);
    if (s.length !== shape.length || s.some((d, i) => d !== shape[i])) {
      throw new ShapeError(`broadcastTo: cannot broadcast ${fmt(x.shape)} to ${fmt(shape)}`);
    }
    const out = uninitialized(shape);
    const zero = empty([]);
    backend().binary('add', x.buf, x.shape, zero.buf, [], out.buf, shape);
    return { out, saved: [] };
  },
  vjp: (g, _s, _shape, [sx]) => [sumToShape(g, sx)],
  jvp: ([t], _p, shape) => t && broadcastTo(t, shape),
});
export const broadcastTo = (x: Tensor, shape: Shape): Tensor => broadcastToOp([x], shape);

const sumOp = define<ReduceAttrs>({
  name: 'sum',
  forward: ([x], { axis, keepDims }) => {
    const r = reduceShapes('sum', x.shape, axis, keepDims);
    const out = uninitialized(r.outShape);
    backend().reduce('sum', x.buf, out.buf, r.outer, r.len, r.inner);
    return { out, saved: [] };
  },
  vjp: (g, _s, { axis, keepDims }, [sx]) => [broadcastTo(reshape(g, reduceShapes('sum', sx, axis, keepDims).keepShape), sx)],
  jvp: ([t], _p, { axis, keepDims }) => t && sum(t, axis, keepDims),
});
const meanOp = define<ReduceAttrs>({
  name: 'mean',
  forward: ([x], { axis, keepDims }) => {
    const r = reduceShapes('mean', x.shape, axis, keepDims);
    const out = uninitialized(r.outShape);
    backend().reduce('mean', x.buf, out.buf, r.outer, r.len, r.inner);
    return { out, saved: [] };
  },
  vjp: (g, _s, { axis, keepDims }, [sx]) => {
    const r = reduceShapes('mean', sx, axis, keepDims);
    return [broadcastTo(reshape(mul(g, fullLike(g, 1 / r.len, [])), r.keepShape), sx)];
  },
  jvp: ([t], _p, { axis, keepDims }) => t && mean(t, axis, keepDims),
});
/** 1 where x equals its reduced maximum `out` (viewed as `keepShape`), else 0. */
function maxMask(x: Tensor, out: Tensor, keepShape: Shape): Tensor {
  const m = reshape(out, keepShape);
  return kBinary('sub', onesLike(x), kBinary('gt', kBinary('sub', m, x), fullLike(x, 0, [])));
}
// Max sends the gradient to every position equal to the maximum.
const maxOp = define<ReduceAttrs>({
  name: 'max',
  forward: ([x], { axis, keepDims }) => {
    const r = reduceShapes('max', x.shape, axis, keepDims);
    const out = uninitialized(r.outShape);
    backend().reduce('max', x.buf, out.buf, r.outer, r.len, r.inner);
    return { out, saved: [x, out] };
  },
  vjp: (g, [x, out], { axis, keepDims }) => {
    const r = reduceShapes('max', x.shape, axis, keepDims);
    return [mul(broadcastTo(reshape(g, r.keepShape), x.shape), maxMask(x, out, r.keepShape))];
  },
  // The transpose of that VJP: the sum of the tangent over every position equal to the maximum.
  jvp: ([t], { saved: [x, out] }, { axis, keepDims }) =>
    t && sum(mul(t, maxMask(x, out, reduceShapes('max', x.shape, axis, keepDims).keepShape)), axis, keepDims),
});

export const sum = (x: Tensor, axis: number | null = null, keepDims = false): Tensor => sumOp([x], { axis, keepDims });
export const mean = (x: Tensor, axis: number | null = null, keepDims = false): Tensor => meanOp([x], { axis, keepDims });
export const max = (x: Tensor, axis: number | null = null, keepDims = false): Tensor => maxOp([x], { axis, keepDims });

// ---------------------------------------------------------------- shape ops

const reshapeOp = define<Shape>({
  name: 'reshape',
  forward: ([x], shape) => ({ out: view(x, shape), saved: [] }),
  vjp: (g, _s, _shape, [sx]) => [reshape(g, sx)],
  jvp: ([t], _p, shape) => t && reshape(t, shape),
});
export function reshape(x: Tensor, shape: Shape): Tensor {
  // One -1 dimension is inferred.
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const resolved = shape.map((d) => (d === -1 ? x.size / known : d));
  return reshapeOp([x], resolved);
}

const transposeOp = define<readonly number[]>({
  name: 'transpose',
  forward: ([x], perm) => {
    if (perm.length !== x.rank || [...perm].sort().some((p, i) => p !== i)) {
      throw new ShapeError(`transpose: ${fmt(perm)} is not a permutation of the ${x.rank} axes of ${fmt(x.shape)}`);
    }
    const out = uninitialized(perm.map((p) => x.shape[p]));
    backend().transpose(x.buf, x.shape, perm, out.buf);
    return { out, saved: [] };
  },
  vjp: (g, _s, perm) => {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [transpose(g, inv)];
  },
  jvp: ([t], _p, perm) => t && transpose(t, perm),
});
/** Permute axes (default: reverse them). */
export const transpose = (x: Tensor, perm?: readonly number[]): Tensor => transposeOp([x], perm ?? x.shape.map((_, i) => x.rank - 1 - i));

interface SliceAttrs {
  axis: number;
  start: number;
  end: number;
}
/** Copy block [outer, len, inner] rows between buffers; used by slice/concat and their VJPs. */
function copyBlocks(
  src: Tensor,
  srcLen: number,
  srcStart: number,
  dst: Tensor,
  dstLen: number,
  dstStart: number,
  len: number,
  outer: number,
  inner: number,
) {
  for (let o = 0; o < outer; o++) {
    const s = (o * srcLen + srcStart) * inner;
    const d = (o * dstLen + dstStart) * inner;
    dst.data.set(src.data.subarray(s, s + len * inner), d);
  }
}
const sliceOp = define<SliceAttrs>({
  name: 'slice',
  forward: ([x], { axis, start, end }) => {
    const a = normAxis('slice', axis, x.rank);
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= x.shape[a] && start <= end)) {
      throw new ShapeError(`slice: range [${start}, ${end}) invalid for axis ${a} of size ${x.shape[a]}`);
    }
    const out = empty(x.shape.map((d, i) => (i === a ? end - start : d)));
    copyBlocks(x, x.shape[a], start, out, end - start, 0, end - start, sizeOf(x.shape.slice(0, a)), sizeOf(x.shape.slice(a + 1)));
    return { out, saved: [] };
  },
  vjp: (g, _s, { axis, start, end }, [sx]) => {
    const a = normAxis('slice', axis, sx.length);
    const dx = empty(sx);
    copyBlocks(g, end - start, 0, dx, sx[a], start, end - start, sizeOf(sx.slice(0, a)), sizeOf(sx.slice(a + 1)));
    return [dx];
  },
  jvp: ([t], _p, { axis, start, end }) => t && slice(t, axis, start, end),
});
/** Elements [start, end) along `axis`. */
export const slice = (x: Tensor, axis: number, start: number, end: number): Tensor => sliceOp([x], { axis, start, end });

const concatOp = define<number>({
  name: 'concat',
  forward: (xs, axis) => {
    if (xs.length === 0) throw new ShapeError('concat: needs at least one tensor');
    const a = normAxis('concat', axis, xs[0].rank);
    for (const x of xs) {
      if (x.rank !== xs[0].rank || x.shape.some((d, i) => i !== a && d !== xs[0].shape[i])) {
        throw new ShapeError(`concat: shapes ${xs.map((t) => fmt(t.shape)).join(', ')} differ off axis ${a}`);
      }
    }
    const total = xs.reduce((s, x) => s + x.shape[a], 0);
    const out = empty(xs[0].shape.map((d, i) => (i === a ? total : d)));
    const outer = sizeOf(xs[0].shape.slice(0, a));
    const inner = sizeOf(xs[0].shape.slice(a + 1));
    let at = 0;
    for (const x of xs) {
      copyBlocks(x, x.shape[a], 0, out, total, at, x.shape[a], outer, inner);
      at += x.shape[a];
    }
    return { out, saved: [] };
  },
  vjp: (g, _s, axis, shapes) => {
    const a = normAxis('concat', axis, g.rank);
    let at = 0;
    return shapes.map((s) => {
      const part = slice(g, a, at, at + s[a]);
      at += s[a];
      return part;
    });
  },
  // Inputs without a tangent contribute zeros of their shape.
  jvp: (ts, { inputs }, axis) =>
    ts.every((t) => t === null)
      ? null
      : concat(
          ts.map((t, i) => t ?? empty(inputs[i].shape)),
          axis,
        ),
});
export const concat = (xs: readonly Tensor[], axis = 0): Tensor => concatOp(xs, axis);

// ---------------------------------------------------------------- softmax family

function rowsCols(op: string, x: Tensor): [number, number] {
  if (x.rank < 1) throw new ShapeError(`${op}: needs at least one axis, got a scalar`);
  const cols = x.shape[x.rank - 1];
  return [x.size / cols, cols];
}

const softmaxOp = define<null>({
  name: 'softmax',
  forward: ([x]) => {
    const [rows, cols] = rowsCols('softmax', x);
    const out = uninitialized(x.shape);
    backend().softmax(x.buf, out.buf, rows, cols, false);
    return { out, saved: [out] };
  },
  // y ⊙ (g − Σ g⊙y); the Jacobian diag(y) − yyᵀ is symmetric, so the JVP has the same form.
  vjp: (g, [y]) => [mul(y, sub(g, sum(mul(g, y), -1, true)))],
  jvp: ([t], { saved: [y] }) => t && mul(y, sub(t, sum(mul(t, y), -1, true))),
});
const logSoftmaxOp = define<null>({
  name: 'logSoftmax',
  forward: ([x]) => {
    const [rows, cols] = rowsCols('logSoftmax', x);
    const out = uninitialized(x.shape);
    backend().softmax(x.buf, out.buf, rows, cols, true);
    return { out, saved: [out] };
  },
  // g − softmax(x) · Σ g; forward: t − Σ softmax(x)⊙t (J = I − 1·softmaxᵀ per row).
  vjp: (g, [y]) => [sub(g, mul(exp(y), sum(g, -1, true)))],
  jvp: ([t], { saved: [y] }) => t && sub(t, sum(mul(exp(y), t), -1, true)),
});
/** Softmax along the last axis. */
export const softmax = (x: Tensor): Tensor => softmaxOp([x], null);
/** Log-softmax along the last axis (numerically stable). */
export const logSoftmax = (x: Tensor): Tensor => logSoftmaxOp([x], null);

export type Labels = Int32Array | Uint8Array | readonly number[];

function checkLabels(op: string, labels: Labels, rows: number, cols: number): void {
  if (labels.length !== rows) throw new ShapeError(`${op}: ${labels.length} labels for ${rows} rows`);
  for (let i = 0; i < rows; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= cols) throw new ShapeError(`${op}: label ${l} at row ${i} is outside [0, ${cols})`);
  }
}

const pickOp = define<Labels>({
  name: 'pick',
  forward: ([x], idx) => {
    if (x.rank !== 2) throw new ShapeError(`pick: expects [rows, cols], got ${fmt(x.shape)}`);
    const [rows, cols] = x.shape;
    checkLabels('pick', idx, rows, cols);
    const out = empty([rows]);
    for (let i = 0; i < rows; i++) out.data[i] = x.data[i * cols + idx[i]];
    return { out, saved: [] };
  },
  vjp: (g, _s, idx, [sx]) => {
    const dx = empty(sx);
    const cols = sx[1];
    for (let i = 0; i < sx[0]; i++) dx.data[i * cols + idx[i]] = g.data[i];
    return [dx];
  },
  jvp: ([t], _p, idx) => t && pick(t, idx),
});
/** out[i] = x[i, idx[i]]. */
export const pick = (x: Tensor, idx: Labels): Tensor => pickOp([x], idx);

/**
 * A mean cross-entropy from kernels, for storage on a device (backend().sync, WebGPU), so that a
 * step reads nothing back but the loss, when the runner reads it, where the host loops would read
 * the log-probabilities. weights: −1/counted at each counted row's target (0 elsewhere); rowScale:
 * 1/counted on counted rows, else 0 (a scalar when every row counts). The loss is Σ log p ⊙ weights,
 * its gradient g·coef and its forward-mode derivative Σ coef ⊙ t, coef = softmax·rowScale + weights:
 * the host loops' values up to rounding (the gradient the same bits for g = 1 and a power-of-two count).
 */
export interface DeviceCrossEntropy {
  weights: Tensor;
  rowScale: Tensor;
}

/** The weights and row scales of rows × cols log-probabilities against `targets` (negative: not counted). */
export function deviceCrossEntropy(targets: Labels, rows: number, cols: number, counted: number): DeviceCrossEntropy {
  const weights = empty([rows, cols]);
  const w = weights.data;
  const all = counted === rows;
  const rowScale = all ? scalar(1 / counted) : empty([rows, 1]);
  const r = all ? null : rowScale.data;
  for (let i = 0; i < rows; i++) {
    if (targets[i] < 0) continue;
    w[i * cols + targets[i]] = -1 / counted;
    if (r) r[i] = 1 / counted;
  }
  return { weights, rowScale };
}

/** Σ a ⊙ b over every element, as a scalar tensor, on the backend. */
function kDot(a: Tensor, b: Tensor): Tensor {
  const out = uninitialized([]);
  backend().reduce('sum', kBinary('mul', a, b).buf, out.buf, 1, a.size, 1);
  return out;
}

export const deviceCrossEntropyLoss = (logp: Tensor, ce: DeviceCrossEntropy): Tensor => kDot(logp, ce.weights);
const deviceCoef = (logp: Tensor, ce: DeviceCrossEntropy): Tensor =>
  kBinary('add', kBinary('mul', kUnary('exp', logp), ce.rowScale), ce.weights);
/** The gradient with respect to the logits, g·coef. */
export const deviceCrossEntropyGrad = (logp: Tensor, ce: DeviceCrossEntropy, g: Tensor): Tensor => kBinary('mul', deviceCoef(logp, ce), g);
/** The forward-mode derivative along t, Σ coef ⊙ t. */
export const deviceCrossEntropyJvp = (logp: Tensor, ce: DeviceCrossEntropy, t: Tensor): Tensor => kDot(deviceCoef(logp, ce), t);

/** Fused, numerically stable mean softmax cross-entropy of logits [n, c] against integer labels. */
const softmaxCrossEntropyOp = define<Labels>({
  name: 'softmaxCrossEntropy',
  forward: ([x], labels) => {
    if (x.rank !== 2) throw new ShapeError(`softmaxCrossEntropy: expects logits [rows, classes], got ${fmt(x.shape)}`);
    const [rows, cols] = x.shape;
    checkLabels('softmaxCrossEntropy', labels, rows, cols);
    const logp = empty(x.shape);
    backend().softmax(x.buf, logp.buf, rows, cols, true);
    if (backend().sync) {
      const ce = deviceCrossEntropy(labels, rows, cols, rows);
      return { out: deviceCrossEntropyLoss(logp, ce), saved: [logp, ce.weights, ce.rowScale] };
    }
    let loss = 0;
    for (let i = 0; i < rows; i++) loss -= logp.data[i * cols + labels[i]];
    const out = empty([]);
    out.data[0] = loss / rows;
    return { out, saved: [logp] };
  },
  vjp: (g, [logp, weights, rowScale], labels) => {
    if (weights) return [deviceCrossEntropyGrad(logp, { weights, rowScale }, g)];
    const [rows, cols] = logp.shape;
    const dx = kUnary('exp', logp);
    const scale = g.data[0] / rows;
    for (let i = 0; i < rows; i++) dx.data[i * cols + labels[i]] -= 1;
    for (let i = 0; i < dx.size; i++) dx.data[i] *= scale;
    return [dx];
  },
  // dL = Σᵢⱼ (softmax − onehot)ᵢⱼ · tᵢⱼ / rows
  jvp: ([t], { saved: [logp, weights, rowScale] }, labels) => {
    if (!t) return null;
    if (weights) return deviceCrossEntropyJvp(logp, { weights, rowScale }, t);
    const [rows, cols] = logp.shape;
    let s = 0;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) s += Math.exp(logp.data[i * cols + j]) * t.data[i * cols + j];
      s -= t.data[i * cols + labels[i]];
    }
    const out = empty([]);
    out.data[0] = s / rows;
    return out;
  },
});
export const softmaxCrossEntropy = (logits: Tensor, labels: Labels): Tensor => softmaxCrossEntropyOp([logits], labels);

/** Identity whose cotangent is stopped: a tensor sharing storage, not tracked. */
export function stopGradient(x: Tensor): Tensor {
  return view(x, x.shape);
}

export { Tensor };
