// Shared helpers for kernel tests: seeded fills and an element-wise comparison that names the
// first mismatching index.
import type { Rng } from '../../src/random.ts';

/** Index and values of the first element where |actual - expected| > abs + rel * |expected|, or null. */
export function mismatch(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rel: number,
  abs: number | ((i: number) => number),
): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} != ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) && Number.isNaN(a)) continue;
      return `[${i}]: ${a} vs expected ${e}`;
    }
    if (a === e) continue;
    const tol = (typeof abs === 'number' ? abs : abs(i)) + rel * Math.abs(e);
    if (!(Math.abs(a - e) <= tol)) return `[${i}]: ${a} vs expected ${e} (|diff| ${Math.abs(a - e)} > tol ${tol})`;
  }
  return null;
}

/** Bitwise equality (NaN == NaN), as a mismatch message or null. */
export function exactMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>): string | null {
  return mismatch(actual, expected, 0, 0);
}

export function fillUniform<T extends Float32Array | Float64Array>(buf: T, rng: Rng, lo = -1, hi = 1): T {
  for (let i = 0; i < buf.length; i++) buf[i] = rng.range(lo, hi);
  return buf;
}
