// Straight-through estimator (Bengio, Léonard & Courville 2013) for nets of stochastic binary
// units h ~ Bernoulli(σ(a)): the forward pass samples, the backward pass pretends the unit was
// the identity ('identity') or σ ('sigmoid-adjusted': cotangent · σ′(a)). Biased, low variance.
// unit 'deterministic' uses the hard threshold 1[a > 0] forward instead of a sample.
// Prediction: the expected activation σ(a) per hidden unit ('expected', default) or the mean
// class probabilities over `predictSamples` binary passes ('sample').
import {
  customVjp, defineRule, empty, mul, predictStochastic, scalar, sigmoid, stochasticBinary, valueAndGrad,
  type Block, type Rng, type StochasticPrediction, type Tensor,
} from '../src/index.ts';

const VARIANTS = ['identity', 'sigmoid-adjusted'] as const;
type Variant = (typeof VARIANTS)[number];

/** A binary unit whose backward pass is straight-through. */
export function straightThroughUnit(variant: Variant, deterministic: boolean, rng: Rng): (a: Tensor) => Tensor {
  return customVjp(
    `straightThrough.${variant}`,
    (a: Tensor) => {
      let h: Tensor;
      if (deterministic) {
        h = empty(a.shape);
        for (let i = 0; i < a.size; i++) h.data[i] = a.data[i] > 0 ? 1 : 0;
      } else {
        h = stochasticBinary(a, rng);
      }
      if (variant === 'identity') return { out: h };
      const s = sigmoid(a);
      const d = empty(a.shape);
      for (let i = 0; i < d.size; i++) d.data[i] = s.data[i] * (1 - s.data[i]);
      return { out: h, saved: [d] };
    },
    (saved, g) => [saved.length ? mul(g, saved[0]) : g],
  );
}

export const straightThrough = defineRule({
  id: 'straight-through',
  description: 'Stochastic binary hidden units; gradients pass the sampling step as if it were the identity (or σ).',
  defaults: { variant: 'sigmoid-adjusted' as string, unit: 'stochastic' as string, predict: 'expected' as string, predictSamples: 1, slope: 1 },
  choices: { variant: VARIANTS, unit: ['stochastic', 'deterministic'], predict: ['expected', 'sample'] },
  references: [
    { source: 'R2RT port of Bengio et al. 2013 (binary stochastic 784-200-200-10)', dataset: 'mnist', metric: 'test accuracy %', value: 97.3, note: 'ST ≈ 97.1–97.5%' },
  ],
  init: () => null,
  step(ctx, state, batch) {
    const rng = ctx.rng.child(ctx.step);
    const slope = (z: Tensor) => (ctx.options.slope === 1 ? z : mul(z, scalar(ctx.options.slope)));
    const variant = ctx.options.variant as Variant;
    const deterministic = ctx.options.unit === 'deterministic';
    const act = (b: Block, z: Tensor) => (b.hidden ? straightThroughUnit(variant, deterministic, rng.child(b.name))(slope(z)) : b.activation.fn(z));
    const { value, grads } = valueAndGrad((p: Tensor[]) => ctx.task.loss(ctx.model.forward(p, batch.x, { activation: act }).out, batch))([...ctx.params]);
    return { updates: grads, state, loss: value.item(), metrics: {} };
  },
  predict(ctx, _state, x) {
    const mode = ctx.options.predict as StochasticPrediction;
    return predictStochastic(ctx.model, ctx.params, x, mode, ctx.options.predictSamples, ctx.rng.child('predict'), ctx.options.slope);
  },
});
