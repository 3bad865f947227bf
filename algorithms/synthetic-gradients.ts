// Synthetic gradients (Jaderberg et al. 2017, "Decoupled Neural Interfaces"): at chosen layer
// boundaries a small synthesizer predicts ∂L/∂h from the activity h (cDNI: and the one-hot
// label). The layers below a boundary update at once from the synthetic gradient instead of
// waiting for the backward pass; the synthesizer then regresses (MSE) on the gradient that
// does arrive from above — the true one at the top boundary, a bootstrapped one (the next
// synthetic gradient carried down one segment) below.
//
// One backward pass does it all: each boundary is an identity op (customVjp) whose backward
// records the cotangent arriving from above and sends the synthetic gradient below instead.
// Synthesizers predict per-example gradients (n·∂L/∂h for a batch mean over n examples), so
// their targets keep unit scale whatever the batch size. Their parameters and Adam state live
// in the rule state (counted as rule state) and are updated in place inside `step`.
import {
  SpecError, adam, compare, defineRule, concat, customVjp, fromArray, linear, mse, noGrad, relu, stopGradient, valueAndGrad, xavierUniform,
  zeros, type Block, type Model, type OptState, type Optimizer, type RuleContext, type Tensor,
} from '../src/index.ts';

const SYNTHESIZERS = ['linear', 'mlp'] as const;
const TARGETS = ['bootstrap', 'backprop'] as const;

export const syntheticGradientsDefaults = {
  /** cDNI: the synthesizer also sees the one-hot label. */
  conditioned: false,
  /** linear, or mlp (one ReLU hidden layer of `synthHidden` units). */
  synthesizer: 'linear' as string,
  synthHidden: 256,
  /** Hidden blocks whose output gets a synthesizer: "all", or indices such as "0" or "0,1". */
  boundaries: 'all' as string,
  /** Adam learning rate of the synthesizers. */
  synthLr: 3e-3,
  /**
   * Synthesizer regression target: bootstrap (the gradient arriving from above, itself
   * synthetic below the top boundary) or backprop (the true gradient; costs a full backward).
   */
  target: 'bootstrap' as string,
  /** Every this many steps also measure the cosine with the true gradient at each boundary (0: never). */
  trueEvery: 10,
  /** Test mode: pass the gradient arriving from above through instead of the synthetic one. */
  oracle: false,
};
export type SyntheticGradientsOptions = typeof syntheticGradientsDefaults;

export interface Synthesizer {
  /** Hidden block whose output h it reads. */
  boundary: number;
  /** linear: [W, b]; mlp: [W1, b1, W2, b2]. The last layer starts at zero. */
  params: Tensor[];
  opt: OptState;
}

export interface SyntheticGradientsState {
  synths: Synthesizer[];
}

/** The hidden blocks that get a synthesizer. */
export function boundariesOf(model: Model, spec: string): number[] {
  const hidden = model.blocks.filter((b) => b.hidden).map((b) => b.index);
  if (spec === 'all') return hidden;
  const picked = spec.split(',').map((s) => Number(s.trim()));
  for (const i of picked) {
    if (!hidden.includes(i)) {
      throw new SpecError(`synthetic-gradients: option boundaries: ${JSON.stringify(spec)} names block ${i}, but the hidden blocks are ${hidden.join(', ')}`);
    }
  }
  return [...new Set(picked)].sort((a, b) => a - b);
}

function conditionWidth(ctx: RuleContext<SyntheticGradientsOptions>): number {
  if (!ctx.options.conditioned) return 0;
  if (ctx.task.kind !== 'classification') throw new SpecError('synthetic-gradients: conditioned (cDNI) needs a classification task');
  return ctx.task.classes;
}

function oneHot(labels: ArrayLike<number>, classes: number): Tensor {
  const y = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) y[i * classes + labels[i]] = 1;
  return fromArray(y, [labels.length, classes]);
}

/** Per-example gradient predicted at h [n, units] (c: one-hot labels for cDNI, else null). */
export function synthesize(s: Synthesizer, h: Tensor, c: Tensor | null): Tensor {
  const x = c ? concat([h, c], 1) : h;
  const p = s.params;
  return p.length === 2 ? linear(x, p[0], p[1]) : linear(relu(linear(x, p[0], p[1])), p[2], p[3]);
}

const optimizerFor = (o: SyntheticGradientsOptions): Optimizer => adam({ lr: o.synthLr });

/** Scale a tensor's values into a new tensor (outside any tape). */
function scaled(t: Tensor, k: number): Tensor {
  const out = t.clone();
  for (let i = 0; i < out.size; i++) out.data[i] *= k;
  return out;
}

