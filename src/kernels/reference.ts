// The reference backend: plain TypeScript loops, the oracle every faster backend is tested against.
import type { Backend, BinaryOp, Buf, ReduceOp, UnaryOp } from './backend.ts';
import { avgPool2d, avgPool2dBackward, col2im, im2col, maxPool2d, maxPool2dBackward } from './conv-reference.ts';
import { addNoiseReference, bernoulliSigmoidReference, binaryConcreteReference, sigmoidAffineReference } from './noise.ts';
import { runOptimizerProgram } from './optim-program.ts';
import { matmulRoundedReference, quantizeReference } from './quantize.ts';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

function unaryFn(op: UnaryOp): (x: number) => number {
  switch (op) {
    case 'neg':
      return (x) => -x;
    case 'exp':
      return Math.exp;
    case 'log':
      return Math.log;
    case 'tanh':
      return Math.tanh;
    case 'sigmoid':
      return (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
    case 'relu':
      return (x) => (x > 0 ? x : 0);
    // log(1 + e^x) without overflow for large x.
    case 'softplus':
      return (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
    case 'sqrt':
      return Math.sqrt;
    case 'square':
      return (x) => x * x;
    case 'abs':
      return Math.abs;
    case 'sign':
      return (x) => (x > 0 ? 1 : x < 0 ? -1 : 0);
    case 'step':
      return (x) => (x > 0 ? 1 : 0);
    // GELU, tanh approximation (as PyTorch's approximate='tanh').
    case 'gelu':
      return (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
    case 'geluGrad':
      return (x) => {
        const u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
        const t = Math.tanh(u);
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
      };
    case 'reciprocal':
      return (x) => 1 / x;
    case 'sin':
      return Math.sin;
    case 'cos':
      return Math.cos;
  }
}

function binaryFn(op: BinaryOp): (a: number, b: number) => number {
  switch (op) {
    case 'add':
      return (a, b) => a + b;
    case 'sub':
      return (a, b) => a - b;
    case 'mul':
      return (a, b) => a * b;
    case 'div':
      return (a, b) => a / b;
    case 'max':
      return (a, b) => (a >= b ? a : b);
    case 'min':
      return (a, b) => (a <= b ? a : b);
    case 'pow':
      return Math.pow;
    case 'gt':
      return (a, b) => (a > b ? 1 : 0);
  }
}

/** Row-major strides of `shape`, with 0 stride for broadcast (size-1 or missing) axes of `inShape`. */
function broadcastStrides(inShape: readonly number[], outShape: readonly number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let s = 1;
  for (let i = inShape.length - 1, o = outShape.length - 1; i >= 0; i--, o--) {
    strides[o] = inShape[i] === 1 ? 0 : s;
    s *= inShape[i];
  }
  return strides;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export const referenceBackend: Backend = {
  name: 'reference',

  alloc: (n) => new Float32Array(n),

  matmul(a, b, out, m, n, k, transA, transB) {
    out.fill(0);
    // Loop orders chosen so the innermost loop walks memory contiguously in each case.
    if (!transA && transB) {
      // out[i,j] = Σp A[i,p]·B[j,p]: a dot product of two rows.
      for (let i = 0; i < m; i++) {
        const aRow = i * k;
        for (let j = 0; j < n; j++) {
          const bRow = j * k;
          let acc = 0;
          for (let p = 0; p < k; p++) acc += a[aRow + p] * b[bRow + p];
          out[i * n + j] = acc;
        }
      }
      return;
    }
    for (let p = 0; p < k; p++) {
      for (let i = 0; i < m; i++) {
        const av = transA ? a[p * m + i] : a[i * k + p];
        if (av === 0) continue;
        const oRow = i * n;
        if (!transB) {
          const bRow = p * n;
          for (let j = 0; j < n; j++) out[oRow + j] += av * b[bRow + j];
        } else {
          for (let j = 0; j < n; j++) out[oRow + j] += av * b[j * k + p];
        }
      }
    }
  },

  binary(op, a, aShape, b, bShape, out, outShape) {
    const f = binaryFn(op);
    const size = out.length;
    if (sameShape(aShape, outShape) && sameShape(bShape, outShape)) {
      for (let i = 0; i < size; i++) out[i] = f(a[i], b[i]);
      return;
    }
    if (b.length === 1 && sameShape(aShape, outShape)) {
      const bv = b[0];
      for (let i = 0; i < size; i++) out[i] = f(a[i], bv);
      return;
    }
    // Fast path: a is [rows, cols] and b is a row vector broadcast over rows (bias add).
    const cols = outShape[outShape.length - 1] ?? 1;
    if (sameShape(aShape, outShape) && b.length === cols && bShape[bShape.length - 1] === cols) {
      for (let i = 0; i < size; i += cols) for (let j = 0; j < cols; j++) out[i + j] = f(a[i + j], b[j]);
      return;
    }
    const sa = broadcastStrides(aShape, outShape);
    const sb = broadcastStrides(bShape, outShape);
    const rank = outShape.length;
    const idx = new Array<number>(rank).fill(0);
    let ia = 0;
    let ib = 0;
    for (let i = 0; i < size; i++) {
      out[i] = f(a[ia], b[ib]);
      // Odometer increment over the output index, moving the input offsets along.
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]++;
        ia += sa[d];
        ib += sb[d];
        if (idx[d] < outShape[d]) break;
        ia -= sa[d] * outShape[d];
        ib -= sb[d] * outShape[d];
        idx[d] = 0;
      }
    }
  },

  unary(op, a, out) {
    const f = unaryFn(op);
    for (let i = 0; i < a.length; i++) out[i] = f(a[i]);
  },

  leakyRelu(a, out, alpha, grad) {
    if (grad) for (let i = 0; i < a.length; i++) out[i] = a[i] > 0 ? 1 : alpha;
    else for (let i = 0; i < a.length; i++) out[i] = a[i] > 0 ? a[i] : alpha * a[i];
  },

  reduce(op: ReduceOp, a, out, outer, axisLen, inner) {
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const base = o * axisLen * inner + j;
        let acc = op === 'max' ? -Infinity : 0;
        for (let r = 0; r < axisLen; r++) {
          const v = a[base + r * inner];
          if (op === 'max') acc = v > acc || Number.isNaN(v) ? v : acc;
          else acc += v;
        }
        out[o * inner + j] = op === 'mean' ? acc / axisLen : acc;
      }
    }
  },

  softmax(a, out, rows, cols, log) {
    for (let r = 0; r < rows; r++) {
      const off = r * cols;
      let mx = -Infinity;
      for (let j = 0; j < cols; j++) if (a[off + j] > mx) mx = a[off + j];
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += Math.exp(a[off + j] - mx);
      if (log) {
        const lse = mx + Math.log(sum);
        for (let j = 0; j < cols; j++) out[off + j] = a[off + j] - lse;
      } else {
        for (let j = 0; j < cols; j++) out[off + j] = Math.exp(a[off + j] - mx) / sum;
      }
    }
  },

  transpose(a, shape, perm, out) {
    const rank = shape.length;
    const inStrides = new Array<number>(rank);
    let s = 1;
    for (let d = rank - 1; d >= 0; d--) {
      inStrides[d] = s;
      s *= shape[d];
    }
    const outShape = perm.map((p) => shape[p]);
    const stride = perm.map((p) => inStrides[p]);
    const idx = new Array<number>(rank).fill(0);
    let src = 0;
    for (let i = 0; i < out.length; i++) {
      out[i] = a[src];
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]++;
        src += stride[d];
        if (idx[d] < outShape[d]) break;
        src -= stride[d] * outShape[d];
        idx[d] = 0;
      }
    }
  },

  axpby(a, scale, b, bScale, out) {
    for (let i = 0; i < out.length; i++) out[i] = a[i] * scale + b[i] * bScale;
  },

  allFinite(a) {
    for (const b of ArrayBuffer.isView(a) ? [a] : a) for (let i = 0; i < b.length; i++) if (!Number.isFinite(b[i])) return false;
    return true;
  },

  fingerprint(a) {
    // A wide buffer's elements hash both their words (low first): lanes over words then, not elements.
    const words =
      a instanceof Float32Array ? new Int32Array(a.buffer, a.byteOffset, a.length) : new Int32Array(a.buffer, a.byteOffset, 2 * a.length);
    const h = [0, 0, 0, 0];
    const abs = [0, 0, 0, 0];
    const sq = [0, 0, 0, 0];
    for (let i = 0; i < words.length; i++) h[i & 3] = (Math.imul(h[i & 3], 31) + words[i]) | 0;
    for (let i = 0; i < a.length; i++) {
      abs[i & 3] += Math.abs(a[i]);
      sq[i & 3] += a[i] * a[i];
    }
    return {
      bits: (Math.imul((Math.imul((Math.imul(h[0], 31) + h[1]) | 0, 31) + h[2]) | 0, 31) + h[3]) | 0,
      abs: abs[0] + abs[1] + (abs[2] + abs[3]),
      squares: sq[0] + sq[1] + (sq[2] + sq[3]),
    };
  },

  addNoise: addNoiseReference,
  quantize: quantizeReference,
  matmulRounded: matmulRoundedReference,
  bernoulliSigmoid: bernoulliSigmoidReference,
  binaryConcrete: binaryConcreteReference,
  sigmoidAffine: sigmoidAffineReference,

  optimizerStep: runOptimizerProgram,

  im2col,
  col2im,
  maxPool2d,
  maxPool2dBackward,
  avgPool2d,
  avgPool2dBackward,
};

export type { Buf };
