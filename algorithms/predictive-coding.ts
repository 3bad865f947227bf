// Predictive coding as "inference learning" (Whittington & Bogacz 2017; the discriminative PCNs
// of the PCX benchmark, Pinchetti et al. 2024). The model's top-level modules form a chain of
// segments, each from one weight layer to the next (dense or conv with its activation, norm,
// pooling), and a value node x_l holds each segment's output but the last. The energy
//   F = Σ_l ½‖x_l − μ_l(x_{l−1})‖² + β·n·L(μ_L(x_{L−1}), y),   μ_l = segment l, x_0 = the input,
// is relaxed for T inference steps x ← x − γ ∂F/∂x from the feedforward pass (where every
// prediction error is 0), then each weight is updated from ∂F/∂θ / β at the settled values, which
// only involves its own segment's error and input: a local rule. With β = 1 this is inference
// learning with the output clamped by the loss; at equilibrium the output error has shrunk and
// the updates differ from backprop's even for small errors. With a small output term (β → 0, the
// output only weakly nudged toward its target, PCX's β) and enough steps, the settled errors
// approach β·δ and the updates backprop's gradient (Whittington & Bogacz 2017).
import {
  add,
  axpbyInPlace,
  customVjp,
  defineRule,
  FORWARD,
  WEIGHT_GRADIENT,
  isWeightLayer,
  mul,
  neg,
  noGrad,
  reshape,
  run,
  scalar,
  SignalProbe,
  SpecError,
  square,
  sub,
  sum,
  valueAndGrad,
  walk,
  withSignalProbe,
  zeros,
  type ForwardOptions,
  type Model,
  type Module,
  type Tensor,
} from '../src/core.ts';

type Options = { steps: number; rate: number; momentum: number; beta: number; updateAt: string; tolerance: number };

/**
 * The model's top-level modules grouped into segments that each start at a weight layer (the
 * modules before the first weight layer join the first segment). Throws a SpecError for a model
 * that is not such a chain: a weight layer inside a residual block or a nested container.
 */
export function valueSegments(model: Model, rule = 'predictive-coding'): Module[][] {
  const root = model.root;
  if (root.kind !== 'sequential')
    throw new SpecError(`${rule}: the model's root is a ${root.kind}; predictive coding needs a chain of layers (a sequential stack)`);
  const segments: Module[][] = [];
  let current: Module[] = [];
  for (const m of root.children) {
    if (!isWeightLayer(m)) {
      const inner = walk(m).find(isWeightLayer);
      if (inner) {
        throw new SpecError(
          `${rule}: module "${m.path}" (${m.kind}) holds the weight layer "${inner.path}" inside it; value nodes sit after top-level ` +
            'dense and conv layers, so this rule is defined on chains of layers (MLPs, plain conv nets with norms, pools and activations between), not on residual blocks or nested containers',
        );
      }
      current.push(m);
      continue;
    }
    if (current.some(isWeightLayer)) {
      segments.push(current);
      current = [];
    }
    current.push(m);
  }
  if (!current.some(isWeightLayer)) {
    if (!segments.length) throw new SpecError(`${rule}: the model has no dense or conv layer to learn`);
    segments[segments.length - 1].push(...current);
  } else segments.push(current);
  return segments;
}

const runSegment = (seg: readonly Module[], x: Tensor, ctx: ForwardOptions & { params: readonly Tensor[] }): Tensor => {
  let h = x;
  for (const m of seg) h = run(m, h, ctx);
  return h;
};

/**
 * ½‖v − μ‖², one node on the tape instead of four (sub, square, sum, scale): the relaxation takes
 * it twice per inference step, where the four nodes' backward cost as much as a small layer. The
 * same kernels in the same order give the same value; the gradients g·(v − μ) and −g·(v − μ) are
 * what the four nodes' chain (g·½ broadcast, times 2(v − μ)) gives exactly, a power of two apart.
 */
const halfSquaredError = customVjp(
  'predictiveCoding.halfSquaredError',
  (v: Tensor, mu: Tensor) => {
    const d = sub(v, mu);
    return { out: mul(sum(square(d)), scalar(0.5)), saved: [d] };
  },
  ([d], g) => {
    const dv = mul(d, g);
    return [dv, neg(dv)];
  },
  { pure: true },
);

