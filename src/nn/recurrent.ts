// Recurrent modules unrolled over time with one set of weights shared by every step: an Elman
// RNN, h_t = act(x_t·Wxᵀ + h_{t−1}·Whᵀ + b), and a GRU (PyTorch's gate equations and layout).
// Input [T, features] per sample, output the hidden states [T, hidden]; h_0 = 0.
//
// Truncation is a seam, not a flag: `withBoundary(k, f)` gives the same module (path, slots)
// whose hidden state passes through f every k steps, between segments of the unrolled graph.
// Truncated BPTT is f = stopGradient; synthetic gradients (Jaderberg et al. 2017 §3.2) put an op
// there whose backward sends a synthesizer's prediction of the gradient from beyond instead.
import { add, concat, matmul, mul, reshape, sigmoid, slice, stopGradient, sub, tanh } from '../autograd/ops.ts';
import { empty, type Shape, type Tensor } from '../tensor/tensor.ts';
import type { Activation } from './activations.ts';
import type { Builder } from './builder.ts';
import { linear } from './layers.ts';
import { leaf, param, type ForwardContext, type Module, type Slot } from './module.ts';

export type Cell = 'elman' | 'gru';
export const CELLS: readonly Cell[] = ['elman', 'gru'];

/** What happens to the hidden state between two segments: `t` is the number of steps before it. */
export type Boundary = (h: Tensor, t: number) => Tensor;

export interface RecurrentModule extends Module {
  readonly role: 'recurrent';
  readonly cell: Cell;
  readonly hidden: number;
  /** Steps per sample (T). */
  readonly steps: number;
  /** Segment length and the boundary between segments, or null (one segment: full BPTT). */
  readonly truncation: { every: number; boundary: Boundary } | null;
  /** This module with its hidden state passed through `boundary` after every `every` steps (0: none). */
  withBoundary(every: number, boundary: Boundary): RecurrentModule;
}

export function isRecurrent(m: Module): m is RecurrentModule {
  return (m as Partial<RecurrentModule>).role === 'recurrent';
}

/** Truncated BPTT: no gradient crosses a segment boundary every `k` steps (k = 0: full BPTT). */
export function truncated(m: RecurrentModule, k: number): RecurrentModule {
  return m.withBoundary(k, (h) => stopGradient(h));
}

export interface RecurrentOptions {
  cell: Cell;
  hidden: number;
  /** Elman only: the nonlinearity (default tanh). */
  activation?: Activation;
  init?: string;
}

/** The per-step update of each cell from the step's input projection xw_t (biases included) and h_{t−1}. */
type Step = (xwt: Tensor, h: Tensor, ctx: ForwardContext) => Tensor;

export function recurrent(path: string, inShape: Shape, b: Builder, o: RecurrentOptions): RecurrentModule {
  const [steps, features] = inShape;
  const H = o.hidden;
  const gates = o.cell === 'gru' ? 3 : 1;
  const scheme = o.init ?? b.init;
  const params: Record<string, Slot> = {
    inputWeight: b.param(`${path}.inputWeight`, [gates * H, features], { kind: 'weight', scheme }),
    hiddenWeight: b.param(`${path}.hiddenWeight`, [gates * H, H], { kind: 'weight', scheme }),
  };
  // Elman: one bias (the fixture's b); GRU: PyTorch's two, since r multiplies the hidden one.
  if (o.cell === 'gru') {
    params.inputBias = b.param(`${path}.inputBias`, [3 * H], { kind: 'constant', value: 0 });
    params.hiddenBias = b.param(`${path}.hiddenBias`, [3 * H], { kind: 'constant', value: 0 });
  } else {
    params.bias = b.param(`${path}.bias`, [H], { kind: 'constant', value: 0 });
  }
  const act = o.activation?.fn ?? tanh;

  const build = (truncation: RecurrentModule['truncation']): RecurrentModule => {
    const m = leaf({ kind: o.cell, path, inShape, outShape: [steps, H], params, apply: (x, ctx) => unroll(x, ctx) }) as Module;
    const rm: RecurrentModule = {
      ...m,
      role: 'recurrent',
      cell: o.cell,
      hidden: H,
      steps,
      truncation,
      withChildren: () => rm,
      withBoundary: (every, boundary) => build(every > 0 ? { every, boundary } : null),
    };
    const elman: Step = (xwt, h, ctx) => act(add(xwt, matmul(h, param(rm, 'hiddenWeight', ctx), false, true)));
    // r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r ⊙ h_n), h' = n + z ⊙ (h − n); h_· include their biases.
    const gru: Step = (xwt, h, ctx) => {
      const hw = linear(h, param(rm, 'hiddenWeight', ctx), param(rm, 'hiddenBias', ctx));
      const part = (t: Tensor, i: number) => slice(t, 1, i * H, (i + 1) * H);
      const r = sigmoid(add(part(xwt, 0), part(hw, 0)));
      const z = sigmoid(add(part(xwt, 1), part(hw, 1)));
      const nn = tanh(add(part(xwt, 2), mul(r, part(hw, 2))));
      return add(nn, mul(z, sub(h, nn)));
    };
    const stepFn = o.cell === 'gru' ? gru : elman;
    function unroll(x: Tensor, ctx: ForwardContext): Tensor {
      const n = x.shape[0];
      const bias = o.cell === 'gru' ? param(rm, 'inputBias', ctx) : param(rm, 'bias', ctx);
      // Every step's input projection in one GEMM: [n·T, features] → [n, T, gates·H].
      const xw = reshape(linear(reshape(x, [n * steps, features]), param(rm, 'inputWeight', ctx), bias), [n, steps, gates * H]);
      let h = empty([n, H]);
      const outs: Tensor[] = [];
      for (let t = 0; t < steps; t++) {
        h = stepFn(reshape(slice(xw, 1, t, t + 1), [n, gates * H]), h, ctx);
        outs.push(reshape(h, [n, 1, H]));
        if (truncation && (t + 1) % truncation.every === 0 && t + 1 < steps) h = truncation.boundary(h, t + 1);
      }
      return concat(outs, 1);
    }
    return rm;
  };
  return build(null);
}
