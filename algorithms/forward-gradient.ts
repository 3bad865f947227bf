// Forward gradients (Baydin et al. 2022, "Gradients without backpropagation"): the directional
// derivative ∇L·v along a random direction v, computed in one forward-mode pass (a JVP; no tape,
// no activation kept for a backward pass), times v. E[(∇L·v)v] = ∇L for v ~ N(0, I), so the
// update is an unbiased estimate of the task gradient, whose variance grows with the number of
// perturbed values; `directions` averages that many independent passes.
//
//   perturb 'weights'     v perturbs every parameter (Baydin et al.). Each weight's direction is
//                         drawn when its layer first reads it and regenerated from its key when
//                         the update is handed out, range by range: a step holds no tape, no
//                         saved activation and no parameter-sized direction. The draws come from
//                         the counter-based noise streams (fillNoise, streamedUpdates: the
//                         backend's kernel), as MeZO's do.
//   perturb 'activities'  Ren et al. 2023, "Scaling forward gradient with local losses": the
//                         network is cut into blocks, one per weight layer (the layer and the
//                         modules up to the next one); each block's input is detached and its
//                         output feeds a local linear classifier (a head, trained on its own exact
//                         gradient). The perturbation u is drawn at the output of every module with
//                         parameters (weight layers, norms), per example, and the per-example
//                         derivative of the block's local loss along u gives ĝ = (∇ℓᵢ·uᵢ)uᵢ for
//                         that output; parameter updates follow locally (ĝ·xᵀ). Far fewer
//                         perturbed values per estimate than weights. The last block's local loss
//                         is the task loss. Defined for plain stacks of layers (every parametrized
//                         module a child of the top-level sequence), classification tasks. With
//                         batch norm, the per-example derivative leaves out the cross-example terms
//                         the norm adds, as Ren et al.'s per-example estimates do.
//
// Estimates: 'weights', the task gradient, without bias; 'activities', the gradient of its local
// losses (each block's, its input held fixed), also without bias — not the task gradient, with
// which its mean over many directions has little in common on the hidden layers. Each mode
// declares the one it estimates, so the alignment cosine reads "how close to its own target".
import {
  adam,
  add,
  buildNetwork,
  customVjp,
  defineRule,
  fillNoise,
  FORWARD,
  gaussianDraws,
  WEIGHT_GRADIENT,
  isWeightLayer,
  layerBlocks,
  noGrad,
  noiseKey,
  perExampleLoss,
  reshape,
  run,
  softmax,
  SpecError,
  stopGradient,
  streamedUpdates,
  taskLoss,
  valueAndGrad,
  valueAndJvp,
  vjp,
  zeros,
  type Batch,
  type LayerChain,
  type Model,
  type Module,
  type OptState,
  type Rng,
  type RuleContext,
  type Tensor,
  type WeightLayer,
  refuseAdapters,
} from '../src/core.ts';

const PERTURB = ['weights', 'activities'] as const;
const NOISE = ['gaussian', 'rademacher'] as const;

export const forwardGradientDefaults = {
  /** What the random direction perturbs: every parameter, or the activities of each block (with local losses). */
  perturb: 'weights' as string,
  /** Independent directions (forward-mode passes) averaged per step. */
  directions: 1,
  /** Distribution of the direction's entries (both have E[vvᵀ] = I). */
  noise: 'gaussian' as string,
  /** 'activities': Adam rate of the local classifier heads. */
  headLr: 1e-3,
};
export type ForwardGradientOptions = typeof forwardGradientDefaults;

interface Head {
  /** Path of the weight layer whose block the head reads. */
  block: string;
  net: Model;
  params: Tensor[];
  opt: OptState;
}

export interface ForwardGradientState {
  /** 'activities': one head per block but the last (which is read by the task loss). */
  heads: Head[];
}

const draw = (r: Rng, rademacher: boolean): number => (rademacher ? (r.uniform() < 0.5 ? -1 : 1) : r.normal());

