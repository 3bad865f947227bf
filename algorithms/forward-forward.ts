// Forward-forward (Hinton 2022), supervised variant: the label is written into the input
// (one-hot in its first `classes` features); every hidden layer learns on its own to give
// high goodness (mean or sum of squared activity) to positive data (true label) and low
// goodness to negative data (a wrong label), through a logistic loss around a threshold.
// A layer's activity is what enters the next weight layer (after its activation and any
// pooling); each weight layer sees it detached and length-normalized, so no gradient crosses
// layers and a layer cannot read the goodness below it. Dense and conv layers alike: goodness
// sums over all of a layer's units (channels × positions for feature maps).
//
// The last weight layer (hidden → classes) is not used: it receives zero updates, and
// classification is by goodness (`predict`): for each candidate label, goodness summed over
// the counted layers, argmax.
import {
  add,
  defineRule,
  FORWARD,
  WEIGHT_GRADIENT,
  fromArray,
  lengthNormalize,
  mean,
  noGrad,
  refuseSequenceTask,
  reshape,
  scalar,
  slice,
  softplus,
  SpecError,
  square,
  stopGradient,
  sub,
  sum,
  valueAndGrad,
  wrap,
  type Model,
  type Rng,
  type RuleContext,
  type Tensor,
  withLayer,
} from '../src/core.ts';

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

/** Number of hidden layers: weight layers but the last (which maps to the classes). */
function hiddenLayers(model: Model): number {
  const h = model.weightLayers().length - 1;
  if (h < 1) throw new SpecError('forward-forward: the model needs at least one hidden weight layer before the output layer');
  return h;
}

function classesOf(ctx: RuleContext, features: number): number {
  const c = ctx.task.classes;
  if (ctx.task.kind !== 'classification' || c < 2) throw new SpecError('forward-forward: needs a classification task');
  if (c > features) throw new SpecError(`forward-forward: ${c} classes cannot be embedded in ${features} input features`);
  return c;
}

/** One wrong label per example, uniform over the other classes — never the true one. */
export function negativeLabels(labels: ArrayLike<number>, classes: number, rng: Rng): Int32Array {
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = (labels[i] + 1 + rng.int(classes - 1)) % classes;
  return out;
}

/**
 * Copies of x [n, features] with labels written one-hot (value `value`) into the first `classes`
 * features, one block of rows per label array: [x|labels[0]; x|labels[1]; ...]. x is not modified.
 */