export const syntheticGradients = defineRule({
  id: 'synthetic-gradients',
  description: 'Layers update at once from gradients predicted by small synthesizers (DNI; cDNI also feeds the label), trained on the gradient that arrives later.',
  defaults: syntheticGradientsDefaults,
  choices: { synthesizer: SYNTHESIZERS, target: TARGETS },
  references: [
    { source: 'Jaderberg et al. 2017 (recalled)', dataset: 'mnist', metric: 'test error %', value: 2.2, note: 'DNI, 3-layer FCN' },
    { source: 'Jaderberg et al. 2017 (recalled)', dataset: 'mnist', metric: 'test error %', value: 2.0, note: 'cDNI, 3-layer FCN' },
  ],
  init(ctx): SyntheticGradientsState {
    const o = ctx.options;
    const cw = conditionWidth(ctx);
    const rng = ctx.rng.child('synthesizers');
    const synths = boundariesOf(ctx.model, o.boundaries).map((boundary): Synthesizer => {
      const units = ctx.model.blocks[boundary].outFeatures;
      const params =
        o.synthesizer === 'mlp'
          ? [
              xavierUniform([o.synthHidden, units + cw], rng.child(boundary)), zeros([o.synthHidden]),
              zeros([units, o.synthHidden]), zeros([units]),
            ]
          : [zeros([units, units + cw]), zeros([units])];
      return { boundary, params, opt: optimizerFor(o).init(params) };
    });
    return { synths };
  },
  step(ctx, state, batch) {
    const o = ctx.options;
    const { model } = ctx;
    const n = batch.size;
    const cw = conditionWidth(ctx);
    if (cw && !batch.labels) throw new SpecError('synthetic-gradients: conditioned needs labels in the batch');
    const cond = cw ? oneHot(batch.labels!, cw) : null;
    const rng = ctx.rng.child(ctx.step);
    const byBoundary = new Map(state.synths.map((s, k) => [s.boundary, k]));
    const K = state.synths.length;
    const hs: Tensor[] = new Array(K);
    const synthetic: Tensor[] = new Array(K);
    const arrived: Tensor[] = new Array(K);

    // mode 'dni': send the synthetic gradient below; 'pass': send what arrived (true BP, for the
    // cosTrue metric and the 'backprop' target; it reruns the forward with the same dropout stream).
    const run = (mode: 'dni' | 'pass') => {
      const got: Tensor[] = new Array(K);
      const taps = state.synths.map((s, k) =>
        customVjp(
          `syntheticGradient.${model.blocks[s.boundary].name}`,
          (h: Tensor) => {
            if (mode === 'dni') {
              hs[k] = h;
              synthetic[k] = scaled(synthesize(s, h, cond), 1 / n);
            }
            return { out: h };
          },
          (_saved, g) => {
            got[k] = g;
            return [mode === 'pass' || o.oracle ? g : synthetic[k]];
          },
        ),
      );
      const fwd = {
        training: true, rng: rng.child('dropout'),
        input: (b: Block, h: Tensor) => {
          const k = byBoundary.get(b.index - 1);
          return k === undefined ? h : taps[k](h);
        },
      };
      const res = valueAndGrad((p: Tensor[]) => ctx.task.loss(model.forward(p, batch.x, fwd).out, batch))([...ctx.params]);
      return { ...res, got };
    };

    const main = run('dni');
    main.got.forEach((g, k) => (arrived[k] = g));
    const wantTrue = o.target === 'backprop' || (o.trueEvery > 0 && ctx.step >= 0 && ctx.step % o.trueEvery === 0);
    const truth = wantTrue && K > 0 ? run('pass').got : null;

    const metrics: Record<string, number> = {};
    const opt = optimizerFor(o);
    state.synths.forEach((s, k) => {
      const name = model.blocks[s.boundary].name;
      const targetGrad = o.target === 'backprop' ? truth![k] : arrived[k];
      // A boundary whose activity never reaches the loss receives no cotangent: its target is zero.
      const target = scaled(targetGrad ?? zeros(hs[k].shape), n);
      const h = stopGradient(hs[k]);
      const { value, grads } = valueAndGrad((p: Tensor[]) => mse(synthesize({ ...s, params: p }, h, cond), target))([...s.params]);
      noGrad(() => opt.update(s.params, grads, s.opt, Math.max(0, ctx.step)));
      metrics[`${name}.synthLoss`] = value.item();
      const c = compare(synthetic[k], targetGrad ?? zeros(hs[k].shape));
      metrics[`${name}.cosTarget`] = c.cosine;
      metrics[`${name}.normRatio`] = c.normRatio;
      if (truth) metrics[`${name}.cosTrue`] = compare(synthetic[k], truth[k]).cosine;
    });
    return { updates: main.grads, state, loss: main.value.item(), metrics };
  },
});
