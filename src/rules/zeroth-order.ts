// Building blocks of rules that estimate a gradient from loss values alone (evolution
// strategies, CMA-ES): parameter perturbations drawn element by element from seeded streams —
// regenerated whenever needed, never stored — updates streamed range by range, and rank-based
// fitness shaping. A step of such a rule needs no tape and no parameter-sized noise buffer.
import { noGrad } from '../autograd/functional.ts';
import type { Buf } from '../kernels/backend.ts';
import type { Rng } from '../random.ts';
import { zeros, type Tensor } from '../tensor/tensor.ts';
import type { LazyUpdates } from './rule.ts';

/**
 * The noise of one (step, sample, parameter): a stream derived from the rule's own, so the
 * same draws come back however often, and in whatever order, they are regenerated.
 */
export function noiseStream(ruleRng: Rng, step: number, sample: number, param: number, tag = 'noise'): Rng {
  return ruleRng.child(step).child(`${tag}/${sample}/${param}`);
}

/** Per-element scale of a parameter's noise (CMA-ES: √diag C), or null for 1. */
export type ElementScale = (param: number) => Buf | null;

/**
 * p_i ← p_i + scale · s_i ⊙ z_i for every parameter, z_i drawn from stream(i) element by
 * element (no buffer). Calling it again with −scale and the same streams undoes it, up to
 * float32 rounding.
 */
export function perturb(params: readonly Tensor[], scale: number, stream: (param: number) => Rng, elementScale?: ElementScale): void {
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    p.touch();
    const r = stream(i);
    const d = p.data;
    const s = elementScale?.(i) ?? null;
    if (s) for (let k = 0; k < d.length; k++) d[k] += scale * s[k] * r.normal();
    else for (let k = 0; k < d.length; k++) d[k] += scale * r.normal();
  }
}

/** One term of a streamed update: coef · s_i ⊙ z_i, z_i from stream(i). */
export interface NoiseTerm {
  coef: number;
  stream: (param: number) => Rng;
}

/**
 * Updates u_i = Σ_terms coef · s_i ⊙ z_i, handed to the runner one range of one parameter at a
 * time (`chunk` elements), the noise regenerated from its streams. get(i) and the ranges give
 * the same values bit for bit.
 */
export function streamedUpdates(params: readonly Tensor[], terms: readonly NoiseTerm[], elementScale?: ElementScale, chunk = 4096): LazyUpdates {
  // The parameter being handed out, its streams positioned at element `pos`.
  let cursor: { index: number; pos: number; streams: Array<{ r: Rng; coef: number }> } | null = null;
  const open = (i: number) => ({ index: i, pos: 0, streams: terms.map((t) => ({ r: t.stream(i), coef: t.coef })) });
  const fill = (out: Buf, i: number, from: number) => {
    const s = elementScale?.(i) ?? null;
    for (const st of cursor!.streams) {
      for (let k = 0; k < out.length; k++) out[k] += st.coef * (s ? s[from + k] : 1) * st.r.normal();
    }
  };
  return {
    count: params.length,
    chunk,
    getRange(i: number, offset: number, length: number): Tensor {
      if (!cursor || cursor.index !== i || cursor.pos > offset) cursor = open(i);
      for (const st of cursor.streams) for (let k = cursor.pos; k < offset; k++) st.r.normal();
      const u = zeros([length]);
      fill(u.data, i, offset);
      cursor.pos = offset + length;
      return u;
    },
    get(i: number): Tensor {
      const u = zeros(params[i].shape);
      noGrad(() => {
        cursor = open(i);
        fill(u.data, i, 0);
        cursor = null;
      });
      return u;
    },
  };
}

/**
 * Centered ranks in [−0.5, 0.5] (Salimans et al. 2017's fitness shaping): the lowest value gets
 * −0.5, the highest 0.5, ties share the mean of their ranks. Invariant to any increasing
 * transform of the values, so a piecewise-constant objective shapes like a smooth one.
 */
export function centeredRanks(values: readonly number[]): number[] {
  const n = values.length;
  if (n < 2) return values.map(() => 0);
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(n);
  for (let a = 0; a < n; ) {
    let b = a;
    while (b + 1 < n && order[b + 1][0] === order[a][0]) b++;
    for (let k = a; k <= b; k++) ranks[order[k][1]] = (a + b) / 2;
    a = b + 1;
  }
  return ranks.map((r) => r / (n - 1) - 0.5);
}
