// MeZO (Malladi et al. 2023): zeroth-order SPSA with in-place perturbation and regenerated
// noise, so a training step needs no tape, no gradient buffers and no stored noise. The noise is
// counter-based (src/rules/zeroth-order.ts), so regenerating any range of it costs only that range.
import { defineRule, FORWARD, noGrad, noiseKey, perturb, streamedUpdates, taskLoss, type NoiseKey, type RuleContext } from '../src/core.ts';

export interface MezoState {
  /**
   * Projected gradients (L₊−L₋)/2ε of the last `momentumWindow` steps, newest first, one
   * number per SPSA sample, with the step that drew their noise. Only scalars: the noise is
   * regenerated from (rule stream, step, sample, parameter) whenever it is needed.
   */
  history: Array<{ step: number; projected: number[] }>;
}

type Options = {
  eps: number;
  samples: number;
  noise: string;
  momentum: number;
  momentumWindow: number;
};

/** The noise direction z of one (step, sample), per parameter: the same whenever it is regenerated. */
const direction =
  (ctx: RuleContext, step: number, sample: number) =>
  (param: number): NoiseKey =>
    noiseKey(ctx.rng, step, sample, param, 'mezo');

export const mezo = defineRule({
  id: 'mezo',
  updateWaitsFor: 'output-error',
  description:
    'MeZO: zeroth-order SPSA, g = (L(θ+εz) − L(θ−εz))/2ε along Gaussian z, with in-place perturbation and ' +
    'noise regenerated per parameter from a step seed; updates g·z are streamed one parameter at a time.',
  defaults: {
    // ε: 1e-3 is the paper's value; on float32 nets of this size the loss difference at
    // 1e-3 is well above rounding, and smaller ε gains nothing (the estimate is a
    // directional derivative either way).
    eps: 1e-3,
    // n-SPSA: directions averaged per step (the paper uses 1). Each sample costs two forward
    // passes; the update variance falls as 1/n.
    samples: 1,
    noise: 'gaussian',
    // Heavy-ball momentum on the projected gradients, truncated to the last `momentumWindow`
    // steps: direction_t = Σ_k β^k ĝ_{t−k}, each ĝ regenerated from its seed. The state is
    // window × samples scalars instead of a parameter-sized velocity (which the runner's
    // 'momentum' optimizer would hold); the price is window× the noise regeneration.
    momentum: 0,
    momentumWindow: 8,
  } as Options,
  choices: { noise: ['gaussian', 'rademacher'] },
  // Two inference passes (θ + εz, θ − εz) per sample; regenerating z, O(parameters) per pass, is left out.
  cost: ({ options }) => 2 * options.samples * FORWARD,
  search: { eps: { float: [1e-4, 1e-2], log: true }, samples: { int: [1, 8], log: true }, momentum: { float: [0, 0.95] } },
  // +εz, −2εz, +εz in float32 leaves each parameter within a few roundings of its value:
  // |error| ≤ 3·2⁻²⁴·(|θ| + 2ε|z|) ≈ 2e-6 for |θ| ≤ 10, ε|z| ≤ 0.01.
  restoreTolerance: 1e-5,
  init: (): MezoState => ({ history: [] }),
  step(ctx, state, batch) {
    const { eps, samples, noise, momentum, momentumWindow } = ctx.options;
    if (!(eps > 0)) throw new Error(`mezo: option eps must be positive, got ${eps}`);
    if (!(Number.isInteger(samples) && samples >= 1)) throw new Error(`mezo: option samples must be an integer ≥ 1, got ${samples}`);
    if (!(momentum >= 0 && momentum < 1)) throw new Error(`mezo: option momentum must be in [0, 1), got ${momentum}`);
    if (!(Number.isInteger(momentumWindow) && momentumWindow >= 1)) {
      throw new Error(`mezo: option momentumWindow must be an integer ≥ 1, got ${momentumWindow}`);
    }
    const kind = noise === 'rademacher' ? 'rademacher' : 'gaussian';
    const params = ctx.params;
    // ctx.train gives both evaluations the same dropout masks, so the difference sees only the perturbation.
    const loss = taskLoss(ctx, batch);
    const lossAt = () => noGrad(() => loss(params).item());
    const projected: number[] = [];
    let lossSum = 0;
    for (let s = 0; s < samples; s++) {
      const z = direction(ctx, ctx.step, s);
      perturb(params, eps, z, undefined, kind);
      const lPlus = lossAt();
      perturb(params, -2 * eps, z, undefined, kind);
      const lMinus = lossAt();
      perturb(params, eps, z, undefined, kind);
      projected.push((lPlus - lMinus) / (2 * eps));
      lossSum += (lPlus + lMinus) / 2;
    }

    // Keep the history at the same length from the first step on (the state's size is fixed).
    const window = momentum > 0 ? momentumWindow : 1;
    const history = [{ step: ctx.step, projected }, ...state.history].slice(0, window);
    const next: MezoState = { history };

    // ĝ_i = Σ_k β^k · (1/n) Σ_s g_{k,s} · z_{k,s,i}: regenerated range by range, never stored.
    const terms = history.flatMap((h, age) =>
      h.projected.map((g, s) => ({ coef: (momentum ** age * g) / samples, key: direction(ctx, h.step, s) })),
    );
    // Ranges of 4096 keep the step's extra memory far below a parameter's size.
    const updates = streamedUpdates(params, terms, undefined, 4096, kind);
    const mean = projected.reduce((a, b) => a + b, 0) / samples;
    // forwardPasses: the zeroth-order cost axis (evolution strategies and CMA-ES report it too).
    return { updates, state: next, loss: lossSum / samples, metrics: { projectedGradient: mean, forwardPasses: 2 * samples } };
  },
});