function randomTensor(shape: readonly number[], r: Rng, rademacher: boolean): Tensor {
  const t = zeros(shape);
  for (let k = 0; k < t.size; k++) t.data[k] = draw(r, rademacher);
  return t;
}

function checkOptions(o: ForwardGradientOptions): void {
  if (!(Number.isInteger(o.directions) && o.directions >= 1))
    throw new SpecError(`forward-gradient: option directions must be an integer ≥ 1, got ${o.directions}`);
  if (!(o.headLr > 0)) throw new SpecError(`forward-gradient: option headLr must be positive, got ${o.headLr}`);
}

// ---------------------------------------------------------------- perturbing the weights

function weightStep(ctx: RuleContext<ForwardGradientOptions>, state: ForwardGradientState, batch: Batch) {
  const o = ctx.options;
  const kind = o.noise === 'rademacher' ? 'rademacher' : 'gaussian';
  // Direction k of parameter i: the same draws for its tangent and, regenerated, for the update.
  const direction = (k: number) => (i: number) => noiseKey(ctx.rng, ctx.step, k, i, 'direction');
  const loss = taskLoss(ctx, batch);
  const projected: number[] = [];
  let value = 0;
  for (let k = 0; k < o.directions; k++) {
    // Each weight's direction is made when its layer first reads it, and dies after that layer.
    const res = valueAndJvp(loss)([...ctx.params], (p, i) => {
      const v = zeros(p.shape);
      fillNoise(v.data, direction(k)(i), 0, kind);
      return v;
    });
    projected.push(res.tangent.item());
    value = res.value.item();
  }
  const coeffs = projected.map((d) => d / o.directions);
  const mean = coeffs.reduce((a, b) => a + b, 0);
  const terms = coeffs.map((coef, k) => ({ coef, key: direction(k) }));
  return {
    updates: streamedUpdates(ctx.params, terms, undefined, 4096, kind),
    state,
    loss: value,
    metrics: { directionalDerivative: mean },
  };
}

// ---------------------------------------------------------------- perturbing the activities

/** The blocks activity perturbation runs on; refuses nested (residual) nets, saying weights work there. */
function localBlocks(model: Model): LayerChain {
  try {
    return layerBlocks(model, 'forward-gradient');
  } catch (e) {
    if (e instanceof SpecError)
      throw new SpecError(`${e.message} (that is for perturb 'activities'; perturb 'weights' works on any model)`);
    throw e;
  }
}

function checkActivities(ctx: RuleContext<ForwardGradientOptions>): void {
  refuseAdapters(
    'forward-gradient',
    ctx.model,
    "perturb 'activities' forms each layer's update from its weight's local gradient, and an adapted layer's weight is not a parameter (perturb 'weights' trains adapters)",
  );
  const { blocks } = localBlocks(ctx.model);
  if (blocks.length > 1 && (ctx.task.kind !== 'classification' || ctx.task.classes < 2)) {
    throw new SpecError("forward-gradient: perturb 'activities' trains local classifier heads, so it needs a classification task");
  }
}

const headLayer = (h: Head): WeightLayer => h.net.weightLayers()[0];

/** Identity whose tangent gains `u`: injects the perturbation at an activity (a tangent source). */
const perturbation = (u: Tensor) =>
  customVjp(
    'forwardGradient.perturb',
    (y: Tensor) => ({ out: y }),
    (_s, g) => [g],
    { jvp: ([t]) => (t ? add(t, u) : u) },
  );

/** Rows of t (one per example) scaled by s[i]. */
function scaleRows(t: Tensor, s: ArrayLike<number>): Tensor {
  const out = t.clone();
  const row = t.size / t.shape[0];
  for (let i = 0; i < t.shape[0]; i++) for (let k = 0; k < row; k++) out.data[i * row + k] *= s[i];
  return out;
}

/**
 * The exact gradient the activity-perturbed updates estimate: of the sum of the blocks' local
 * losses, each block's input held fixed (stopped), its head as the step receives it. Parameters
 * outside every block (none, in the models this mode accepts) get zeros.
 */