export function embedLabels(x: Tensor, labelSets: ReadonlyArray<ArrayLike<number>>, classes: number, value = 1): Tensor {
  const n = x.shape[0];
  const f = x.size / n;
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

/** Length-normalize each sample over all its features (whatever its shape). */
function normalizeSample(h: Tensor): Tensor {
  return h.rank === 2 ? lengthNormalize(h) : reshape(lengthNormalize(reshape(h, [h.shape[0], h.size / h.shape[0]])), h.shape);
}

/** What weight layer `index` receives: the activity below, detached and (except optionally the data) length-normalized. */
export function layerInput(index: number, h: Tensor, normalizeInput = true): Tensor {
  const detached = stopGradient(h);
  return index > 0 || normalizeInput ? normalizeSample(detached) : detached;
}

/** Goodness per example [n] of activities a [n, ...units]. */
export function goodness(a: Tensor, kind: string): Tensor {
  const flat = a.rank === 2 ? a : reshape(a, [a.shape[0], a.size / a.shape[0]]);
  return kind === 'sum' ? sum(square(flat), 1) : mean(square(flat), 1);
}

/** Hidden layers trained at this step. */
function trainedLayers(o: ForwardForwardOptions, hidden: number, step: number): number[] {
  if (o.schedule === 'layerwise') return [Math.min(hidden - 1, Math.floor(Math.max(0, step) / Math.max(1, o.layerSteps)))];
  return Array.from({ length: hidden }, (_, i) => i);
}

/**
 * The model with every weight layer's input detached and normalized, and the hidden
 * activities (inputs of weight layers 1..) collected into `activity` in forward order.
 */
function detachedModel(model: Model, o: ForwardForwardOptions, activity: Tensor[]): Model {
  const index = new Map(model.weightLayers().map((l, i) => [l.path, i]));
  return model.map((m) => {
    const i = index.get(m.path);
    if (i === undefined) return m;
    return wrap(m, {
      before: (x) => {
        if (i > 0) activity.push(x);
        return layerInput(i, x, o.normalizeInput);
      },
    });
  });
}

function meanOf(t: Tensor): number {
  let s = 0;
  for (let i = 0; i < t.size; i++) s += t.data[i];
  return s / t.size;
}

export const forwardForward = defineRule({
  id: 'forward-forward',
  updateWaitsFor: 'nothing',
  description:
    'Each hidden layer separates positive (true label) from negative (wrong label) data by its own goodness; no backward pass between layers.',
  defaults: forwardForwardDefaults,
  choices: { goodness: GOODNESS, schedule: SCHEDULES },
  // One forward pass over positives and negatives (2 batches), and each layer's local weight
  // gradient on both; no error crosses layers.
  cost: () => 2 * FORWARD + 2 * WEIGHT_GRADIENT,
  search: { threshold: { float: [0.1, 10], log: true }, goodness: { choice: GOODNESS } },
  // Layer-local logistic losses on goodness: no task gradient to be aligned with.
  estimates: 'own-objective',
  // Goodness per candidate label ranks the classes; it is no distribution over them.
  predicts: 'scores',
  objective: 'layer-local goodness (positive vs negative data)',
  check(ctx) {
    refuseSequenceTask(
      ctx.task,
      ctx.model,
      'forward-forward',
      'it writes one label into each input sample and classifies by the goodness of each layer, while a language model has a label at every position',
    );
    hiddenLayers(ctx.model);
    classesOf(ctx, ctx.model.inputSize);
  },
  init: () => null,
  step(ctx, state, batch) {
    const o = ctx.options;
    const hidden = hiddenLayers(ctx.model);
    const classes = classesOf(ctx, ctx.model.inputSize);
    if (!batch.labels) throw new SpecError('forward-forward: the batch has no labels');
    const rng = ctx.rng.child(ctx.step);
    const n = batch.size;
    const negatives = negativeLabels(batch.labels, classes, rng.child('negatives'));
    // Positives in the first n rows, negatives in the next n: one forward pass for both.
    const x = embedLabels(batch.x, [batch.labels, negatives], classes, o.labelValue);
    const layers = trainedLayers(o, hidden, ctx.step);
    const metrics: Record<string, number> = {};
    const paths = ctx.model.weightLayers().map((l) => l.path);
    const { value, grads } = valueAndGrad((p: Tensor[]) => {
      const activity: Tensor[] = [];
      detachedModel(ctx.model, o, activity).forward(p, x, ctx.train);
      let total = null as Tensor | null;
      // Each local loss labelled with its layer's path: its work is that layer's (per-layer costs).
      for (const k of layers)
        withLayer(paths[k], () => {
          const a = activity[k];
          const g = goodness(a, o.goodness);
          const thr = scalar(o.goodness === 'sum' ? o.threshold * (a.size / a.shape[0]) : o.threshold);
          const gPos = slice(g, 0, 0, n);
          const gNeg = slice(g, 0, n, 2 * n);
          const loss = add(mean(softplus(sub(thr, gPos))), mean(softplus(sub(gNeg, thr))));
          total = total ? add(total, loss) : loss;
          // Named after the weight layer producing the activity.
          metrics[`${paths[k]}.goodnessPos`] = meanOf(gPos);
          metrics[`${paths[k]}.goodnessNeg`] = meanOf(gNeg);
          metrics[`${paths[k]}.loss`] = loss.item();
        });
      return total as Tensor;
    })([...ctx.params]);
    // Only the trained layers' losses were summed: every other parameter's gradient is zero.
    return { updates: grads, state, loss: value.item(), metrics };
  },
  predict(ctx, _state, x) {
    return noGrad(() => goodnessScores(ctx, x));
  },
});

/** Class scores [n, classes]: for each candidate label, goodness summed over hidden layers predictFrom.. . */
export function goodnessScores(ctx: RuleContext<ForwardForwardOptions>, x: Tensor): Tensor {
  const o = ctx.options;
  const hidden = hiddenLayers(ctx.model);
  const n = x.shape[0];
  const classes = classesOf(ctx, x.size / n);
  const from = Math.min(Math.max(0, Math.floor(o.predictFrom)), hidden - 1);
  const scores = new Float32Array(n * classes);
  for (let c = 0; c < classes; c++) {
    const activity: Tensor[] = [];
    detachedModel(ctx.model, o, activity).forward(
      ctx.params,
      embedLabels(x, [new Int32Array(n).fill(c)], classes, o.labelValue),
      ctx.infer,
    );
    for (let k = from; k < hidden; k++) {
      const g = goodness(activity[k], o.goodness);
      for (let i = 0; i < n; i++) scores[i * classes + c] += g.data[i];
    }
  }
  return fromArray(scores, [n, classes]);
}
