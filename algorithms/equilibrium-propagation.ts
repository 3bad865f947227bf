// Equilibrium propagation (Scellier & Bengio 2017) in the discrete-time "prototypical" form of
// Ernoult et al. 2019 and Laborieux et al. 2021, with their symmetric nudging. The MLP's dense
// layers become a layered recurrent network with symmetric connections: every layer's output
// s_l is a state, and with the primitive function
//   Φ(x, s) = Σ_l s_l · (W_l s_{l−1} + b_l),   s_0 = x,
// the free phase iterates s_l ← ρ_l(∂Φ/∂s_l) = ρ_l(W_l s_{l−1} + b_l + W_{l+1}ᵀ s_{l+1}) from s = 0
// (ρ_l: the activation after dense l, the identity for the output), all layers at once. The
// nudged phase adds −β·∂L/∂s_L to the output's drive. The update is the difference of local
// products s_l s_{l−1}ᵀ between the phases, −(∂Φ/∂θ(s^β) − ∂Φ/∂θ(s^0))/β; symmetric nudging
// contrasts +β with −β, cancelling the O(β) bias. As β → 0 with settled phases the update
// approaches the gradient of the task loss at the free phase's output — the gradient backprop
// through the settling dynamics computes, which is the network this rule declares (`network`),
// so alignment is measured against exactly that. Predictions are the free phase's output.
import {
  add,
  defineRule,
  FORWARD,
  WEIGHT_GRADIENT,
  isActivation,
  isWeightLayer,
  ledger,
  linear,
  matmul,
  mul,
  noGrad,
  NumericsError,
  reshape,
  scalar,
  SpecError,
  sub,
  sum,
  valueAndGrad,
  zeros,
  type Model,
  type Module,
  type RuleContext,
  type Tensor,
  type WeightLayer,
  refuseAdapters,
} from '../src/core.ts';

type Options = { beta: number; nudging: string; freeSteps: number; nudgedSteps: number; schedule: string; tolerance: number };

/** The layered net EP runs: the dense layers in order and the activation after each (null: identity). */
interface Layers {
  dense: WeightLayer[];
  rho: Array<((x: Tensor) => Tensor) | null>;
}

/**
 * Read the MLP out of the model: optional flatten, then dense layers each followed by at most one
 * activation. Anything else is refused with a SpecError naming the module.
 */
export function epLayers(model: Model): Layers {
  const root = model.root;
  const top = root.kind === 'sequential' ? root.children : [root];
  const dense: WeightLayer[] = [];
  const rho: Layers['rho'] = [];
  const refuse = (m: Module, why: string) =>
    new SpecError(
      `equilibrium-propagation: module "${m.path}" (${m.kind}) ${why}; this rule is defined on MLPs — dense layers, each followed by at most one ` +
        'activation (a flatten may come first) — whose layers become the states of a symmetric recurrent network',
    );
  for (const m of top) {
    if (m.kind === 'flatten' && !dense.length) continue;
    if (isWeightLayer(m)) {
      if (m.kind !== 'dense') throw refuse(m, 'is not a dense layer (no convolutional energy is defined here)');
      dense.push(m);
      rho.push(null);
    } else if (isActivation(m)) {
      if (!dense.length || rho[rho.length - 1]) throw refuse(m, 'does not follow a dense layer');
      const fn = m.activation.fn;
      rho[rho.length - 1] = fn;
    } else throw refuse(m, 'is not supported');
  }
  if (dense.length < 2)
    throw new SpecError('equilibrium-propagation: the model needs at least two dense layers (a hidden state between input and output)');
  return { dense, rho };
}

/** A nudge of the output's drive: −β·n·∂L/∂s_L (n: the energy sums over the batch). */
type Nudge = (sL: Tensor) => Tensor;

/**
 * Run `steps` steps of s_l ← ρ_l(∂Φ/∂s_l [+ nudge]) from `s`. Differentiable when
 * run under a tape (the network's forward), plain otherwise. `observe(t, change)` receives the
 * relative change ‖s_{t+1} − s_t‖ / ‖s_{t+1}‖ of every step from `observeFrom` on (a pass over
 * every state, so only for the steps the caller reads).
 */
