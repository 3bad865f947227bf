// Evolution strategies as Salimans et al. 2017 ran them: antithetic (mirrored) Gaussian
// perturbations θ ± σε, the population's losses turned into centered ranks (fitness shaping),
// and g = 1/(nσ) Σ_k (u⁺_k − u⁻_k) ε_k as the update direction. Only loss values are used, so it
// trains on objectives without a gradient (classification error itself). Like MeZO, the noise is
// regenerated from seeds rather than stored across samples, and the update is streamed range by
// range; within a pair, its σε is drawn once at full width (WideNoise) and reused for θ + σε,
// θ − σε and the restore, bit for bit as regenerating it each time.
import { centeredRanks, defineRule, FORWARD, noGrad, noiseKey, SpecError, streamedUpdates, taskLoss, WideNoise } from '../src/core.ts';

type Options = { population: number; sigma: number; shaping: string };

export const evolutionStrategies = defineRule({
  id: 'evolution-strategies',
  updateWaitsFor: 'output-error',
  description:
    'Antithetic Gaussian ES (Salimans et al. 2017): population/2 mirrored pairs θ ± σε, fitness shaped by centered ranks, ' +
    'g = Σ (u⁺ − u⁻) ε / (nσ); noise regenerated from seeds, updates streamed. Needs only loss values.',
  defaults: {
    // Forward passes per step (mirrored pairs × 2). The estimate's cosine with the gradient grows
    // like √(population / parameters): a population this size is for small nets.
    population: 32,
    // Perturbation std in parameter units: large enough to change a piecewise-constant
    // objective (the error rate), small next to the weights of a He-initialized MLP.
    sigma: 0.01,
    // 'centered-ranks' (Salimans et al.) or 'none': raw losses, which with population 2 is MeZO's SPSA.
    shaping: 'centered-ranks',
  } as Options,
  choices: { shaping: ['centered-ranks', 'none'] },
  search: { sigma: { float: [1e-3, 0.1], log: true }, shaping: { choice: ['centered-ranks', 'none'] } },
  // One inference pass per member of the population (the noise, O(parameters) per member, is left out).
  cost: ({ options }) => options.population * FORWARD,
  // Each pair's σε drawn once (reused for θ ± σε), then regenerated for the streamed update.
  noiseDraws: ({ options }) => options.population,
  // +σε, −2σε, +σε in float32 leaves each parameter within a few roundings of its value.
  restoreTolerance: 1e-5,
  check(ctx) {
    const { population, sigma } = ctx.options;
    if (!(Number.isInteger(population) && population >= 2 && population % 2 === 0)) {
      throw new SpecError(`evolution-strategies: option population must be an even integer ≥ 2 (mirrored pairs), got ${population}`);
    }
    if (!(sigma > 0)) throw new SpecError(`evolution-strategies: option sigma must be positive, got ${sigma}`);
  },
  init: () => null,
  step(ctx, state, batch) {
    const { population, sigma, shaping } = ctx.options;
    const params = ctx.params;
    const pairs = population / 2;
    const stream = (k: number) => (i: number) => noiseKey(ctx.rng, ctx.step, k, i, 'es');
    // Every evaluation of the step sees the same dropout masks: the differences see only ε.
    const loss = taskLoss(ctx, batch);
    const lossAt = () => noGrad(() => loss(params).item());
    const plus: number[] = [];
    const minus: number[] = [];
    const noise = new WideNoise(params.map((p) => p.size));
    try {
      for (let k = 0; k < pairs; k++) {
        noise.draw(sigma, stream(k));
        noise.addTo(params, 1);
        plus.push(lossAt());
        noise.addTo(params, -2);
        minus.push(lossAt());
        noise.addTo(params, 1);
      }
    } finally {
      noise.free();
    }
    // Ranks over the whole population (both halves), as Salimans et al. shape them.
    const shaped = shaping === 'centered-ranks' ? centeredRanks([...plus, ...minus]) : [...plus, ...minus];
    const terms = plus.map((_, k) => ({ coef: (shaped[k] - shaped[pairs + k]) / (population * sigma), key: stream(k) }));
    const all = [...plus, ...minus];
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    return {
      updates: streamedUpdates(params, terms),
      state,
      loss: mean,
      metrics: {
        forwardPasses: population,
        // Spread of the population's losses: how much the perturbations change the objective at all.
        lossSpread: Math.max(...all) - Math.min(...all),
      },
    };
  },
});
