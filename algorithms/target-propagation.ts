// Difference target propagation (Lee et al. 2015), with a learned inverse per layer. The network
// is a chain of blocks hᵢ = fᵢ(hᵢ₋₁), one per weight layer (the layer and its norm, activation,
// pooling). Targets travel down instead of errors:
//   ĥ_{L−1} = h_{L−1} − η̂·∂ℓ/∂h_{L−1}           (a gradient step on the per-example task loss ℓ)
//   ĥᵢ₋₁    = hᵢ₋₁ + gᵢ(ĥᵢ) − gᵢ(hᵢ)             (the difference correction through the inverse gᵢ)
// and each block i < L learns locally to hit its target, minimizing ½‖fᵢ(hᵢ₋₁) − ĥᵢ‖² (its input
// held fixed), averaged over the batch. With η̂ = 1 the penultimate block's update is exactly
// backprop's there. The output block learns from the task loss itself, as in Lee et al.
// Each inverse gᵢ(h) = σ(V·h + c), σ the activation that ends block i − 1 (identity if none), is
// trained on noise-corrupted inputs (Lee et al.'s denoising reconstruction): with
// h̃ = hᵢ₋₁ + ε, ε ~ N(0, σ_ε²), it minimizes ½‖gᵢ(fᵢ(h̃)) − h̃‖², with its own Adam. For feature maps
// the inverse is a dense map over the flattened block output, reshaped to the block input.
//
// Defined for plain stacks (dense and conv layers in one top-level sequence); residual nets are
// refused. Estimates: the task gradient — DTP has its own update rule, but as for FA the field
// measures its alignment with backprop, which is what the alignment cosine reports.
import {
  activationByName,
  adam,
  add,
  buildNetwork,
  defineRule,
  FORWARD,
  WEIGHT_GRADIENT,
  isActivation,
  layerBlocks,
  mul,
  noGrad,
  normal,
  paramIndices,
  reshape,
  runModules,
  scalar,
  sizeOf,
  SpecError,
  square,
  stopGradient,
  sub,
  sum,
  valueAndGrad,
  zeros,
  type Batch,
  type LayerBlock,
  type LayerChain,
  type LayerSpec,
  type Model,
  type OptState,
  type RuleContext,
  type Tensor,
} from '../src/core.ts';

export const targetPropagationDefaults = {
  /** η̂: the step of the penultimate target along the per-example loss gradient. */
  targetLr: 0.5,
  /** Adam rate of the inverses. */
  inverseLr: 1e-3,
  /** σ_ε: the noise the inverses are trained to undo. */
  inverseNoise: 0.1,
  /** Inverse updates per step. */
  inverseSteps: 1,
};
export type TargetPropagationOptions = typeof targetPropagationDefaults;

export interface Inverse {
  /** Path of the weight layer of the block it inverts. */
  block: string;
  net: Model;
  params: Tensor[];
  opt: OptState;
}

export interface TargetPropagationState {
  /** gᵢ for blocks 1 … L − 2 (0-based): every block whose input needs a target. */
  inverses: Inverse[];
}

function chain(ctx: RuleContext<TargetPropagationOptions>): LayerChain {
  return layerBlocks(ctx.model, 'target-propagation');
}

/** The activation ending a block (its inverse's output must live in the same range), or null. */
function endingActivation(b: LayerBlock): string | null {
  for (let i = b.modules.length - 1; i >= 0; i--) {
    const m = b.modules[i];
    if (isActivation(m)) return m.activation.name;
  }
  return null;
}

function inverseLayers(below: LayerBlock, units: number): LayerSpec[] {
  const act = endingActivation(below);
  // Expression activations have no name to rebuild them by: their inverse stays linear.
  const usable =
    act !== null &&
    (() => {
      try {
        activationByName(act);
        return true;
      } catch {
        return false;
      }
    })();
  return [{ type: 'dense', units }, ...(usable ? [act as string] : [])];
}

/** The model's parameters with those at `idx` replaced by `own` (a block's traced copies). */
function withOwn(params: readonly Tensor[], idx: readonly number[], own: readonly Tensor[]): Tensor[] {
  const ps = [...params];
  idx.forEach((j, k) => (ps[j] = own[k]));
  return ps;
}

/** ½‖a − b‖² summed per example, averaged over the batch. */
function halfSquared(a: Tensor, b: Tensor): Tensor {
  const n = a.shape[0];
  return mul(sum(square(sub(reshape(a, [n, a.size / n]), reshape(b, [n, b.size / n])))), scalar(0.5 / n));
}

function checkOptions(o: TargetPropagationOptions): void {
  if (!(o.targetLr > 0)) throw new SpecError(`target-propagation: option targetLr must be positive, got ${o.targetLr}`);
  if (!(o.inverseLr > 0)) throw new SpecError(`target-propagation: option inverseLr must be positive, got ${o.inverseLr}`);
  if (!(o.inverseNoise >= 0)) throw new SpecError(`target-propagation: option inverseNoise must be ≥ 0, got ${o.inverseNoise}`);
  if (!(Number.isInteger(o.inverseSteps) && o.inverseSteps >= 0))
    throw new SpecError(`target-propagation: option inverseSteps must be an integer ≥ 0, got ${o.inverseSteps}`);
}

