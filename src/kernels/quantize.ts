// Rounding to a narrower floating-point format, in place or into `out`: the reference kernel,
// step for step as the WASM one (wasm/assembly/quantize.ts; keep the two in step). Every step is
// exact in doubles — x·2^(m−e) and back are power-of-two scalings, the rounding is to an integer
// below 2^(m+1) — so the two backends agree bit for bit without sharing code.
//
// A value x of exponent e (never below the format's smallest normal exponent, so subnormals get
// that binade's quantum) is y = |x|·2^(m−e) quanta; nearest-even takes the even integer on a tie,
// stochastic rounding takes ⌊y + u⌋ with u uniform in [0, 1) from a counter-based stream
// (noise.ts: draw offset + k of the key's stream), unbiased to within 2^−32 of a quantum. A result
// above the largest finite value overflows: to ±∞, or to ±max in a saturating format (OCP FP8
// E4M3, which has no infinities).
import type { Buf, NoiseKey, RoundingCounts, RoundingTarget } from './backend.ts';
import { uniformWordAt } from './noise.ts';

export type { RoundingCounts, RoundingTarget };

/** Exponent of a positive finite double, exactly (log2 corrected by powers of two, which are exact). */
function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return e;
}

/**
 * out[k] = x[k] rounded to `f`: to nearest, ties to even (key null), or stochastically from
 * draws offset + k of the key's stream. With a `scale` s (a power of two) it is q(x·s)/s: the
 * value a tensor stored at scale s in the format holds, in unscaled units (loss scaling). out may be x.
 */
export function quantizeReference(x: Buf, out: Buf, f: RoundingTarget, key: NoiseKey | null, offset: number, scale = 1): RoundingCounts {
  let flushed = 0;
  let saturated = 0;
  for (let k = 0; k < x.length; k++) {
    const v = x[k] * scale;
    if (v !== v || v === 0) {
      out[k] = x[k];
      continue;
    }
    const a = Math.abs(v);
    let r: number;
    if (a === Infinity) {
      r = Infinity;
    } else {
      const e = Math.max(exponentOf(a), f.minExp);
      const y = a * 2 ** (f.mantissa - e);
      let n = Math.floor(y);
      if (key === null) {
        const d = y - n;
        if (d > 0.5 || (d === 0.5 && n % 2 === 1)) n++;
      } else {
        n = Math.floor(y + uniformWordAt(offset + k, key[0], key[1]) * 2 ** -32);
      }
      r = n * 2 ** (e - f.mantissa);
      if (r === 0) flushed++;
    }
    if (r > f.max) {
      saturated++;
      r = f.saturate ? f.max : Infinity;
    }
    out[k] = (v < 0 ? -r : r) / scale;
  }
  return { flushed, saturated };
}

/** v rounded to nearest-even in `f` (the accumulator's rounding; v a double, returned as one). */
function roundNearest(v: number, f: RoundingTarget): number {
  if (v !== v || v === 0) return v;
  const a = Math.abs(v);
  let r = Infinity;
  if (a !== Infinity) {
    const e = Math.max(exponentOf(a), f.minExp);
    const y = a * 2 ** (f.mantissa - e);
    let n = Math.floor(y);
    const d = y - n;
    if (d > 0.5 || (d === 0.5 && n % 2 === 1)) n++;
    r = n * 2 ** (e - f.mantissa);
  }
  if (r > f.max) r = f.saturate ? f.max : Infinity;
  return v < 0 ? -r : r;
}

/**
 * out[m,n] = op(A)·op(B) with the accumulator in format `f` (at a scale s: its values q(·s)/s):
 * the running sum is rounded, to nearest-even, after each of the k products is added, in order
 * k = 0, 1, ... (each product and sum computed in double first). Layouts as Backend.matmul.
 */
export function matmulRoundedReference(
  a: Buf,
  b: Buf,
  out: Buf,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
  f: RoundingTarget,
  scale = 1,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) {
        const x = transA ? a[p * m + i] : a[i * k + p];
        const y = transB ? b[j * k + p] : b[p * n + j];
        acc = roundNearest((acc + x * y) * scale, f) / scale;
      }
      out[i * n + j] = acc;
    }
  }
}
