// PEPITA (Dellaferrera & Kreiman 2022, "Error-driven input modulation: solving the credit
// assignment problem without a backward pass"): two forward passes and no backward one. The first
// runs on the input x and gives the output error e = softmax(out) − onehot(y); the second runs on
// the input modulated by that error through a fixed random projection F, x + F·e. Each hidden
// layer ℓ then learns from the difference of its activities between the passes, against its
// modulated input: ΔWℓ = (hℓ − hℓᵐᵒᵈ)·(xℓᵐᵒᵈ)ᵀ; the output layer from the second pass's error,
// ΔW_L = eᵐᵒᵈ·(x_Lᵐᵒᵈ)ᵀ. As in the authors' code (GiorgiaD/PEPITA), F [inputs, classes] is
// uniform on ±0.05·√(6/inputs), updates are averaged over the batch (and, for a convolution, over
// its output positions), and normalization parameters are not trained (zero updates).
//
// A layer's activity hℓ is its output after the modules that keep its shape (norm, activation),
// before pooling or flattening. Defined for plain stacks (dense and conv layers in one top-level
// sequence) on classification tasks; residual nets are refused.
//
// The paper's schedule: SGD with momentum 0.9 at rate 0.01, ×0.1 at epochs 60 and 90, batch 64:
// the rule's preset 'paper' (`{ rule: 'pepita', preset: 'paper' }` in a spec; batch 64 is the
// experiment's to set).
//
// Estimates: the task gradient. PEPITA has its own update rule, but as for FA the field measures
// how close its updates come to backprop's gradient, which is what the alignment cosine reports.
import {
  add,
  defineRule,
  FORWARD,
  WEIGHT_GRADIENT,
  layerBlocks,
  matmul,
  mul,
  noGrad,
  reshape,
  runModules,
  scalar,
  sizeOf,
  softmax,
  SpecError,
  sub,
  uniform,
  zeros,
  type Batch,
  type ForwardOptions,
  type LayerChain,
  type RuleContext,
  type Tensor,
  refuseAdapters,
} from '../src/core.ts';

export const pepitaDefaults = {
  /** F's entries are uniform on ±fScale·√(6/inputs). */
  fScale: 0.05,
};
export type PepitaOptions = typeof pepitaDefaults;

export interface PepitaState {
  /** F [input features, classes]. */
  projection: Tensor;
}

function chain(ctx: RuleContext<PepitaOptions>): LayerChain {
  if (ctx.task.kind !== 'classification')
    throw new SpecError('pepita: needs a classification task (the error it feeds back is softmax output − one-hot label)');
  if (ctx.model.outputShape.length !== 1)
    throw new SpecError(`pepita: the model output must be one score per class, got [${ctx.model.outputShape.join(', ')}]`);
  return layerBlocks(ctx.model, 'pepita');
}

interface Pass {
  /** Per block: the input of its weight layer, and its activity. */
  inputs: Tensor[];
  activities: Tensor[];
  out: Tensor;
}

/** One forward pass, recording each weight layer's input and activity (no tape). */
function forwardPass(c: LayerChain, x: Tensor, opts: ForwardOptions & { params: readonly Tensor[] }): Pass {
  const inputs: Tensor[] = [];
  const activities: Tensor[] = [];
  let h = runModules(c.prefix, x, opts);
  for (const b of c.blocks) {
    inputs.push(h);
    h = runModules(b.modules.slice(0, b.activityDepth), h, opts);
    activities.push(h);
    h = runModules(b.modules.slice(b.activityDepth), h, opts);
  }
  return { inputs, activities, out: h };
}

/** softmax(out) − onehot(labels), [n, classes]. */
function outputError(out: Tensor, labels: Int32Array): Tensor {
  const e = softmax(out).clone();
  const c = e.shape[1];
  for (let i = 0; i < labels.length; i++) e.data[i * c + labels[i]] -= 1;
  return e;
}

