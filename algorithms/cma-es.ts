// CMA-ES with a diagonal covariance (sep-CMA-ES, Ros & Hansen 2008), so that it scales past toy
// sizes: O(n) memory and time per sample instead of the full n×n covariance. Per step, λ samples
// θ + σ·√C ⊙ z are ranked by their loss; the update direction is −σ Σ wᵢ √C ⊙ z_{i:λ} over the best
// μ (with SGD at rate 1 this is CMA-ES's own mean update, c_m = 1). At the next step the realized
// mean shift — whatever optimizer applied it — drives the evolution paths, cumulative step-size
// adaptation and the rank-one and rank-μ updates of C, with Hansen's (2016 tutorial) default
// constants and sep-CMA's learning rates ×(n+2)/3. Only loss values are used, so it trains on
// objectives without a gradient; samples are regenerated from seeds, never stored across steps:
// λ draws to rank the samples, each straight into a copy of the parameters (θ + σ√C ⊙ z: one pass,
// and the parameters themselves are never perturbed, so nothing is restored), then the best μ once
// more, each read for both the update direction and the rank-μ term Σ wᵢ (√C ⊙ zᵢ)², kept until the
// next step's adaptation.
import {
  defineRule,
  fillNoise,
  FORWARD,
  noGrad,
  noiseKey,
  perturb,
  SpecError,
  taskLoss,
  WideNoise,
  zeros,
  type NoiseKey,
  type RuleContext,
  type Tensor,
} from '../src/core.ts';

type Options = { population: number; sigma: number };

export interface CmaState {
  /** Generations whose adaptation has been applied. */
  generation: number;
  sigma: number;
  /** Parameters when the last generation was sampled (its mean); the realized shift is params − mean. */
  mean: Tensor[];
  /** Evolution paths for σ and for C. */
  ps: Tensor[];
  pc: Tensor[];
  /** √diag C, per element. */
  sd: Tensor[];
  /**
   * The last generation's rank-μ term Σⱼ wⱼ (√C ⊙ z_{j:λ})², per element, from the draws that made
   * its update (so the adaptation needs none of its own); null before the first generation.
   */
  rankMu: Tensor[] | null;
}

/** Strategy constants for n parameters and λ samples (Hansen 2016, sep-CMA rates). */
export function cmaConstants(n: number, population: number) {
  const lambda = population > 0 ? population : 4 + Math.floor(3 * Math.log(n));
  const mu = Math.floor(lambda / 2);
  const raw = Array.from({ length: mu }, (_, i) => Math.log((lambda + 1) / 2) - Math.log(i + 1));
  const total = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((w) => w / total);
  const muEff = 1 / weights.reduce((a, w) => a + w * w, 0);
  const cs = (muEff + 2) / (n + muEff + 5);
  const ds = 1 + 2 * Math.max(0, Math.sqrt((muEff - 1) / (n + 1)) - 1) + cs;
  const cc = (4 + muEff / n) / (n + 4 + (2 * muEff) / n);
  const sep = (n + 2) / 3;
  const c1 = Math.min(1, (2 / ((n + 1.3) ** 2 + muEff)) * sep);
  const cmu = Math.min(1 - c1, ((2 * (muEff - 2 + 1 / muEff)) / ((n + 2) ** 2 + muEff)) * sep);
  const chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
  return { lambda, mu, weights, muEff, cs, ds, cc, c1, cmu, chiN };
}

/** Elements of z regenerated at once for the update and the rank-μ term. */
const Z_CHUNK = 4096;
const sampleStream =
  (ctx: RuleContext, step: number, k: number) =>
  (i: number): NoiseKey =>
    noiseKey(ctx.rng, step, k, i, 'cma');

/**
 * The update −σ Σⱼ wⱼ √C ⊙ z_{j:λ} over the selected samples (best first) and, from the same draws,
 * the rank-μ term Σⱼ wⱼ (√C ⊙ z_{j:λ})² the next step's adaptation needs: μ draws in all.
 */