function settle(
  lay: Layers,
  p: readonly Tensor[],
  x: Tensor,
  s: Tensor[],
  steps: number,
  schedule: string,
  nudge: Nudge | null,
  observe?: (t: number, change: number) => void,
  observeFrom = 0,
): Tensor[] {
  const L = lay.dense.length;
  const w = lay.dense.map((d) => p[d.params.weight.index]);
  const b = lay.dense.map((d) => (d.params.bias ? p[d.params.bias.index] : null));
  // The input's drive does not change while the states settle.
  const drive0 = linear(x, w[0], b[0]);
  // Synchronous: every layer from the previous states. Alternating: even-indexed layers first,
  // then odd ones from them (each group's layers are not connected to each other).
  const groups =
    schedule === 'synchronous' ? [lay.dense.map((_, l) => l)] : [0, 1].map((g) => lay.dense.map((_, l) => l).filter((l) => l % 2 === g));
  for (let t = 0; t < steps; t++) {
    const next = [...s];
    for (const group of groups) {
      const from = [...next];
      for (const l of group) {
        let h = l === 0 ? drive0 : linear(from[l - 1], w[l], b[l]);
        if (l < L - 1) h = add(h, matmul(from[l + 1], w[l + 1]));
        if (l === L - 1 && nudge) h = add(h, nudge(from[l]));
        next[l] = lay.rho[l] ? lay.rho[l]!(h) : h;
      }
    }
    if (observe && t >= observeFrom) {
      // A plain loop, not forEach: sums a closure captured would be boxed at every addition.
      let dd = 0;
      let nn = 0;
      for (let l = 0; l < next.length; l++) {
        const a = next[l].data;
        const b = s[l].data;
        for (let k = 0; k < a.length; k++) {
          dd += (a[k] - b[k]) ** 2;
          nn += a[k] ** 2;
        }
      }
      observe(t, nn > 0 ? Math.sqrt(dd / nn) : 0);
    }
    s = next;
  }
  return s;
}

const zeroStates = (lay: Layers, n: number) => lay.dense.map((d) => zeros([n, d.outShape[0]]));
const flat = (x: Tensor) => (x.rank === 2 ? x : reshape(x, [x.shape[0], x.size / x.shape[0]]));

/** Φ(x, s; p), summed over the batch. */
function phi(lay: Layers, p: readonly Tensor[], x: Tensor, s: readonly Tensor[]): Tensor {
  const terms = lay.dense.map((d, l) =>
    sum(mul(s[l], linear(l === 0 ? x : s[l - 1], p[d.params.weight.index], d.params.bias ? p[d.params.bias.index] : null))),
  );
  return terms.reduce((a, c) => add(a, c));
}

/** ½Σ‖s‖² − Φ: a stationary point of it is a fixed point when ρ is the identity on the states' range. */
function energyOf(lay: Layers, p: readonly Tensor[], x: Tensor, s: readonly Tensor[]): number {
  let sq = 0;
  for (const v of s) {
    const a = v.data;
    for (let k = 0; k < v.size; k++) sq += a[k] ** 2;
  }
  return 0.5 * sq - phi(lay, p, x, s).item();
}

/**
 * The network EP trains, as a model over the same parameters: the free phase unrolled for
 * `freeSteps` steps from s = 0, its output state as the scores. Backprop through it is the
 * gradient EP estimates; evaluated without a tape, it is EP's prediction.
 */
export function settlingNetwork(model: Model, freeSteps: number, schedule = 'alternating'): Model {
  const lay = epLayers(model);
  const old = model.root;
  const root: Module = {
    kind: 'equilibrium',
    path: old.path,
    inShape: old.inShape,
    outShape: old.outShape,
    params: {},
    buffers: {},
    children: old.children,
    apply: (x, ctx) => {
      const xf = flat(x);
      return settle(lay, ctx.params, xf, zeroStates(lay, xf.shape[0]), freeSteps, schedule, null).at(-1)!;
    },
    withChildren: () => root,
  };
  return model.map((m) => (m === old ? root : m));
}