function localLossGradient(ctx: RuleContext<ForwardGradientOptions>, state: ForwardGradientState, batch: Batch): Tensor[] {
  const { prefix, blocks } = localBlocks(ctx.model);
  const fwd = { ...ctx.train, stats: undefined };
  const losses = (params: Tensor[]) => {
    let h = reshape(batch.x, [batch.size, ...ctx.model.inputShape]);
    for (const m of prefix) h = run(m, h, { ...fwd, params });
    let total: Tensor | null = null;
    blocks.forEach((b, bi) => {
      let y = stopGradient(h);
      for (const m of b.modules) y = run(m, y, { ...fwd, params });
      const head = state.heads[bi] as Head | undefined;
      const l = ctx.task.loss(head ? head.net.forward(head.params, y) : y, batch);
      total = total ? add(total, l) : l;
      h = y;
    });
    return total!;
  };
  return valueAndGrad(losses)([...ctx.params]).grads;
}

function activityStep(ctx: RuleContext<ForwardGradientOptions>, state: ForwardGradientState, batch: Batch) {
  const o = ctx.options;
  const rademacher = o.noise === 'rademacher';
  const rng = ctx.rng.child(ctx.step);
  const params = ctx.params;
  const n = batch.size;
  const { prefix, blocks } = localBlocks(ctx.model);
  const local = { ...ctx.train, stats: undefined };
  const updates: Array<Tensor | null> = params.map(() => null);
  const metrics: Record<string, number> = {};
  let h = reshape(batch.x, [n, ...ctx.model.inputShape]);
  for (const m of prefix) h = run(m, h, { ...ctx.train, params });
  let loss = 0;
  const headOpt = adam({ lr: o.headLr });
  blocks.forEach((b, bi) => {
    const head = state.heads[bi] as Head | undefined;
    const x = h;
    const inputs = new Map<Module, Tensor>();
    const estimate = new Map<Module, Tensor>();
    let next: Tensor | null = null;
    let out: Tensor | null = null;
    for (let k = 0; k < o.directions; k++) {
      const us = new Map<Module, Tensor>();
      // The block alone, its input without a tangent: its tangent comes only from the perturbations.
      const pass = () => {
        let y = x;
        for (const m of b.modules) {
          const xin = y;
          y = run(m, y, { ...ctx.train, params });
          if (!Object.keys(m.params).length) continue;
          inputs.set(m, xin);
          const u = randomTensor(y.shape, rng.child(`activity/${k}/${m.path}`), rademacher);
          us.set(m, u);
          y = perturbation(u)(y);
        }
        const scores = head ? head.net.forward(head.params, y) : y;
        return { loss: perExampleLoss(ctx.task, scores, batch), aux: { y, scores } };
      };
      const res = valueAndJvp(pass)([], []);
      // ĝ for each perturbed output, per example: (∂ℓᵢ/∂u)·uᵢ, averaged over the batch and the directions.
      const coeff = Array.from(res.tangent.data, (d) => d / (n * o.directions));
      for (const [m, u] of us) {
        const g = scaleRows(u, coeff);
        const prev = estimate.get(m);
        estimate.set(m, prev ? add(prev, g) : g);
      }
      if (k === 0) {
        next = res.aux!.y;
        out = res.aux!.scores;
        let s = 0;
        for (let i = 0; i < n; i++) s += res.value.data[i];
        metrics[`${b.layer.path}.localLoss`] = s / n;
        if (bi === blocks.length - 1) loss = s / n;
      }
    }
    // Parameter updates from each estimate, locally: a weight layer's ĝ·xᵀ, a norm's own VJP.
    for (const [m, g] of estimate) {
      const xin = inputs.get(m)!;
      if (isWeightLayer(m)) {
        const p = m.paramVjp(g, xin);
        updates[m.params.weight.index] = p.weight;
        if (p.bias && m.params.bias) updates[m.params.bias.index] = p.bias;
        continue;
      }
      const idx = Object.values(m.params).map((s) => s.index);
      const { vjpFn } = vjp(
        (own: Tensor[]) => {
          const ps = [...params];
          idx.forEach((j, q) => (ps[j] = own[q]));
          return run(m, xin, { ...local, params: ps });
        },
        idx.map((j) => params[j]),
      );
      vjpFn(g).forEach((gj, q) => (updates[idx[q]] = gj));
    }
    // The head learns from its exact local gradient: (softmax − onehot)/n at its scores.
    if (head) {
      const dScores = noGrad(() => softmax(out!)).clone();
      const c = dScores.shape[1];
      for (let i = 0; i < n; i++) {
        dScores.data[i * c + batch.labels![i]] -= 1;
        for (let j = 0; j < c; j++) dScores.data[i * c + j] /= n;
      }
      const p = headLayer(head).paramVjp(dScores, next!);
      noGrad(() => headOpt.update(head.params, p.bias ? [p.weight, p.bias] : [p.weight], head.opt, Math.max(0, ctx.step)));
    }
    h = next!;
  });
  return { updates: updates.map((u, i) => u ?? zeros(params[i].shape)), state, loss, metrics };
}

