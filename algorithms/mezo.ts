// MeZO (Malladi et al. 2023): zeroth-order SPSA with in-place perturbation and regenerated
// noise, so a training step needs no tape, no gradient buffers and no stored noise.
import { defineRule, noGrad, zeros, type Rng, type Tensor } from '../src/index.ts';

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

/**
 * The noise direction z for one (step, sample, parameter): a fresh stream derived from the
 * rule's stream, so it is the same whenever and however often it is regenerated.
 */
function noiseStream(ruleRng: Rng, step: number, sample: number, param: number): Rng {
  return ruleRng.child(step).child(`mezo/${sample}/${param}`);
}

/** p ← p + scale·z, drawing z element by element (no buffer). */
function addNoise(p: Tensor, scale: number, r: Rng, rademacher: boolean): void {
  const d = p.data;
  if (rademacher) for (let k = 0; k < d.length; k++) d[k] += r.uniform() < 0.5 ? -scale : scale;
  else for (let k = 0; k < d.length; k++) d[k] += scale * r.normal();
}

export const mezo = defineRule({
  id: 'mezo',
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
    const rademacher = noise === 'rademacher';
    const params = ctx.params;
    // ctx.train gives both evaluations the same dropout masks, so the difference sees only the perturbation.
    const lossAt = () => noGrad(() => ctx.task.loss(ctx.model.forward(params, batch.x, ctx.train), batch).item());
    const perturb = (sample: number, scale: number) => {
      for (let i = 0; i < params.length; i++) {
        params[i].touch();
        addNoise(params[i], scale, noiseStream(ctx.rng, ctx.step, sample, i), rademacher);
      }
    };

    const projected: number[] = [];
    let lossSum = 0;
    for (let s = 0; s < samples; s++) {
      perturb(s, eps);
      const lPlus = lossAt();
      perturb(s, -2 * eps);
      const lMinus = lossAt();
      perturb(s, eps);
      projected.push((lPlus - lMinus) / (2 * eps));
      lossSum += (lPlus + lMinus) / 2;
    }

    // Keep the history at the same length from the first step on (the state's size is fixed).
    const window = momentum > 0 ? momentumWindow : 1;
    const history = [{ step: ctx.step, projected }, ...state.history].slice(0, window);
    const next: MezoState = { history };

    // Streams for the parameter being handed out range by range, positioned at `pos`, so
    // consecutive ranges continue the same draws (the values equal get(i)'s, bit for bit).
    let cursor: { index: number; pos: number; streams: Array<{ r: Rng; scale: number }> } | null = null;
    const openStreams = (i: number) =>
      history.flatMap((h, age) => h.projected.map((g, s) => ({ r: noiseStream(ctx.rng, h.step, s, i), scale: (momentum ** age * g) / samples })));
    const draw = (r: Rng) => (rademacher ? (r.uniform() < 0.5 ? -1 : 1) : r.normal());

    const updates = {
      count: params.length,
      // Ranges this long keep the step's extra memory far below a parameter's size.
      chunk: 4096,
      getRange(i: number, offset: number, length: number): Tensor {
        if (!cursor || cursor.index !== i || cursor.pos > offset) cursor = { index: i, pos: 0, streams: openStreams(i) };
        for (const st of cursor.streams) for (let k = cursor.pos; k < offset; k++) draw(st.r);
        const u = zeros([length]);
        const d = u.data;
        for (const st of cursor.streams) for (let k = 0; k < length; k++) d[k] += st.scale * draw(st.r);
        cursor.pos = offset + length;
        return u;
      },
      // ĝ_i = Σ_k β^k · (1/n) Σ_s g_{k,s} · z_{k,s,i}: regenerated, never stored.
      get(i: number): Tensor {
        const u = zeros(params[i].shape);
        noGrad(() => {
          history.forEach((h, age) => {
            const decay = momentum ** age;
            h.projected.forEach((g, s) => addNoise(u, (decay * g) / samples, noiseStream(ctx.rng, h.step, s, i), rademacher));
          });
        });
        return u;
      },
    };
    const mean = projected.reduce((a, b) => a + b, 0) / samples;
    return { updates, state: next, loss: lossSum / samples, metrics: { projectedGradient: mean } };
  },
});
