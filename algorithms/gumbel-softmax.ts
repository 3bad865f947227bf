// Gumbel-softmax / concrete relaxation (Jang et al. 2017; Maddison et al. 2017) of stochastic
// binary units in place of the activations: in training each unit outputs σ((a + L)/τ), L
// logistic noise, and the gradient is the exact pathwise gradient of that relaxed sample —
// biased for the binary net, the bias shrinking as τ → 0 while the variance grows. `hard`: the
// forward value is the exact binary sample 1[a + L > 0], the gradient that of the relaxed one
// (straight-through Gumbel). Prediction as in straight-through.
import {
  binaryConcrete,
  defineRule,
  LOGISTIC_OPS,
  unitNoiseDraws,
  predictStochastic,
  stochasticPredicts,
  refuseSequenceTask,
  stochasticPaths,
  taskGradient,
  withUnits,
  type Model,
  type StochasticNet,
  type StochasticPrediction,
} from '../src/core.ts';

/** The stochastic network this rule trains: the chosen activations as Bernoulli(σ(slope·a)) units. */
const netOf = (ctx: { model: Model; options: { at: string; slope: number } }): StochasticNet => ({
  paths: stochasticPaths(ctx.model, ctx.options.at, 'gumbel-softmax'),
  slope: ctx.options.slope,
});

export const gumbelSoftmax = defineRule({
  id: 'gumbel-softmax',
  updateWaitsFor: 'layer-above',
  description: 'Stochastic binary units relaxed to concrete (Gumbel-softmax) samples at temperature τ; pathwise gradients.',
  defaults: { temperature: 1, hard: false, predict: 'expected' as string, predictSamples: 1, slope: 1, at: 'all' },
  choices: { predict: ['expected', 'sample'] },
  // A relaxed sample's forward and its pathwise backward.
  cost: ({ backpropStep }) => backpropStep,
  // Its logistic noise, a draw a stochastic unit (src/rules/cost.ts).
  noiseDraws: (c) => unitNoiseDraws(c, c.options.at, LOGISTIC_OPS),
  search: { temperature: { float: [0.1, 2], log: true }, hard: { choice: [false, true] }, slope: { float: [0.5, 8], log: true } },
  estimates: 'expected-gradient',
  predicts: (o) => stochasticPredicts(o.predict),
  stochastic: (ctx) => netOf(ctx),
  check(ctx) {
    refuseSequenceTask(
      ctx.task,
      ctx.model,
      'gumbel-softmax',
      'its units are scored by per-sample losses and its reference is the expected gradient of one output per sample',
    );
    netOf(ctx);
  },
  init: () => null,
  step(ctx, state, batch) {
    const rng = ctx.rng.child(ctx.step);
    const { temperature, hard } = ctx.options;
    const model = withUnits(ctx.model, netOf(ctx), (a, path) => binaryConcrete(a, temperature, rng.child(path), hard));
    const { loss, grads } = taskGradient(ctx, batch, { model });
    return { updates: grads, state, loss, metrics: {} };
  },
  predict(ctx, _state, x) {
    const mode = ctx.options.predict as StochasticPrediction;
    return predictStochastic(ctx.model, netOf(ctx), ctx.params, x, mode, ctx.options.predictSamples, ctx.rng.child('predict'), ctx.infer);
  },
});
