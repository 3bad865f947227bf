// Building blocks of rules that estimate a gradient from loss values alone (MeZO, evolution
// strategies, CMA-ES): parameter perturbations from counter-based noise streams (kernels/noise.ts)
// — regenerated whenever needed, never stored, any range generated directly — updates streamed
// range by range, and rank-based fitness shaping. A step of such a rule needs no tape and no
// parameter-sized noise buffer.
import { noGrad } from '../autograd/functional.ts';
import type { Buf } from '../kernels/backend.ts';
import { backend } from '../kernels/index.ts';
import type { NoiseKey, NoiseKind } from '../kernels/noise.ts';
import type { Rng } from '../random.ts';
import { ledger, type LedgerEntry } from '../tensor/ledger.ts';
import { zeros, type Tensor } from '../tensor/tensor.ts';
import type { LazyUpdates } from './rule.ts';

export type { NoiseKey, NoiseKind } from '../kernels/noise.ts';

/**
 * The noise key of one (step, sample, parameter), drawn from a stream derived from the rule's
 * own: the same noise comes back however often, and in whatever order, it is regenerated.
 */
export function noiseKey(ruleRng: Rng, step: number, sample: number, param: number, tag = 'noise'): NoiseKey {
  return ruleRng.child(step).child(`${tag}/${sample}/${param}`).key();
}

/** Per-element scale of a parameter's noise (CMA-ES: √diag C), or null for 1. */
export type ElementScale = (param: number) => Buf | null;

/** Noise z(key, offset + k) of a kind into out. */
export function fillNoise(out: Buf, key: NoiseKey, offset = 0, kind: NoiseKind = 'gaussian'): Buf {
  out.fill(0);
  backend().addNoise(out, 1, key, offset, kind, null);
  return out;
}

/**
 * p_i ← p_i + scale · s_i ⊙ z_i for every parameter, z_i the noise of key(i) (Gaussian unless
 * `kind` says otherwise). Calling it again with −scale and the same keys undoes it, up to float32 rounding.
 */
export function perturb(
  params: readonly Tensor[],
  scale: number,
  key: (param: number) => NoiseKey,
  elementScale?: ElementScale,
  kind: NoiseKind = 'gaussian',
): void {
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    p.touch();
    backend().addNoise(p.buf, scale, key(i), 0, kind, elementScale?.(i) ?? null);
  }
}

/**
 * Full-width (f64) noise buffers in the backend's memory, for a rule that reads or reuses noise
 * within a step: `draw` writes scale · s_i ⊙ z_i (exactly the value perturb adds) into views[i],
 * `addTo` adds c times it to the parameters. For c = ±1 or ±2 (exact scalings of the terms) that
 * rounds exactly as perturb(params, c·scale, …) would, so a sample's noise is drawn once instead
 * of once per perturbation. Costs 8 bytes an element while held: free() returns it.
 */
export class WideNoise {
  readonly views: Float64Array[];
  // The f32 blocks the views alias: held so the backend does not reclaim them while a view is in use.
  private readonly blocks: Buf[];
  // The blocks are not tensors, so the memory ledger hears of them here: made inside a measured
  // step they count as transient bytes from construction to their last draw or add.
  private readonly entries: LedgerEntry[];

  constructor(sizes: readonly number[]) {
    this.blocks = sizes.map((n) => backend().alloc(2 * n, false));
    this.views = this.blocks.map((b, i) => new Float64Array(b.buffer, b.byteOffset, sizes[i]));
    this.entries = sizes.map((n) => ledger().register(8 * n));
  }

  /** views[i] ← scale · s_i ⊙ z_i(offset …), z_i the noise of key(i), for every view. */
  draw(scale: number, key: (i: number) => NoiseKey, elementScale?: ElementScale, kind: NoiseKind = 'gaussian', offset = 0): this {
    for (let i = 0; i < this.views.length; i++) {
      const v = this.views[i];
      v.fill(0);
      backend().addNoise(v, scale, key(i), offset, kind, elementScale?.(i)?.subarray(offset, offset + v.length) ?? null);
      ledger().use(this.entries[i]);
    }
    return this;
  }

  /** p_i ← p_i + c · views[i] for every parameter (views as long as the parameters). */
  addTo(params: readonly Tensor[], c: number): void {
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      p.touch();
      backend().axpby(p.buf, 1, this.views[i], c, p.buf);
      ledger().use(this.entries[i]);
    }
  }

  free(): void {
    for (const b of this.blocks) backend().free?.(b);
    for (const e of this.entries) ledger().release(e);
  }
}

/** One term of a streamed update: coef · s_i ⊙ z_i, z_i the noise of key(i). */
export interface NoiseTerm {
  coef: number;
  key: (param: number) => NoiseKey;
}

/**
 * Updates u_i = Σ_terms coef · s_i ⊙ z_i, handed to the runner one range of one parameter at a
 * time (`chunk` elements), the noise regenerated from its keys. get(i) and the ranges give the
 * same values bit for bit.
 */
export function streamedUpdates(
  params: readonly Tensor[],
  terms: readonly NoiseTerm[],
  elementScale?: ElementScale,
  chunk = 4096,
  kind: NoiseKind = 'gaussian',
): LazyUpdates {
  // The keys of the parameter being handed out (deriving them costs a stream each).
  let keys: { index: number; of: NoiseKey[] } | null = null;
  const fill = (out: Buf, i: number, from: number) => {
    if (keys?.index !== i) keys = { index: i, of: terms.map((t) => t.key(i)) };
    const s = elementScale?.(i) ?? null;
    const scale = s ? s.subarray(from, from + out.length) : null;
    terms.forEach((t, j) => backend().addNoise(out, t.coef, keys!.of[j], from, kind, scale));
  };
  return {
    count: params.length,
    chunk,
    getRange(i: number, offset: number, length: number): Tensor {
      const u = zeros([length]);
      fill(u.data, i, offset);
      return u;
    },
    get(i: number): Tensor {
      const u = zeros(params[i].shape);
      noGrad(() => fill(u.data, i, 0));
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
  for (let a = 0; a < n;) {
    let b = a;
    while (b + 1 < n && order[b + 1][0] === order[a][0]) b++;
    for (let k = a; k <= b; k++) ranks[order[k][1]] = (a + b) / 2;
    a = b + 1;
  }
  return ranks.map((r) => r / (n - 1) - 0.5);
}
