// Optional fused kernels a backend may provide (the core checks for them), and their plain-TS
// reference implementations, which work on any backend's storage and serve as the test oracle.
import type { Buf } from './backend.ts';
import { referenceBackend } from './reference.ts';

export type LinearActivation = 'none' | 'relu';
export type Labels = Int32Array | Uint8Array;

export interface FusedKernels {
  /**
   * out[m,n] = act(x[m,k] · W + b). W is [k,n], or [n,k] when `wTransposed` (out = x · Wᵀ + b);
   * b is [n] or null.
   */
  linearForward(x: Buf, w: Buf, b: Buf | null, out: Buf, m: number, n: number, k: number, act: LinearActivation, wTransposed: boolean): void;
  /**
   * probsOut[r,:] = softmax(logits[r,:]); returns mean over rows of -log softmax(logits)[r, labels[r]],
   * computed from the log-sum-exp so it stays finite when a probability underflows.
   * The logits gradient is (probs - onehot(labels)) / rows.
   */
  softmaxCrossEntropy(logits: Buf, labels: Labels, rows: number, cols: number, probsOut: Buf): number;
  /** param -= lr * grad */
  sgdUpdate(param: Buf, grad: Buf, lr: number): void;
  /** velocity = momentum * velocity + grad; param -= lr * velocity (PyTorch's convention). */
  momentumUpdate(param: Buf, grad: Buf, velocity: Buf, lr: number, momentum: number): void;
  /**
   * Adam step t (1-based), in place on param, m, v, in PyTorch's formulation:
   * param -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). With weightDecay > 0 it is
   * AdamW: param *= 1 - lr * weightDecay first (decoupled).
   */
  adamUpdate(param: Buf, grad: Buf, m: Buf, v: Buf, lr: number, beta1: number, beta2: number, eps: number, t: number, weightDecay?: number): void;
}

/** Throws a RangeError naming the op if a label is not an integer class index in [0, cols). */
export function checkLabels(labels: Labels, rows: number, cols: number): void {
  if (labels.length < rows) throw new RangeError(`softmaxCrossEntropy: ${labels.length} labels for ${rows} rows`);
  for (let r = 0; r < rows; r++) {
    const y = labels[r];
    if (y < 0 || y >= cols) throw new RangeError(`softmaxCrossEntropy: label ${y} at row ${r} is outside [0, ${cols})`);
  }
}

/** Adam's per-step scalars, shared by every implementation so they agree bit for bit. */
export interface AdamScalars {
  /** lr / (1 - beta1^t) */
  stepSize: number;
  /** 1 / sqrt(1 - beta2^t) */
  invSqrtBc2: number;
  /** 1 - lr * weightDecay (decoupled weight decay, applied before the Adam step as in PyTorch's AdamW) */
  decay: number;
}

export function adamScalars(lr: number, beta1: number, beta2: number, t: number, weightDecay = 0): AdamScalars {
  if (!(t >= 1)) throw new RangeError(`adamUpdate: step t must be >= 1 (got ${t})`);
  return {
    stepSize: lr / (1 - Math.pow(beta1, t)),
    invSqrtBc2: 1 / Math.sqrt(1 - Math.pow(beta2, t)),
    decay: 1 - lr * weightDecay,
  };
}

export const referenceFused: FusedKernels = {
  linearForward(x, w, b, out, m, n, k, act, wTransposed) {
    referenceBackend.matmul(x, w, out, m, n, k, false, wTransposed);
    for (let i = 0; i < m; i++) {
      const row = i * n;
      for (let j = 0; j < n; j++) {
        const v = b ? out[row + j] + b[j] : out[row + j];
        out[row + j] = act === 'relu' ? (v > 0 ? v : 0) : v;
      }
    }
  },

  softmaxCrossEntropy(logits, labels, rows, cols, probsOut) {
    checkLabels(labels, rows, cols);
    let loss = 0;
    for (let r = 0; r < rows; r++) {
      const off = r * cols;
      let mx = -Infinity;
      for (let j = 0; j < cols; j++) if (logits[off + j] > mx) mx = logits[off + j];
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += Math.exp(logits[off + j] - mx);
      for (let j = 0; j < cols; j++) probsOut[off + j] = Math.exp(logits[off + j] - mx) / sum;
      loss += mx + Math.log(sum) - logits[off + labels[r]];
    }
    return rows > 0 ? loss / rows : 0;
  },

  sgdUpdate(param, grad, lr) {
    for (let i = 0; i < param.length; i++) param[i] = param[i] - lr * grad[i];
  },

  momentumUpdate(param, grad, velocity, lr, momentum) {
    for (let i = 0; i < param.length; i++) {
      const vi = momentum * velocity[i] + grad[i];
      velocity[i] = vi;
      param[i] = param[i] - lr * vi;
    }
  },

  adamUpdate(param, grad, m, v, lr, beta1, beta2, eps, t, weightDecay = 0) {
    const { stepSize, invSqrtBc2, decay } = adamScalars(lr, beta1, beta2, t, weightDecay);
    const c1 = 1 - beta1;
    const c2 = 1 - beta2;
    for (let i = 0; i < param.length; i++) {
      const g = grad[i];
      const mi = beta1 * m[i] + c1 * g;
      const vi = beta2 * v[i] + c2 * g * g;
      m[i] = mi;
      v[i] = vi;
      param[i] = param[i] * decay - stepSize * (mi / (Math.sqrt(vi) * invSqrtBc2 + eps));
    }
  },
};
