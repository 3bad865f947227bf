// Rounding to a narrower floating-point format, step for step as src/kernels/quantize.ts (the
// reference; see it for the why). Every step is exact in doubles, so the two agree bit for bit.

import { uniformWordAt } from './noise';

/** 2^k for a normal double's exponent range. */
@inline function pow2(k: i32): f64 {
  return reinterpret<f64>(<i64>(1023 + k) << 52);
}

/**
 * out[k] = x[k] rounded to the format (mantissa bits, smallest normal exponent, largest finite
 * value, saturating or not): nearest-even, or with `stochastic` ⌊y + u⌋, u from draw offset + k of
 * stream (k0, k1); at a scale s, q(x·s)/s. Returns (saturated << 32) | flushed. out may be x.
 */
export function quantize(
  x: usize,
  out: usize,
  n: i32,
  mantissa: i32,
  minExp: i32,
  max: f64,
  saturate: i32,
  stochastic: i32,
  k0: u32,
  k1: u32,
  offset: u32,
  scale: f64,
): i64 {
  let flushed: i64 = 0;
  let saturated: i64 = 0;
  for (let k = 0; k < n; k++) {
    const at = <usize>k << 2;
    const v = <f64>load<f32>(x + at) * scale;
    if (v != v || v == 0) {
      store<f32>(out + at, load<f32>(x + at));
      continue;
    }
    const a = abs<f64>(v);
    let r: f64;
    if (a == Infinity) {
      r = Infinity;
    } else {
      let e = <i32>((reinterpret<u64>(a) >> 52) & 0x7ff) - 1023;
      if (e < minExp) e = minExp;
      const y = a * pow2(mantissa - e);
      const q = stochastic ? floor<f64>(y + <f64>uniformWordAt(offset + <u32>k, k0, k1) * 2.3283064365386963e-10) : nearest<f64>(y);
      r = q * pow2(e - mantissa);
      if (r == 0) flushed++;
    }
    if (r > max) {
      saturated++;
      r = saturate ? max : Infinity;
    }
    store<f32>(out + at, <f32>((v < 0 ? -r : r) / scale));
  }
  return (saturated << 32) | flushed;
}

/** v rounded to nearest-even in the format (the accumulator's rounding), as roundNearest in quantize.ts. */
@inline function roundNearest(v: f64, mantissa: i32, minExp: i32, max: f64, saturate: i32): f64 {
  if (v != v || v == 0) return v;
  const a = abs<f64>(v);
  let r: f64 = Infinity;
  if (a != Infinity) {
    let e = <i32>((reinterpret<u64>(a) >> 52) & 0x7ff) - 1023;
    if (e < minExp) e = minExp;
    r = nearest<f64>(a * pow2(mantissa - e)) * pow2(e - mantissa);
  }
  if (r > max) r = saturate ? max : Infinity;
  return v < 0 ? -r : r;
}

/** out[m,n] = op(A)·op(B) with the running sum rounded to the format after each product (matmulRoundedReference's order). */
export function matmulRounded(
  a: usize,
  b: usize,
  out: usize,
  m: i32,
  n: i32,
  k: i32,
  transA: i32,
  transB: i32,
  mantissa: i32,
  minExp: i32,
  max: f64,
  saturate: i32,
  scale: f64,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc: f64 = 0;
      for (let p = 0; p < k; p++) {
        const x = <f64>load<f32>(a + ((transA ? <usize>(p * m + i) : <usize>(i * k + p)) << 2));
        const y = <f64>load<f32>(b + ((transB ? <usize>(j * k + p) : <usize>(p * n + j)) << 2));
        acc = roundNearest((acc + x * y) * scale, mantissa, minExp, max, saturate) / scale;
      }
      store<f32>(out + (<usize>(i * n + j) << 2), <f32>acc);
    }
  }
}
