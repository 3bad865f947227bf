// Gradient alignment: how a rule's update compares with a reference gradient (backprop's, or
// the expected gradient of a stochastic net) on the same batch, parameters and dropout masks —
// per layer, parameter-weighted overall and as a mean over layers — and how the error signal a
// rule delivers to each hidden layer compares with backprop's δ there.
import type { Model } from '../nn/model.ts';
import { SignalProbe, withSignalProbe, type ForwardOptions } from '../nn/module.ts';
import type { Batch, Task } from '../rules/task.ts';
import { taskGradient } from '../rules/task-loss.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Buf } from '../kernels/backend.ts';

export interface AlignmentStats {
  /** Cosine between the rule's update and the reference (0 when either is zero). */
  cosine: number;
  angleDeg: number;
  /** ‖update‖ / ‖reference‖. */
  normRatio: number;
  /** Share of entries with the same sign, over the entries where the reference is nonzero. */
  signAgreement: number;
  /** Share of reference entries that are exactly zero (left out of signAgreement). */
  zeroShare: number;
}

export interface LayerAlignment extends AlignmentStats {
  /** Module path owning the parameters, e.g. "features.0" or "layers.2". */
  layer: string;
}

export interface ErrorSignalAlignment {
  /** Path of the weight layer whose output (pre-activation) received the signal. */
  layer: string;
  /** Cosine between the signal the rule delivered there and backprop's δ on the same batch. */
  cosine: number;
}

export type Alignment = AlignmentStats;

export interface AlignmentReport {
  layers: LayerAlignment[];
  /** Parameter-weighted. */
  overall: Alignment;
  /** Unweighted mean over layers. */
  layerMean: Alignment;
  /** Jackknife standard error of the overall cosine over the reference's sample groups; null when exact. */
  stdErr: number | null;
}

interface Acc {
  dot: number;
  uu: number;
  gg: number;
  agree: number;
  /** Entries where the reference is nonzero (the only ones whose sign can agree). */
  signed: number;
  n: number;
}

const emptyAcc = (): Acc => ({ dot: 0, uu: 0, gg: 0, agree: 0, signed: 0, n: 0 });

function accumulate(acc: Acc, u: Buf, g: Buf): void {
  for (let i = 0; i < u.length; i++) {
    const a = u[i];
    const b = g[i];
    acc.dot += a * b;
    acc.uu += a * a;
    acc.gg += b * b;
    // 0 = 0 is no agreement worth counting: many first-layer gradient entries are exactly 0.
    if (b !== 0) {
      acc.signed++;
      if (Math.sign(a) === Math.sign(b)) acc.agree++;
    }
  }
  acc.n += u.length;
}

const clampCos = (dot: number, nu: number, ng: number) => (nu > 0 && ng > 0 ? Math.max(-1, Math.min(1, dot / (nu * ng))) : 0);
const degrees = (c: number) => (Math.acos(c) * 180) / Math.PI;

function finish(acc: Acc): Alignment {
  const cosine = clampCos(acc.dot, Math.sqrt(acc.uu), Math.sqrt(acc.gg));
  return {
    cosine,
    angleDeg: degrees(cosine),
    normRatio: acc.gg > 0 ? Math.sqrt(acc.uu / acc.gg) : 0,
    signAgreement: acc.signed > 0 ? acc.agree / acc.signed : 0,
    zeroShare: acc.n > 0 ? 1 - acc.signed / acc.n : 0,
  };
}

/** The unweighted mean of per-layer figures (angle recomputed from the mean cosine). */
export function meanOfLayers(layers: readonly Alignment[]): Alignment {
  const n = layers.length;
  const avg = (k: keyof Alignment) => (n ? layers.reduce((s, l) => s + l[k], 0) / n : 0);
  const cosine = avg('cosine');
  return {
    cosine,
    angleDeg: degrees(cosine),
    normRatio: avg('normRatio'),
    signAgreement: avg('signAgreement'),
    zeroShare: avg('zeroShare'),
  };
}

/** Compare two vectors (e.g. a feedback matrix B with its forward weight W). */
export function compare(a: Tensor, b: Tensor): Alignment {
  const acc = emptyAcc();
  accumulate(acc, a.data, b.data);
  return finish(acc);
}

/**
 * compare's cosine and norm ratio alone, from the same sums in the same order (the same bits), in
 * a pass without the sign counts: several times faster, for a rule that reports them every step.
 */
export function cosineAndNormRatio(a: Tensor, b: Tensor): { cosine: number; normRatio: number } {
  const u = a.data;
  const g = b.data;
  let dot = 0;
  let uu = 0;
  let gg = 0;
  for (let i = 0; i < u.length; i++) {
    const x = u[i];
    const y = g[i];
    dot += x * y;
    uu += x * x;
    gg += y * y;
  }
  const { cosine, normRatio } = finish({ dot, uu, gg, agree: 0, signed: 0, n: 0 });
  return { cosine, normRatio };
}