export const targetPropagation = defineRule({
  id: 'target-propagation',
  updateWaitsFor: 'layer-above',
  description:
    'Difference target propagation: targets travel down through learned inverses of each layer, and each layer learns locally to reach its target.',
  defaults: targetPropagationDefaults,
  // The forward; two inverse passes per layer to carry the targets down (inverses are layer-sized);
  // each block's local loss (a forward and a weight gradient); per inverse step, the corrupted
  // input through the block and its inverse and the inverse's weight gradient.
  cost: ({ options }) => FORWARD + 2 * FORWARD + (FORWARD + WEIGHT_GRADIENT) + options.inverseSteps * (2 * FORWARD + WEIGHT_GRADIENT),
  search: {
    targetLr: { float: [0.05, 2], log: true },
    inverseLr: { float: [1e-4, 1e-2], log: true },
    inverseNoise: { float: [0.01, 0.5], log: true },
  },
  check(ctx) {
    chain(ctx);
    checkOptions(ctx.options);
  },
  init(ctx): TargetPropagationState {
    const { blocks } = chain(ctx);
    const rng = ctx.rng.child('inverses');
    const inverses = blocks.slice(1, -1).map((b, k): Inverse => {
      const below = blocks[k];
      const net = buildNetwork(inverseLayers(below, sizeOf(b.layer.inShape)), b.modules[b.modules.length - 1].outShape, 'xavierUniform');
      const params = net.init(rng.child(b.layer.path));
      return { block: b.layer.path, net, params, opt: adam({ lr: ctx.options.inverseLr }).init(params) };
    });
    return { inverses };
  },
  step(ctx, state, batch: Batch) {
    const o = ctx.options;
    const { prefix, blocks } = chain(ctx);
    const n = batch.size;
    const params = ctx.params;
    const L = blocks.length;
    const local = { ...ctx.train, stats: undefined };
    const updates: Array<Tensor | null> = params.map(() => null);
    const metrics: Record<string, number> = {};
    const invert = (inv: Inverse, h: Tensor, shape: readonly number[]) => reshape(inv.net.forward(inv.params, h), [n, ...shape]);

    // The forward pass, keeping every block's output (the targets are built around them).
    const hs: Tensor[] = [];
    noGrad(() => {
      let h = runModules(prefix, reshape(batch.x, [n, ...ctx.model.inputShape]), { ...ctx.train, params });
      hs.push(h);
      for (const b of blocks) hs.push((h = runModules(b.modules, h, { ...ctx.train, params })));
    });

    // The output block: the task loss's gradient for its parameters, and for its input (the top target).
    const top = blocks[L - 1];
    const topIdx = paramIndices(top.modules);
    const { value, grads } = valueAndGrad(([hIn, ...own]: Tensor[]) =>
      ctx.task.loss(runModules(top.modules, hIn, { ...local, params: withOwn(params, topIdx, own) }), batch),
    )([hs[L - 1], ...topIdx.map((j) => params[j])]);
    topIdx.forEach((j, k) => (updates[j] = grads[k + 1]));

    // Targets, top down: ĥ_{L−1} from the per-example gradient (n·∂ℓ̄/∂h), then differences through the inverses.
    const targets: Tensor[] = new Array(L);
    noGrad(() => {
      targets[L - 1] = sub(hs[L - 1], mul(grads[0], scalar(o.targetLr * n)));
      for (let i = L - 2; i >= 1; i--) {
        const inv = state.inverses[i - 1];
        const shape = blocks[i].layer.inShape;
        targets[i] = add(hs[i], sub(invert(inv, targets[i + 1], shape), invert(inv, hs[i + 1], shape)));
      }
    });

    // Each block below the top reaches for its target from its fixed input.
    for (let i = 0; i < L - 1; i++) {
      const b = blocks[i];
      const idx = paramIndices(b.modules);
      const hIn = stopGradient(hs[i]);
      const res = valueAndGrad((own: Tensor[]) =>
        halfSquared(runModules(b.modules, hIn, { ...local, params: withOwn(params, idx, own) }), targets[i + 1]),
      )(idx.map((j) => params[j]));
      idx.forEach((j, k) => (updates[j] = res.grads[k]));
      metrics[`${b.layer.path}.targetLoss`] = res.value.item();
    }

    // The inverses learn to undo their block on noise-corrupted inputs.
    const optimizer = adam({ lr: o.inverseLr });
    const noise = ctx.rng.child(ctx.step).child('inverse-noise');
    state.inverses.forEach((inv, k) => {
      const b = blocks[k + 1];
      for (let s = 0; s < o.inverseSteps; s++) {
        const corrupted = noGrad(() => add(hs[k + 1], normal(hs[k + 1].shape, 0, o.inverseNoise, noise.child(`${b.layer.path}/${s}`))));
        const out = noGrad(() => runModules(b.modules, corrupted, { ...local, params }));
        const res = valueAndGrad((p: Tensor[]) => halfSquared(reshape(inv.net.forward(p, out), corrupted.shape), corrupted))(inv.params);
        noGrad(() => optimizer.update(inv.params, res.grads, inv.opt, Math.max(0, ctx.step) * Math.max(1, o.inverseSteps) + s));
        if (s === 0) metrics[`${b.layer.path}.inverseLoss`] = res.value.item();
      }
    });

    return { updates: updates.map((u, i) => u ?? zeros(params[i].shape)), state, loss: value.item(), metrics };
  },
});