/** Root-mean-square of a − b (how far the modulation moved the input). */
function rms(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k] - b[k]) ** 2;
  return Math.sqrt(s / a.length);
}

export const pepita = defineRule({
  id: 'pepita',
  description:
    'PEPITA: a second forward pass on the input modulated by the output error (through a fixed random projection); each layer learns from the change of its activity.',
  defaults: pepitaDefaults,
  // Two forward passes (x, then x + F·e) and each layer's weight update, an outer product as large
  // as a weight gradient; no backward pass.
  cost: () => 2 * FORWARD + WEIGHT_GRADIENT,
  search: { fScale: { float: [0.01, 0.5], log: true } },
  presets: {
    paper: {
      optimizer: ({ stepsPerEpoch }) => ({
        name: 'momentum',
        lr: 0.01,
        momentum: 0.9,
        schedule: { kind: 'multistep', milestones: [60 * stepsPerEpoch, 90 * stepsPerEpoch], gamma: 0.1 },
      }),
      source:
        "Dellaferrera & Kreiman 2022, the authors' code GiorgiaD/PEPITA (Tutorial_PEPITA_FullyConnectedNets_CIFAR-10.ipynb, whose settings the README says are the paper's; functions.py decays alike): SGD with momentum 0.9 at rate 0.01, ×0.1 at epochs 60 and 90 of 100, batch 64",
    },
  },
  check(ctx) {
    refuseAdapters(
      'pepita',
      ctx.model,
      "its updates are each weight layer's weight gradient from the modulated pass, and an adapted layer's weight is not a parameter",
    );
    chain(ctx);
    if (!(ctx.options.fScale >= 0)) throw new SpecError(`pepita: option fScale must be ≥ 0, got ${ctx.options.fScale}`);
  },
  init(ctx): PepitaState {
    const d = ctx.model.inputSize;
    const a = ctx.options.fScale * Math.sqrt(6 / d);
    return { projection: uniform([d, ctx.task.classes], -a, a, ctx.rng.child('projection')) };
  },
  step(ctx, state, batch: Batch) {
    const c = chain(ctx);
    const labels = batch.labels;
    if (!labels) throw new SpecError('pepita: the batch has no labels');
    const n = batch.size;
    const params = ctx.params;
    return noGrad(() => {
      const x = reshape(batch.x, [n, ...ctx.model.inputShape]);
      const clean = forwardPass(c, x, { ...ctx.train, params });
      const e = outputError(clean.out, labels);
      // x + F·e per example: e [n, classes] · Fᵀ → [n, inputs]. The second pass uses the same
      // dropout masks and leaves the batch-norm statistics to the first.
      const xMod = reshape(add(reshape(batch.x, [n, ctx.model.inputSize]), matmul(e, state.projection, false, true)), [
        n,
        ...ctx.model.inputShape,
      ]);
      const mod = forwardPass(c, xMod, { ...ctx.train, stats: undefined, params });
      const updates: Array<Tensor | null> = params.map(() => null);
      const last = c.blocks.length - 1;
      c.blocks.forEach((b, l) => {
        const delta = l === last ? outputError(mod.out, labels) : sub(clean.activities[l], mod.activities[l]);
        // Averaged over the batch and, for feature maps, over the output positions.
        const positions = b.layer.outShape.length > 1 ? sizeOf(b.layer.outShape) / b.layer.outShape[0] : 1;
        const p = b.layer.paramVjp(mul(delta, scalar(1 / (n * positions))), mod.inputs[l]);
        updates[b.layer.params.weight.index] = p.weight;
        if (p.bias && b.layer.params.bias) updates[b.layer.params.bias.index] = p.bias;
      });
      const metrics: Record<string, number> = { inputModulation: rms(xMod.data, x.data) };
      return { updates: updates.map((u, i) => u ?? zeros(params[i].shape)), state, loss: ctx.task.loss(clean.out, batch).item(), metrics };
    });
  },
});
