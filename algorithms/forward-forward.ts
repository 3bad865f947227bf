// Forward-forward (Hinton 2022), supervised variant: the label is written into the input
// (one-hot in its first `classes` features); every hidden layer learns on its own to give
// high goodness (mean or sum of squared activity) to positive data (true label) and low
// goodness to negative data (a wrong label), through a logistic loss around a threshold.
// Each layer sees only the length-normalized, detached activity of the layer below, so no
// gradient crosses layers and a layer cannot read the goodness below it.
//
// The model's last block (hidden → classes) is not used by forward-forward: it receives
// zero updates, and classification is by goodness (`predict`): for each candidate label,
// goodness summed over the counted layers, argmax.
import {
  SpecError, add, defineRule, fromArray, lengthNormalize, linear, mean, noGrad, scalar, slice, softplus, square,
  stopGradient, sub, sum, valueAndGrad, zeros, type Block, type Model, type Rng, type RuleContext, type Tensor,
} from '../src/index.ts';

const GOODNESS = ['mean', 'sum'] as const;
const SCHEDULES = ['simultaneous', 'layerwise'] as const;

export const forwardForwardDefaults = {
  /**
   * Goodness above which data counts as positive, per unit: a layer of u units compares its
   * mean squared activity with θ ('mean'), or its summed squared activity with θ·u ('sum',
   * the same boundary with u-times sharper logits, as loeweX/Forward-Forward).
   */
  threshold: 1,
  /** Goodness of a layer: mean or sum of its squared activities. */
  goodness: 'sum' as string,
  /** First hidden layer whose goodness counts at prediction (1 = skip the first, as Hinton suggests). */
  predictFrom: 0,
  /** simultaneous: all hidden layers learn on every batch; layerwise: one at a time, bottom up. */
  schedule: 'simultaneous' as string,
  /** layerwise: steps spent on each layer before moving up (the top layer keeps learning after). */
  layerSteps: 1000,
  /** Value written at the label's position of the input. */
  labelValue: 1,
  /** Also length-normalize the first layer's input (the data with its label). */
  normalizeInput: true,
};
export type ForwardForwardOptions = typeof forwardForwardDefaults;

/** Hidden blocks (all but the model's last one, which maps to the classes). */
function hiddenBlocks(model: Model): number {
  const h = model.blocks.length - 1;
  if (h < 1) throw new SpecError('forward-forward: the model needs at least one hidden layer (sizes like [784, 500, 500, 10])');
  return h;
}

function classesOf(ctx: RuleContext, features: number): number {
  const c = ctx.task.classes;
  if (ctx.task.kind !== 'classification' || c < 2) throw new SpecError('forward-forward: needs a classification task');
  if (c > features) throw new SpecError(`forward-forward: ${c} classes cannot be embedded in ${features} input features`);
  return c;
}

/** One wrong label per example, uniform over the other classes — never the true one. */
export function negativeLabels(labels: ArrayLike<number>, classes: number, rng: Rng): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = (labels[i] + 1 + rng.int(classes - 1)) % classes;
  return out;
}

/**
 * Copies of x with labels written one-hot (value `value`) into the first `classes` features,
 * one block of rows per label array: [x|labels[0]; x|labels[1]; ...]. x is not modified.
 */
export function embedLabels(x: Tensor, labelSets: ReadonlyArray<ArrayLike<number>>, classes: number, value = 1): Tensor {
  const [n, f] = x.shape;
  const out = new Float32Array(n * f * labelSets.length);
  labelSets.forEach((labels, s) => {
    const off = s * n * f;
    out.set(x.data, off);
    for (let i = 0; i < n; i++) {
      const row = off + i * f;
      out.fill(0, row, row + classes);
      out[row + labels[i]] = value;
    }
  });
  return fromArray(out, [n * labelSets.length, f]);
}

/** What block `index` receives: the activity below, detached and (except optionally the data) length-normalized. */
export function layerInput(index: number, h: Tensor, normalizeInput = true): Tensor {
  const detached = stopGradient(h);
  return index > 0 || normalizeInput ? lengthNormalize(detached) : detached;
}

/** Goodness per example [n] of activities a [n, units]. */
export function goodness(a: Tensor, kind: string): Tensor {
  return kind === 'sum' ? sum(square(a), 1) : mean(square(a), 1);
}

/** Hidden layers trained at this step. */
function trainedLayers(o: ForwardForwardOptions, hidden: number, step: number): number[] {
  if (o.schedule === 'layerwise') return [Math.min(hidden - 1, Math.floor(Math.max(0, step) / Math.max(1, o.layerSteps)))];
  return Array.from({ length: hidden }, (_, i) => i);
}

function meanOf(t: Tensor): number {
  let s = 0;
  for (let i = 0; i < t.size; i++) s += t.data[i];
  return s / t.size;
}

