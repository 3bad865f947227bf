// Low precision inside a training step: while a precision scope is open, every op's output is
// rounded to the forward format (so the activations saved for backward are too) and every
// cotangent a backward pass makes to the backward format at the loss scale S: q(g·S)/S, the value
// a cotangent computed from an S-times-larger seed would hold once S is divided out. S is a power
// of two, so this is bit for bit what scaled backprop keeps (short of float32's own range), while
// every rule — those that read cotangents as targets or energies too — sees them in the loss's
// units. The rounding runs in the kernels (backend().quantize). The scope counts, per layer, the
// entries each rounding flushed to zero or saturated. Outside a scope nothing here runs.
import { scoped, slot } from '../engine.ts';
import type { Buf, NoiseKey, RoundingCounts } from '../kernels/backend.ts';
import type { FloatFormat } from '../kernels/float-formats.ts';
import { backend } from '../kernels/index.ts';
import type { Tensor } from '../tensor/tensor.ts';

/** Entries rounded, and of them flushed to zero and saturated. */
export interface RoundingTally {
  entries: number;
  flushed: number;
  saturated: number;
}

/** What one step's rounding points are, and what they saw. */
export interface PrecisionScope {
  /** Op outputs (activations, and the weights as used: see runner/precision.ts). */
  readonly forward: FloatFormat;
  /** Cotangents and updates. */
  readonly backward: FloatFormat;
  /** Matmuls accumulate in the forward format (the backward one in a backward pass) rather than float32. */
  readonly accumulate: boolean;
  /** Stochastic rounding's stream (null: nearest-even); draws are numbered through the step. */
  readonly key: NoiseKey | null;
  /** The loss scale cotangents are rounded at (a power of two, so scaling is exact). */
  readonly lossScale: number;
  /** Draws used so far (stochastic rounding). */
  draws: number;
  /** Per layer path ('' for ops outside any layer): forward outputs and cotangents. */
  readonly activations: Map<string, RoundingTally>;
  readonly cotangents: Map<string, RoundingTally>;
}

const PRECISION = slot<PrecisionScope | null>('precision', null);
/** True while a backward pass runs: what ops compute then (VJPs, accumulations) is a cotangent, in the backward format. */
const BACKWARD = slot('precision: backward pass', false);

/** Run a backward pass's fn: op outputs inside it round to the backward format. */
export function inBackwardFormat<T>(fn: () => T): T {
  return scoped(BACKWARD, true, fn);
}

/** Run fn with `scope`'s rounding points on (null: off). */
export function withPrecision<T>(scope: PrecisionScope | null, fn: () => T): T {
  return scoped(PRECISION, scope, fn);
}

export function currentPrecision(): PrecisionScope | null {
  return PRECISION.get();
}

/** Add a rounding's counts to tallies[key]. */
export function tally(tallies: Map<string, RoundingTally>, key: string, entries: number, c: RoundingCounts): void {
  const t = tallies.get(key) ?? { entries: 0, flushed: 0, saturated: 0 };
  t.entries += entries;
  t.flushed += c.flushed;
  t.saturated += c.saturated;
  tallies.set(key, t);
}

/** Round `data` in place to `f` (at a scale) under `scope`'s rounding mode (the next draws of its stream when stochastic). */
export function roundInPlace(scope: PrecisionScope, data: Tensor['data'], f: FloatFormat, scale = 1): RoundingCounts {
  if (f.bits >= 32) return { flushed: 0, saturated: 0 };
  let key = scope.key;
  if (key) {
    // Draw numbers past 2^32 move to another stream of the same key rather than wrap.
    key = [key[0], (key[1] ^ Math.floor(scope.draws / 2 ** 32)) >>> 0];
  }
  const counts = backend().quantize(data, data, f, key, scope.draws % 2 ** 32, scale);
  scope.draws += data.length;
  return counts;
}

/**
 * Round an op's fresh output to the forward format (the backward one inside a backward pass,
 * where the cotangent it becomes is counted instead). A view shares its base's storage — an input's,
 * already rounded, or the data batch's, which stays as loaded — so views are left alone.
 */
export function roundOutput(out: Tensor, layer: string | null): void {
  const scope = PRECISION.get();
  if (!scope || out.base) return;
  if (BACKWARD.get()) roundInPlace(scope, out.buf, scope.backward, scope.lossScale);
  else tally(scope.activations, layer ?? '', out.size, roundInPlace(scope, out.buf, scope.forward));
}

/**
 * Round a cotangent a backward pass made to the backward format, in place. It may share storage
 * with the cotangent it came from (an identity VJP): rounding a rounded value leaves it as it is,
 * for nearest-even and stochastic rounding alike.
 */
export function roundCotangent(g: Tensor, layer: string | null): void {
  const scope = PRECISION.get();
  if (!scope) return;
  tally(scope.cotangents, layer ?? '', g.size, roundInPlace(scope, g.buf, scope.backward, scope.lossScale));
}

/**
 * The matmul every op runs (Backend.matmul's arguments): with the scope's accumulator in the
 * compute format, the kernel that rounds its running sum after each product; else the backend's own.
 */
export function matmul(a: Buf, b: Buf, out: Buf, m: number, n: number, k: number, transA: boolean, transB: boolean): void {
  const scope = PRECISION.get();
  if (!scope?.accumulate) return backend().matmul(a, b, out, m, n, k, transA, transB);
  const inBackward = BACKWARD.get();
  const f = inBackward ? scope.backward : scope.forward;
  if (f.bits >= 32) return backend().matmul(a, b, out, m, n, k, transA, transB);
  backend().matmulRounded(a, b, out, m, n, k, transA, transB, f, inBackward ? scope.lossScale : 1);
}
