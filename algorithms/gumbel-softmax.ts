// Gumbel-softmax / concrete relaxation (Jang et al. 2017; Maddison et al. 2017) of stochastic
// binary hidden units: in training each unit outputs σ((a + L)/τ), L logistic noise, and the
// gradient is the exact pathwise gradient of that relaxed sample — biased for the binary net,
// the bias shrinking as τ → 0 while the variance grows. `hard`: the forward value is the exact
// binary sample 1[a + L > 0], the gradient that of the relaxed one (straight-through Gumbel).
// Prediction as in straight-through: expected activation σ(a) (default) or a sample average.
import {
  binaryConcrete, defineRule, mul, predictStochastic, scalar, valueAndGrad, type Block, type StochasticPrediction, type Tensor,
} from '../src/index.ts';

export const gumbelSoftmax = defineRule({
  id: 'gumbel-softmax',
  description: 'Stochastic binary hidden units relaxed to concrete (Gumbel-softmax) samples at temperature τ; pathwise gradients.',
  defaults: { temperature: 1, hard: false, predict: 'expected' as string, predictSamples: 1, slope: 1 },
  choices: { predict: ['expected', 'sample'] },
  init: () => null,
  step(ctx, state, batch) {
    const rng = ctx.rng.child(ctx.step);
    const slope = (z: Tensor) => (ctx.options.slope === 1 ? z : mul(z, scalar(ctx.options.slope)));
    const { temperature, hard } = ctx.options;
    const act = (b: Block, z: Tensor) => (b.hidden ? binaryConcrete(slope(z), temperature, rng.child(b.name), hard) : b.activation.fn(z));
    const { value, grads } = valueAndGrad((p: Tensor[]) => ctx.task.loss(ctx.model.forward(p, batch.x, { activation: act }).out, batch))([...ctx.params]);
    return { updates: grads, state, loss: value.item(), metrics: {} };
  },
  predict(ctx, _state, x) {
    const mode = ctx.options.predict as StochasticPrediction;
    return predictStochastic(ctx.model, ctx.params, x, mode, ctx.options.predictSamples, ctx.rng.child('predict'), ctx.options.slope);
  },
});