export const forwardForward = defineRule({
  id: 'forward-forward',
  description: 'Each hidden layer separates positive (true label) from negative (wrong label) data by its own goodness; no backward pass between layers.',
  defaults: forwardForwardDefaults,
  choices: { goodness: GOODNESS, schedule: SCHEDULES },
  // Layer-local logistic losses on goodness: no task gradient to be aligned with.
  estimates: 'own-objective',
  objective: 'layer-local goodness (positive vs negative data)',
  references: [
    { source: 'Hinton 2022', dataset: 'mnist', metric: 'test error %', value: 1.36, note: '4×2000 ReLU, 60 epochs' },
    { source: 'loeweX/Forward-Forward', dataset: 'mnist', metric: 'test error %', value: 1.45, note: '3×1000, 100 epochs' },
  ],
  init(ctx) {
    hiddenBlocks(ctx.model);
    return null;
  },
  step(ctx, state, batch) {
    const o = ctx.options;
    const { model } = ctx;
    const hidden = hiddenBlocks(model);
    const classes = classesOf(ctx, model.inputSize);
    if (!batch.labels) throw new SpecError('forward-forward: the batch has no labels');
    const rng = ctx.rng.child(ctx.step);
    const n = batch.size;
    const negatives = negativeLabels(batch.labels, classes, rng.child('negatives'));
    // Positives in the first n rows, negatives in the next n: one forward pass for both.
    const x = embedLabels(batch.x, [batch.labels, negatives], classes, o.labelValue);
    const layers = trainedLayers(o, hidden, ctx.step);
    const top = Math.max(...layers);
    const fwd = {
      training: true, rng: rng.child('dropout'), blocks: top + 1,
      input: (b: Block, h: Tensor) => layerInput(b.index, h, o.normalizeInput),
    };
    const metrics: Record<string, number> = {};
    const { value, grads } = valueAndGrad((p: Tensor[]) => {
      const r = model.forward(p, x, fwd);
      let total: Tensor | null = null;
      for (const k of layers) {
        const g = goodness(r.post[k], o.goodness);
        const thr = scalar(o.goodness === 'sum' ? o.threshold * r.post[k].shape[1] : o.threshold);
        const gPos = slice(g, 0, 0, n);
        const gNeg = slice(g, 0, n, 2 * n);
        const loss = add(mean(softplus(sub(thr, gPos))), mean(softplus(sub(gNeg, thr))));
        total = total ? add(total, loss) : loss;
        metrics[`layer${k}.goodnessPos`] = meanOf(gPos);
        metrics[`layer${k}.goodnessNeg`] = meanOf(gNeg);
        metrics[`layer${k}.loss`] = loss.item();
      }
      return total as Tensor;
    })([...ctx.params]);
    // Parameters of layers not trained now (and of the unused output block) get zero updates.
    const trained = new Set(layers);
    const updates = grads.map((g, i) => (trained.has(model.paramBlock[i]) ? g : zeros(g.shape)));
    return { updates, state, loss: value.item(), metrics };
  },
  predict(ctx, _state, x) {
    return noGrad(() => goodnessScores(ctx, x));
  },
});

/**
 * Class scores [n, classes]: for each candidate label, goodness summed over hidden layers
 * predictFrom.. . The first layer's linear map is shared across candidates (only the label's
 * column of W differs, and the input length does not depend on which label is written).
 */
export function goodnessScores(ctx: RuleContext<ForwardForwardOptions>, x: Tensor): Tensor {
  const o = ctx.options;
  const { model, params } = ctx;
  const hidden = hiddenBlocks(model);
  const [n, f] = x.shape;
  const classes = classesOf(ctx, f);
  const from = Math.min(Math.max(0, Math.floor(o.predictFrom)), hidden - 1);
  // The data with its label slots cleared, scaled as block 0's input will be.
  const xr = new Float32Array(x.data);
  const labelScale = new Float32Array(n).fill(o.labelValue);
  for (let i = 0; i < n; i++) {
    const row = i * f;
    xr.fill(0, row, row + classes);
    if (o.normalizeInput) {
      let ss = o.labelValue * o.labelValue;
      for (let j = row; j < row + f; j++) ss += xr[j] * xr[j];
      const r = Math.sqrt(ss / f) + 1e-8;
      for (let j = row; j < row + f; j++) xr[j] /= r;
      labelScale[i] = o.labelValue / r;
    }
  }
  const b0 = model.blocks[0];
  const w0 = params[b0.weight];
  const units = b0.outFeatures;
  const xrT = fromArray(xr, [n, f]);
  const base = linear(xrT, w0, params[b0.bias]);
  const scores = new Float32Array(n * classes);
  for (let c = 0; c < classes; c++) {
    const z0 = base.clone();
    for (let i = 0; i < n; i++) {
      const s = labelScale[i];
      for (let u = 0; u < units; u++) z0.data[i * units + u] += s * w0.data[u * f + c];
    }
    let h = model.block(0, params, xrT, { linear: () => z0 }).post;
    for (let k = 0; k < hidden; k++) {
      if (k > 0) h = model.block(k, params, h, { input: (b, t) => layerInput(b.index, t, o.normalizeInput) }).post;
      if (k < from) continue;
      const g = goodness(h, o.goodness);
      for (let i = 0; i < n; i++) scores[i * classes + c] += g.data[i];
    }
  }
  return fromArray(scores, [n, classes]);
}