export const forwardGradient = defineRule({
  id: 'forward-gradient',
  description:
    'Forward gradients: (∇L·v)·v from one forward-mode pass per random direction v, no backward pass; v perturbs the weights ' +
    '(Baydin et al.) or, with local losses per block, the activities (Ren et al.).',
  defaults: forwardGradientDefaults,
  choices: { perturb: PERTURB, noise: NOISE },
  estimates: (o) => (o.perturb === 'activities' ? 'local-gradient' : 'task-gradient'),
  localGradient: localLossGradient,
  presets: {
    paper: {
      options: { perturb: 'weights', directions: 1, noise: 'gaussian' },
      optimizer: { name: 'sgd', lr: 2e-4, schedule: { kind: 'step', every: 1, gamma: Math.exp(-1e-4) } },
      source:
        'Baydin et al. 2022, §5 (MNIST): plain SGD, rate η₀ = 2·10⁻⁴ decaying as η₀·e^(−k·step) with k = 10⁻⁴, batch 64, one direction per step',
    },
  },
  // 'weights': per direction one forward-mode pass, the primal and its tangent V·x (a weight
  // gradient's work) + W·ẋ (an input VJP's: ẋ is zero at the first layer's input, the data).
  // 'activities': per direction the block's forward (the tangent starts at its output: elementwise
  // and the small head), then one weight gradient ĝ·xᵀ from the averaged estimates.
  cost: ({ options, inputVjp }) =>
    options.perturb === 'activities'
      ? options.directions * FORWARD + WEIGHT_GRADIENT
      : options.directions * (FORWARD + WEIGHT_GRADIENT + inputVjp),
  // 'weights': each direction drawn for its tangent, then regenerated for the streamed update
  // ('activities' draws at the activities, O(batch × units), left out with them).
  noiseDraws: ({ options }) => (options.perturb === 'activities' ? 0 : gaussianDraws(options.noise, 2 * options.directions)),
  search: { directions: { int: [1, 64], log: true }, noise: { choice: NOISE } },
  check(ctx) {
    checkOptions(ctx.options);
    if (ctx.options.perturb === 'activities') checkActivities(ctx);
  },
  init(ctx): ForwardGradientState {
    if (ctx.options.perturb !== 'activities') return { heads: [] };
    const { blocks } = localBlocks(ctx.model);
    const rng = ctx.rng.child('heads');
    const heads = blocks.slice(0, -1).map((b): Head => {
      const last = b.modules[b.modules.length - 1];
      const net = buildNetwork([{ type: 'dense', units: ctx.task.classes }], last.outShape, 'xavierUniform');
      const params = net.init(rng.child(b.layer.path));
      return { block: b.layer.path, net, params, opt: adam({ lr: ctx.options.headLr }).init(params) };
    });
    return { heads };
  },
  step(ctx, state, batch) {
    return ctx.options.perturb === 'activities' ? activityStep(ctx, state, batch) : weightStep(ctx, state, batch);
  },
});