/** The path that names a value node: its segment's weight layer. */
const nodePath = (seg: readonly Module[]) => seg.find(isWeightLayer)!.path;

export const predictiveCoding = defineRule({
  id: 'predictive-coding',
  description:
    'Predictive coding / inference learning (Whittington & Bogacz 2017; PCX): value nodes after each weight-layer segment relax T steps ' +
    'on the sum of squared prediction errors plus the output loss, then every weight is updated from its own settled error and input.',
  defaults: {
    // Inference steps T per batch. The error reaches the layer k segments below the output
    // after k steps, and settles at rate ≈ (1 − γ) per step.
    steps: 20,
    // Inference rate γ on the value nodes (per example: the energy sums over the batch).
    rate: 0.1,
    // Heavy-ball momentum of the value-node updates (PCX relaxes with SGD + momentum).
    momentum: 0,
    // Weight β of the output loss in the energy (updates are divided by it): 1 clamps the output
    // to the loss; small values nudge it weakly, and the updates approach backprop's.
    beta: 1,
    // 'end': ∂F/∂θ at the settled values (inference learning); 'every': its mean over the
    // values after each inference step (incremental PC's schedule with the weights held fixed
    // within a batch, since the runner applies updates once per step).
    updateAt: 'end',
    // Settled: a step lowers the energy by less than this share of its fall so far (recorded;
    // the loop always runs all T steps, so the update never depends on where it stopped).
    tolerance: 1e-3,
  } as Options,
  choices: { updateAt: ['end', 'every'] },
  // The feedforward initialization; per inference step every prediction but the first (fixed while
  // the values settle), and ∂F/∂x through them: the layers after the first weight layer, a forward
  // and an input VJP each. With updateAt 'every' a step also redoes the first prediction and takes
  // ∂F/∂θ (the weight gradients). Then the weight pass: a forward and the weight gradients.
  cost: ({ options, layerShares, inputVjp }) => {
    const rest = 1 - (layerShares[0] ?? 0);
    const inference = options.updateAt === 'every' ? FORWARD + inputVjp + WEIGHT_GRADIENT : rest * FORWARD + inputVjp;
    return FORWARD + options.steps * inference + FORWARD + WEIGHT_GRADIENT;
  },
  search: { rate: { float: [0.01, 0.5], log: true }, steps: { int: [5, 40], log: true }, momentum: { float: [0, 0.9] } },
  check(ctx) {
    valueSegments(ctx.model);
    const { steps, rate, momentum, tolerance } = ctx.options;
    if (!(Number.isInteger(steps) && steps >= 0))
      throw new SpecError(`predictive-coding: option steps must be an integer ≥ 0, got ${steps}`);
    if (!(rate > 0)) throw new SpecError(`predictive-coding: option rate must be positive, got ${rate}`);
    if (!(momentum >= 0 && momentum < 1)) throw new SpecError(`predictive-coding: option momentum must be in [0, 1), got ${momentum}`);
    if (!(tolerance >= 0)) throw new SpecError(`predictive-coding: option tolerance must be ≥ 0, got ${tolerance}`);
    if (!(ctx.options.beta > 0)) throw new SpecError(`predictive-coding: option beta must be positive, got ${ctx.options.beta}`);
  },
  init: () => null,
  step(ctx, state, batch) {
    const { steps, rate, momentum, beta, updateAt, tolerance } = ctx.options;
    const segs = valueSegments(ctx.model);
    const L = segs.length;
    const n = batch.size;
    const x = batch.x.rank === ctx.model.inputShape.length + 1 ? batch.x : reshape(batch.x, [n, ...ctx.model.inputShape]);
    // Every pass sees the step's dropout masks; batch statistics come from the feedforward pass only.
    const relax: ForwardOptions = { ...ctx.train, stats: undefined };

    // Feedforward initialization: each value node at its prediction (all hidden errors 0).
    const values: Tensor[] = noGrad(() => {
      const out: Tensor[] = [];
      let h = x;
      for (let l = 0; l < L - 1; l++) {
        h = runSegment(segs[l], h, { ...ctx.train, params: ctx.params });
        out.push(h.clone());
      }
      return out;
    });
    // The first prediction depends only on the input and the weights: fixed during inference.
    const firstPrediction = L > 1 ? values[0].clone() : null;

    /** F and its terms (per-example sums; the output term is β·n × the task's mean loss). */
    const energy = (p: readonly Tensor[], v: readonly Tensor[], first: Tensor | null) => {
      const fctx = { ...relax, params: p };
      const terms: Tensor[] = [];
      for (let l = 0; l < L; l++) {
        const mu = l === 0 && first ? first : runSegment(segs[l], l === 0 ? x : v[l - 1], fctx);
        terms.push(l < L - 1 ? halfSquaredError(v[l], mu) : mul(ctx.task.loss(mu, batch), scalar(beta * n)));
      }
      return { total: terms.reduce((a, b) => add(a, b)), terms };
    };

    const energies: number[] = [];
    const velocity = values.map((v) => (momentum > 0 ? zeros(v.shape) : null));
    let accumulated: Tensor[] | null = null;
    const accumulate = (gs: readonly Tensor[]) => {
      if (!accumulated) accumulated = gs.map((g) => g.clone());
      else
        accumulated.forEach((a, i) => {
          const [to, from] = [a.data, gs[i].data];
          for (let k = 0; k < a.size; k++) to[k] += from[k];
        });
    };
    // Inference passes are the rule's internal relaxation: only the weight pass's signals count.
    const silent = new SignalProbe(new Set());
    for (let t = 0; t < steps && L > 1; t++) {
      let valueGrads: Tensor[];
      if (updateAt === 'every' && t > 0) {
        const r = withSignalProbe(silent, () =>
          valueAndGrad((tree: { p: Tensor[]; v: Tensor[] }) => energy(tree.p, tree.v, null).total)({ p: [...ctx.params], v: [...values] }),
        );
        energies.push(r.value.item() / n);
        accumulate(r.grads.p);
        valueGrads = r.grads.v;
      } else {
        const r = withSignalProbe(silent, () => valueAndGrad((v: Tensor[]) => energy(ctx.params, v, firstPrediction).total)([...values]));
        energies.push(r.value.item() / n);
        valueGrads = r.grads;
      }
      // v ← v − γ·(velocity ← β·velocity + ∂F/∂v), each in one kernel call; v steps by the stored velocity.
      values.forEach((v, l) => {
        const vel = velocity[l];
        if (vel) axpbyInPlace(vel, momentum, valueGrads[l], 1);
        axpbyInPlace(v, 1, vel ?? valueGrads[l], -rate);
      });
    }

    // The weight pass at the settled values: ∂F/∂θ, local to each segment.
    let nodeEnergies: number[] = [];
    const { value, grads } = valueAndGrad((p: Tensor[]) => {
      const e = energy(p, values, null);
      nodeEnergies = e.terms.slice(0, -1).map((t) => t.item() / n);
      return e.total;
    })([...ctx.params]);
    energies.push(value.item() / n);
    if (updateAt === 'every' && steps > 0 && L > 1) accumulate(grads);
    const total = updateAt === 'every' && accumulated ? (accumulated as Tensor[]) : grads;
    const count = updateAt === 'every' && accumulated ? steps : 1;
    noGrad(() =>
      total.forEach((g) => {
        // The buffer read once: a tensor's data is a getter (it syncs a device copy), too dear per element.
        const d = g.data;
        for (let k = 0; k < g.size; k++) d[k] /= beta * n * count;
      }),
    );

    const e0 = energies[0];
    let settleSteps = energies.length - 1;
    let settled = 0;
    for (let t = 1; t < energies.length; t++) {
      if (Math.abs(energies[t] - energies[t - 1]) <= tolerance * Math.abs(e0 - energies[t])) {
        settleSteps = t;
        settled = 1;
        break;
      }
    }
    const metrics: Record<string, number> = {
      finalEnergy: energies[energies.length - 1],
      settleSteps,
      settledShare: settled,
    };
    energies.forEach((e, t) => (metrics[`energy.${t}`] = e));
    nodeEnergies.forEach((e, l) => (metrics[`${nodePath(segs[l])}.predictionError`] = e));
    // Before inference every hidden error is 0, so the energy is β × the feedforward pass's task loss.
    return { updates: total, state, loss: e0 / beta, metrics };
  },
});