function recombine(
  ctx: RuleContext<Options>,
  s: CmaState,
  c: ReturnType<typeof cmaConstants>,
  selected: readonly number[],
): { updates: Tensor[]; rankMu: Tensor[] } {
  const params = ctx.params;
  // One chunk of z in the backend's memory, so the noise kernel fills it (not its JS reference).
  const chunk = new WideNoise([Z_CHUNK]);
  const z = chunk.views[0];
  const rank = new Float64Array(Z_CHUNK);
  const updates = params.map((p) => zeros(p.shape));
  const rankMu = s.rankMu ?? params.map((p) => zeros(p.shape));
  try {
    for (let i = 0; i < params.length; i++) {
      const sd = s.sd[i].data;
      const u = updates[i].data;
      const r = rankMu[i].data;
      const keys = selected.map((k) => sampleStream(ctx, ctx.step, k)(i));
      for (let from = 0; from < sd.length; from += Z_CHUNK) {
        const len = Math.min(Z_CHUNK, sd.length - from);
        rank.fill(0);
        for (let j = 0; j < keys.length; j++) {
          fillNoise(z.subarray(0, len), keys[j], from);
          // The update's term rounds as addNoise would add it ((coef · s) · z into float32); the
          // rank-μ sum stays in float64 until the chunk's last sample (j ascending).
          const coef = -s.sigma * c.weights[j];
          const w = c.weights[j];
          for (let e = 0; e < len; e++) {
            const k = from + e;
            u[k] += coef * sd[k] * z[e];
            const y = sd[k] * z[e];
            rank[e] += w * y * y;
          }
        }
        r.set(rank.subarray(0, len), from);
      }
    }
  } finally {
    chunk.free();
  }
  return { updates, rankMu };
}

/** Apply the last generation's adaptation to the state, from the mean shift the optimizer realized. */
function adapt(ctx: RuleContext<Options>, s: CmaState, c: ReturnType<typeof cmaConstants>, n: number): void {
  const rankMu = s.rankMu!;
  const params = ctx.params;
  const g = s.generation + 1;
  const psCoef = Math.sqrt(c.cs * (2 - c.cs) * c.muEff);
  let psSq = 0;
  for (let i = 0; i < params.length; i++) {
    const p = params[i].data;
    const m = s.mean[i].data;
    const ps = s.ps[i].data;
    const sd = s.sd[i].data;
    for (let e = 0; e < p.length; e++) {
      ps[e] = (1 - c.cs) * ps[e] + (psCoef * (p[e] - m[e])) / (s.sigma * sd[e]);
      psSq += ps[e] * ps[e];
    }
  }
  const psNorm = Math.sqrt(psSq);
  // Stall the rank-one update while the step-size path is long (h_σ), as the tutorial does.
  const hsig = psNorm / Math.sqrt(1 - (1 - c.cs) ** (2 * g)) / c.chiN < 1.4 + 2 / (n + 1) ? 1 : 0;
  const pcCoef = hsig * Math.sqrt(c.cc * (2 - c.cc) * c.muEff);
  const keep = 1 - c.c1 - c.cmu + (1 - hsig) * c.c1 * c.cc * (2 - c.cc);
  const { cc, c1, cmu } = c;
  const sigma = s.sigma;
  for (let i = 0; i < params.length; i++) {
    const p = params[i].data;
    const m = s.mean[i].data;
    const pc = s.pc[i].data;
    const sd = s.sd[i].data;
    const r = rankMu[i].data;
    for (let k = 0; k < p.length; k++) {
      pc[k] = (1 - cc) * pc[k] + (pcCoef * (p[k] - m[k])) / sigma;
      sd[k] = Math.sqrt(keep * sd[k] * sd[k] + c1 * pc[k] * pc[k] + cmu * r[k]);
    }
  }
  s.sigma *= Math.exp((c.cs / c.ds) * (psNorm / c.chiN - 1));
  s.generation = g;
}