function lossGradient(ctx: RuleContext, batch: Parameters<typeof ctx.task.loss>[1], beta: number, n: number): Nudge {
  return (sL) => {
    const { grads } = valueAndGrad((o: Tensor) => ctx.task.loss(o, batch))(sL);
    return mul(grads, scalar(-beta * n));
  };
}

export const equilibriumPropagation = defineRule({
  id: 'equilibrium-propagation',
  description:
    'Equilibrium propagation (Scellier & Bengio 2017; discrete-time prototypical form and symmetric nudging of Laborieux et al. 2021): ' +
    'the MLP as a symmetric recurrent net, a free phase, nudged phase(s) at ±β, updates from differences of local products s_l s_{l−1}ᵀ.',
  defaults: {
    // Nudging strength β (Laborieux et al.'s MNIST MLP command uses 0.1).
    beta: 0.1,
    // 'symmetric': phases at +β and −β (Laborieux et al. 2021); 'positive': one phase at +β
    // against the free one (Scellier & Bengio 2017); 'random-sign': one phase at ±β, the sign
    // drawn per step (the --random-sign flag of Laborieux's code).
    nudging: 'symmetric',
    // Settling steps T1 (free) and T2 (each nudged phase), as in Laborieux's MNIST MLP command.
    freeSteps: 30,
    nudgedSteps: 10,
    // 'alternating': even layers, then odd layers from them (the asynchronous scheme of Scellier
    // et al. 2023), which settles where 'synchronous' updates (Laborieux's code) of a symmetric
    // net can fall into a two-step cycle.
    schedule: 'alternating',
    // Settled: the states change by less than this (relative) in one step; recorded, the
    // phases always run all their steps (the network's depth in time is fixed).
    tolerance: 1e-3,
  } as Options,
  choices: { nudging: ['symmetric', 'positive', 'random-sign'], schedule: ['alternating', 'synchronous'] },
  // Each settling step drives every layer from below and above (W·s and Wᵀ·s: two forward's worth
  // of the layers after the first; the input's drive W₁x is computed once per phase, fixed while the
  // states settle). The free phase, one nudged phase (two when symmetric), then the local products
  // s·sᵀ of the two phases contrasted (the weight gradients, once each).
  cost: ({ options, layerShares }) => {
    const first = layerShares[0] ?? 0;
    const phases = options.nudging === 'symmetric' ? 3 : 2;
    const steps = options.freeSteps + (phases - 1) * options.nudgedSteps;
    return 2 * FORWARD * (1 - first) * steps + phases * first * FORWARD + 2 * WEIGHT_GRADIENT;
  },
  search: { beta: { float: [0.05, 1], log: true }, nudging: { choice: ['symmetric', 'positive', 'random-sign'] } },
  check(ctx) {
    refuseAdapters(
      'equilibrium-propagation',
      ctx.model,
      "its energy is written over each dense layer's own weight, and an adapted layer's weight is not a parameter",
    );
    epLayers(ctx.model);
    const { beta, freeSteps, nudgedSteps, tolerance } = ctx.options;
    if (!(beta > 0)) throw new SpecError(`equilibrium-propagation: option beta must be positive, got ${beta}`);
    for (const [k, v] of [
      ['freeSteps', freeSteps],
      ['nudgedSteps', nudgedSteps],
    ] as const) {
      if (!(Number.isInteger(v) && v >= 1)) throw new SpecError(`equilibrium-propagation: option ${k} must be an integer ≥ 1, got ${v}`);
    }
    if (!(tolerance >= 0)) throw new SpecError(`equilibrium-propagation: option tolerance must be ≥ 0, got ${tolerance}`);
  },
  network: (ctx) => settlingNetwork(ctx.model, ctx.options.freeSteps, ctx.options.schedule),
  init: () => null,
  step(ctx, state, batch) {
    const { beta, nudging, freeSteps, nudgedSteps, schedule, tolerance } = ctx.options;
    const lay = epLayers(ctx.model);
    const n = batch.size;
    const x = flat(batch.x);
    const p = ctx.params;
    const changes: number[] = [];
    const free = noGrad(() => settle(lay, p, x, zeroStates(lay, n), freeSteps, schedule, null, (_t, c) => changes.push(c)));
    if (!changes.every(Number.isFinite) || !free.every((v) => v.data.every(Number.isFinite))) {
      // Unbounded activations (ReLU) with weights of norm > 1 have no minimum to settle into.
      throw new NumericsError(
        `equilibrium-propagation: the free phase diverged at step ${ctx.step} (states grew without bound); the energy needs bounded ` +
          "states: use a bounded activation such as 'sigmoid(4*x - 2)' or 'tanh', or smaller weights",
      );
    }
    const loss = noGrad(() => ctx.task.loss(free.at(-1)!, batch).item());

    let nudgedChange = 0;
    const nudged = (b: number) =>
      noGrad(() =>
        settle(
          lay,
          p,
          x,
          free,
          nudgedSteps,
          schedule,
          lossGradient(ctx, batch, b, n),
          (_t, c) => (nudgedChange = Math.max(nudgedChange, c)),
          nudgedSteps - 1,
        ),
      );
    const sign = nudging === 'random-sign' ? (ctx.rng.child(ctx.step).uniform() < 0.5 ? -1 : 1) : 1;
    // Two ends of the contrast and the β between them.
    const [hi, lo, span] = nudging === 'symmetric' ? [nudged(beta), nudged(-beta), 2 * beta] : [nudged(sign * beta), free, sign * beta];
    // ∂Φ/∂W_l = s_lᵀ s_{l−1} and ∂Φ/∂b_l = Σ_n s_l: the local products alone, no forward through the
    // layers (the kernels, and so the bits, of autograd's gradient of phi).
    const dPhi = (s: Tensor[]) =>
      noGrad(() => {
        const grads: Tensor[] = new Array(p.length);
        lay.dense.forEach((d, l) => {
          grads[d.params.weight.index] = matmul(s[l], l === 0 ? x : s[l - 1], true, false);
          if (d.params.bias) grads[d.params.bias.index] = sum(s[l], 0);
        });
        // Counted as gradients in the memory ledger, as differentiating Φ's had them.
        return p.map((q, i) => {
          const g = grads[i] ?? zeros(q.shape);
          ledger().recategorize(g.entry, 'grad');
          return g;
        });
      });
    const gHi = dPhi(hi);
    const gLo = dPhi(lo);
    // Descent direction: −(∂Φ/∂θ(hi) − ∂Φ/∂θ(lo)) / (span · n), the mean loss's gradient estimate.
    const updates = noGrad(() => gHi.map((g, i) => mul(sub(g, gLo[i]), scalar(-1 / (span * n)))));

    let settleSteps = freeSteps;
    let settled = 0;
    const at = changes.findIndex((c) => c <= tolerance);
    if (at >= 0) {
      settleSteps = at + 1;
      settled = 1;
    }
    let shift = 0;
    let norm = 0;
    const out0 = free.at(-1)!.data;
    const out1 = hi.at(-1)!.data;
    for (let k = 0; k < out0.length; k++) {
      shift += (out1[k] - out0[k]) ** 2;
      norm += out0[k] ** 2;
    }
    const metrics: Record<string, number> = {
      finalEnergy: noGrad(() => energyOf(lay, p, x, free)) / n,
      settleSteps,
      settledShare: settled,
      nudgedFinalChange: nudgedChange,
      // How far the nudge moved the output state, relative to its size.
      nudgeShift: norm > 0 ? Math.sqrt(shift / norm) : 0,
    };
    changes.forEach((c, t) => (metrics[`stateChange.${t + 1}`] = c));
    return { updates, state, loss, metrics };
  },
  // The free phase's output state, scored by the task's loss as the step's own loss is.
  predicts: 'logits',
  predict: (ctx, _state, x) =>
    noGrad(() => settlingNetwork(ctx.model, ctx.options.freeSteps, ctx.options.schedule).forward(ctx.params, x, ctx.infer)),
});
