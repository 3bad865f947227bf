// Straight-through estimator (Bengio, Léonard & Courville 2013) for nets of stochastic binary
// units h ~ Bernoulli(σ(a)) in place of the model's activations: the forward pass samples,
// the backward pass pretends the unit was the identity ('identity') or σ ('sigmoid-adjusted':
// cotangent · σ′(a)). Biased, low variance. unit 'deterministic' uses the hard threshold
// 1[a > 0] forward instead of a sample. Prediction: the expected activation σ(a) per unit
// ('expected', default) or the mean class probabilities over `predictSamples` binary passes.
import {
  bernoulliSample,
  customVjp,
  defineRule,
  empty,
  mul,
  predictStochastic,
  stochasticPredicts,
  refuseSequenceTask,
  sigmoid,
  stochasticPaths,
  taskGradient,
  withUnits,
  type Model,
  type Rng,
  type StochasticNet,
  type StochasticPrediction,
  type Tensor,
} from '../src/core.ts';

const VARIANTS = ['identity', 'sigmoid-adjusted'] as const;
type Variant = (typeof VARIANTS)[number];

/** σ′(a) = σ(a)(1 − σ(a)). */
function sigmoidSlope(a: Tensor): Tensor {
  const s = sigmoid(a);
  const d = empty(a.shape);
  for (let i = 0; i < d.size; i++) d.data[i] = s.data[i] * (1 - s.data[i]);
  return d;
}

/** A binary unit whose backward pass is straight-through. */
export function straightThroughUnit(variant: Variant, deterministic: boolean, rng: Rng): (a: Tensor) => Tensor {
  return customVjp(
    `straightThrough.${variant}`,
    (a: Tensor) => {
      if (deterministic) {
        const h = empty(a.shape);
        for (let i = 0; i < a.size; i++) h.data[i] = a.data[i] > 0 ? 1 : 0;
        return variant === 'identity' ? { out: h } : { out: h, saved: [sigmoidSlope(a)] };
      }
      // The sample and σ′(a) come out of one pass over a.
      const { h, aux } = bernoulliSample(a, rng, variant === 'identity' ? null : 'slope');
      return aux ? { out: h, saved: [aux] } : { out: h };
    },
    (saved, g) => [saved.length ? mul(g, saved[0]) : g],
  );
}

/** The stochastic network this rule trains: the chosen activations as Bernoulli(σ(slope·a)) units. */
const netOf = (ctx: { model: Model; options: { at: string; slope: number } }): StochasticNet => ({
  paths: stochasticPaths(ctx.model, ctx.options.at, 'straight-through'),
  slope: ctx.options.slope,
});

export const straightThrough = defineRule({
  id: 'straight-through',
  updateWaitsFor: 'layer-above',
  description: 'Stochastic binary units in place of the activations; gradients pass the sampling step as if it were the identity (or σ).',
  defaults: {
    variant: 'sigmoid-adjusted' as string,
    unit: 'stochastic' as string,
    predict: 'expected' as string,
    predictSamples: 1,
    slope: 1,
    /** Activations made stochastic: "all" or comma-separated module paths. */
    at: 'all',
  },
  choices: { variant: VARIANTS, unit: ['stochastic', 'deterministic'], predict: ['expected', 'sample'] },
  // A sampled forward and a backward through the pretended units.
  cost: ({ backpropStep }) => backpropStep,
  search: { slope: { float: [0.5, 8], log: true } },
  estimates: 'expected-gradient',
  predicts: (o) => stochasticPredicts(o.predict),
  stochastic: (ctx) => netOf(ctx),
  check(ctx) {
    refuseSequenceTask(
      ctx.task,
      ctx.model,
      'straight-through',
      'its units are scored by per-sample losses and its reference is the expected gradient of one output per sample',
    );
    netOf(ctx);
  },
  init: () => null,
  step(ctx, state, batch) {
    const rng = ctx.rng.child(ctx.step);
    const variant = ctx.options.variant as Variant;
    const deterministic = ctx.options.unit === 'deterministic';
    const net = netOf(ctx);
    const model = withUnits(ctx.model, net, (a, path) => straightThroughUnit(variant, deterministic, rng.child(path))(a));
    const { loss, grads } = taskGradient(ctx, batch, { model });
    return { updates: grads, state, loss, metrics: {} };
  },
  predict(ctx, _state, x) {
    const mode = ctx.options.predict as StochasticPrediction;
    return predictStochastic(ctx.model, netOf(ctx), ctx.params, x, mode, ctx.options.predictSamples, ctx.rng.child('predict'), ctx.infer);
  },
});