export const cmaEs = defineRule({
  id: 'cma-es',
  updateWaitsFor: 'output-error',
  description:
    'sep-CMA-ES (diagonal covariance; Ros & Hansen 2008): λ samples θ + σ√C⊙z ranked by loss, update −σΣwᵢ√C⊙zᵢ over the best μ, ' +
    'cumulative step-size adaptation and rank-one/rank-μ updates of diag C from the realized mean shift; samples regenerated from seeds.',
  defaults: {
    // λ, forward passes per step; 0 picks Hansen's default 4 + ⌊3 ln n⌋ (about 41 for 300k parameters).
    population: 0,
    // Initial step size σ₀ in parameter units.
    sigma: 0.01,
  } as Options,
  // One inference pass per sample: λ, Hansen's default when population is 0 (as the step picks it).
  cost: ({ options, parameters }) => cmaConstants(parameters, options.population).lambda * FORWARD,
  // Each sample drawn once (reused for θ + and θ −), the best μ regenerated once for the update
  // and the next step's rank-μ adaptation together.
  noiseDraws: ({ options, parameters }) => {
    const { lambda, mu } = cmaConstants(parameters, options.population);
    return lambda + mu;
  },
  search: { sigma: { float: [1e-3, 0.1], log: true } },
  check(ctx) {
    const { population, sigma } = ctx.options;
    if (!(Number.isInteger(population) && (population === 0 || population >= 2))) {
      throw new SpecError(`cma-es: option population must be 0 (Hansen's default λ) or an integer ≥ 2, got ${population}`);
    }
    if (!(sigma > 0)) throw new SpecError(`cma-es: option sigma must be positive, got ${sigma}`);
  },
  init(ctx): CmaState {
    return {
      generation: 0,
      sigma: ctx.options.sigma,
      mean: ctx.params.map((p) => p.clone()),
      ps: ctx.params.map((p) => zeros(p.shape)),
      pc: ctx.params.map((p) => zeros(p.shape)),
      sd: ctx.params.map((p) => {
        const t = zeros(p.shape);
        t.data.fill(1);
        return t;
      }),
      rankMu: null,
    };
  },
  step(ctx, state, batch) {
    const params = ctx.params;
    const n = params.reduce((a, p) => a + p.size, 0);
    const c = cmaConstants(n, ctx.options.population);
    if (state.rankMu) noGrad(() => adapt(ctx, state, c, n));
    for (let i = 0; i < params.length; i++) state.mean[i].data.set(params[i].data);

    const scale = (i: number) => state.sd[i].data;
    const loss = taskLoss(ctx, batch);
    const losses: number[] = [];
    // Sample k at θ + σ√C ⊙ z_k, rounded as perturbing θ in place would round it.
    const sample = noGrad(() => params.map((p) => p.clone()));
    for (let k = 0; k < c.lambda; k++) {
      for (let i = 0; i < params.length; i++) sample[i].data.set(params[i].data);
      perturb(sample, state.sigma, sampleStream(ctx, ctx.step, k), scale);
      losses.push(noGrad(() => loss(sample).item()));
    }
    // Best first; equal losses keep sample order, so ties break the same way every run.
    const selected = losses
      .map((l, k) => [l, k] as const)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .slice(0, c.mu)
      .map(([, k]) => k);
    const sigma = state.sigma;
    // Descent direction: minus the mean shift σ Σ wᵢ √C ⊙ zᵢ.
    const { updates, rankMu } = noGrad(() => recombine(ctx, state, c, selected));
    let sdSum = 0;
    for (const t of state.sd) for (let e = 0; e < t.size; e++) sdSum += t.data[e];
    const next: CmaState = { ...state, rankMu };
    return {
      updates,
      state: next,
      loss: losses.reduce((a, b) => a + b, 0) / losses.length,
      metrics: {
        forwardPasses: c.lambda,
        sigma,
        meanSd: sdSum / n,
        lossSpread: Math.max(...losses) - Math.min(...losses),
      },
    };
  },
});