/** A reference gradient, and (sampled references) each sample group's own estimate. */
export interface Reference {
  grads: readonly Tensor[];
  groups?: readonly (readonly Float32Array[])[] | null;
}

/**
 * Accumulates alignment one parameter (or one range of it) at a time, so streamed updates are
 * measured without materializing them all.
 */
export class AlignmentMeter {
  private readonly perLayer = new Map<string, Acc>();
  private readonly all = emptyAcc();
  /** Per sample group k: Σ u·g_k, and the precomputed ḡ·g_k and ‖g_k‖² (jackknife). */
  private readonly udot: Float64Array | null;
  private readonly gbarDot: Float64Array | null;
  private readonly groupSq: Float64Array | null;

  constructor(
    private readonly model: Model,
    private readonly reference: Reference,
  ) {
    for (const l of model.layers) this.perLayer.set(l, emptyAcc());
    const groups = reference.groups;
    if (groups && groups.length >= 2) {
      const G = groups.length;
      this.udot = new Float64Array(G);
      this.gbarDot = new Float64Array(G);
      this.groupSq = new Float64Array(G);
      for (let k = 0; k < G; k++) {
        groups[k].forEach((gk, i) => {
          const gbar = reference.grads[i].data;
          let a = 0;
          let b = 0;
          for (let e = 0; e < gk.length; e++) {
            a += gbar[e] * gk[e];
            b += gk[e] * gk[e];
          }
          this.gbarDot![k] += a;
          this.groupSq![k] += b;
        });
      }
    } else {
      this.udot = this.gbarDot = this.groupSq = null;
    }
  }

  /** Elements [offset, offset + update.length) of parameter `index`'s update. */
  add(index: number, update: Buf, offset = 0): void {
    const ref = this.reference.grads[index].data.subarray(offset, offset + update.length);
    accumulate(this.perLayer.get(this.model.paramOwner[index])!, update, ref);
    accumulate(this.all, update, ref);
    if (this.udot) {
      this.reference.groups!.forEach((g, k) => {
        const gk = g[index];
        let s = 0;
        for (let e = 0; e < update.length; e++) s += update[e] * gk[offset + e];
        this.udot![k] += s;
      });
    }
  }

  report(): AlignmentReport {
    const layers = this.model.layers.map((layer) => ({ layer, ...finish(this.perLayer.get(layer)!) }));
    return { layers, overall: finish(this.all), layerMean: meanOfLayers(layers), stdErr: this.jackknife() };
  }

  /** Standard error of the overall cosine: leave one sample group out of the reference at a time. */
  private jackknife(): number | null {
    if (!this.udot) return null;
    const G = this.udot.length;
    const nu = Math.sqrt(this.all.uu);
    const S = this.all.gg;
    const cos = Array.from(this.udot, (ud, k) => {
      const dot = (G * this.all.dot - ud) / (G - 1);
      const sq = (G * G * S - 2 * G * this.gbarDot![k] + this.groupSq![k]) / (G - 1) ** 2;
      return clampCos(dot, nu, Math.sqrt(Math.max(0, sq)));
    });
    const mean = cos.reduce((a, b) => a + b, 0) / G;
    return Math.sqrt(((G - 1) / G) * cos.reduce((a, c) => a + (c - mean) ** 2, 0));
  }
}

/** Alignment of `updates` with `reference` grouped by the model's layers. */
export function alignment(model: Model, updates: readonly Tensor[], reference: readonly Tensor[]): AlignmentReport {
  const meter = new AlignmentMeter(model, { grads: reference });
  updates.forEach((u, i) => meter.add(i, u.data));
  return meter.report();
}

/** Outputs of the hidden weight layers: where a rule delivers its error signals. */
export function signalPaths(model: Model): string[] {
  return model
    .weightLayers()
    .slice(0, -1)
    .map((l) => l.path);
}

/**
 * Backprop's gradient of the task loss at `params` on `batch`, with the forward options of the
 * rule's own pass (the same dropout masks), and, at `paths`, the δ arriving there.
 */
export function trueGradient(
  model: Model,
  task: Task,
  params: readonly Tensor[],
  batch: Batch,
  forward: ForwardOptions = {},
  paths: readonly string[] = [],
): { grads: Tensor[]; signals: Map<string, Float32Array> } {
  const probe = new SignalProbe(new Set(paths));
  const grads = withSignalProbe(probe, () => taskGradient({ model, task, params, train: forward }, batch).grads);
  return { grads, signals: probe.signals };
}

/** Cosine, per path both hold, between a rule's delivered signals and backprop's δ. */
export function errorSignalAlignment(
  rule: ReadonlyMap<string, Float32Array>,
  reference: ReadonlyMap<string, Float32Array>,
  paths: readonly string[],
): ErrorSignalAlignment[] {
  return paths.flatMap((layer) => {
    const u = rule.get(layer);
    const g = reference.get(layer);
    if (!u || !g) return [];
    const acc = emptyAcc();
    accumulate(acc, u, g);
    return [{ layer, cosine: finish(acc).cosine }];
  });
}
