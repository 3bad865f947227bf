// Gradient alignment: how a rule's update compares with the true backprop gradient on the
// same batch and parameters — per layer and overall.
import { valueAndGrad } from '../autograd/functional.ts';
import type { Model } from '../nn/model.ts';
import type { Batch, Task } from '../rules/task.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Buf } from '../kernels/backend.ts';
import type { AlignmentStats, LayerAlignment } from '../runner/record-types.ts';

export type Alignment = AlignmentStats;

export interface AlignmentReport {
  layers: LayerAlignment[];
  /** Parameter-weighted. */
  overall: Alignment;
  /** Unweighted mean over layers. */
  layerMean: Alignment;
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

function finish(acc: Acc): Alignment {
  const denom = Math.sqrt(acc.uu) * Math.sqrt(acc.gg);
  const cosine = denom > 0 ? Math.max(-1, Math.min(1, acc.dot / denom)) : 0;
  return {
    cosine,
    angleDeg: (Math.acos(cosine) * 180) / Math.PI,
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
  return { cosine, angleDeg: (Math.acos(cosine) * 180) / Math.PI, normRatio: avg('normRatio'), signAgreement: avg('signAgreement'), zeroShare: avg('zeroShare') };
}

/** Compare two vectors (e.g. a feedback matrix B with its forward weight W). */
export function compare(a: Tensor, b: Tensor): Alignment {
  const acc = emptyAcc();
  accumulate(acc, a.data, b.data);
  return finish(acc);
}

/**
 * Accumulates alignment one parameter at a time, so streamed (lazy) updates can be measured
 * without materializing them all.
 */
export class AlignmentMeter {
  private readonly perLayer: Acc[];
  private readonly all = emptyAcc();

  constructor(private readonly model: Model) {
    this.perLayer = model.blocks.map(emptyAcc);
  }

  add(index: number, update: Tensor, reference: Tensor): void {
    this.addData(index, update.data, reference.data);
  }

  /** Aligned stretches of parameter `index`'s update and reference (streamed ranges). */
  addData(index: number, update: Buf, reference: Buf): void {
    accumulate(this.perLayer[this.model.paramBlock[index]], update, reference);
    accumulate(this.all, update, reference);
  }

  report(): AlignmentReport {
    const layers = this.model.blocks.map((b, i) => ({ layer: b.name, ...finish(this.perLayer[i]) }));
    return { layers, overall: finish(this.all), layerMean: meanOfLayers(layers) };
  }
}

/** Alignment of `updates` with `reference` (the BP gradient), grouped by the model's layers. */
export function alignment(model: Model, updates: readonly Tensor[], reference: readonly Tensor[]): AlignmentReport {
  const meter = new AlignmentMeter(model);
  updates.forEach((u, i) => meter.add(i, u, reference[i]));
  return meter.report();
}

/** The true backprop gradient of the task loss at `params` on `batch`. */
export function trueGradient(model: Model, task: Task, params: readonly Tensor[], batch: Batch): Tensor[] {
  return valueAndGrad((p: Tensor[]) => task.loss(model.forward(p, batch.x).out, batch))([...params]).grads;
}
