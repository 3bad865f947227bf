// Counter-based noise, step for step as src/kernels/noise.ts (the reference; see it for the
// why): out[k] += scale · s[k] · z(key, offset + k), out f32 or (wide) f64. Keep the two in step:
// they agree bit for bit.

import { hi64, lo64, narrow } from './simd';

@inline function mix(x0: u32): u32 {
  let x = x0;
  x ^= x >> 16;
  x *= 0x21f0aaad;
  x ^= x >> 15;
  x *= 0x735a2d97;
  x ^= x >> 15;
  return x;
}

@inline function wordA(j: u32, k0: u32, k1: u32): u32 {
  return mix(mix(j ^ k0) + k1);
}

/** Draw j's 32-bit word (stochastic rounding's uniform draws: quantize.ts). */
@inline export function uniformWordAt(j: u32, k0: u32, k1: u32): u32 {
  return wordA(j, k0, k1);
}

const LN2: f64 = 0.6931471805599453;
const SQRT2: f64 = 1.4142135623730951;
const PI_4: f64 = 0.7853981633974483;

/** 2^-e, exactly (e ≤ 40). */
@inline function pow2neg(e: i32): f64 {
  return reinterpret<f64>(<i64>(1023 - e) << 52);
}

@inline function mixV(x0: v128): v128 {
  let x = x0;
  x = v128.xor(x, i32x4.shr_u(x, 16));
  x = i32x4.mul(x, i32x4.splat(0x21f0aaad));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  x = i32x4.mul(x, i32x4.splat(0x735a2d97));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  return x;
}

/** A 32-bit lane mask in lanes 0, 1 widened to 64-bit lane masks. */
@inline function wide(mask: v128): v128 {
  return i64x2.extend_low_i32x4_s(mask);
}

let partE: v128 = f64x2.splat(0);
let partT: v128 = f64x2.splat(0);

/** logParts (noise.ts) of a positive double x in each lane, m and e read off its bits exactly: sets partE, partT. */
@inline function logParts2(x: v128): void {
  const e0 = i64x2.sub(i64x2.shr_u(x, 52), i64x2.splat(1023));
  const m0 = v128.or(v128.and(x, i64x2.splat(0x000fffffffffffff)), i64x2.splat(0x3ff0000000000000));
  const big = f64x2.gt(m0, f64x2.splat(SQRT2));
  const m = v128.bitselect(f64x2.mul(m0, f64x2.splat(0.5)), m0, big);
  partE = f64x2.convert_low_i32x4_s(i32x4.shuffle(i64x2.sub(e0, big), i64x2.sub(e0, big), 0, 2, 0, 2));
  const s = f64x2.div(f64x2.sub(m, f64x2.splat(1)), f64x2.add(m, f64x2.splat(1)));
  const w = f64x2.mul(s, s);
  let p = f64x2.add(f64x2.splat(0.09090909090909091), f64x2.mul(w, f64x2.splat(0.07692307692307693)));
  p = f64x2.add(f64x2.splat(0.1111111111111111), f64x2.mul(w, p));
  p = f64x2.add(f64x2.splat(0.14285714285714285), f64x2.mul(w, p));
  p = f64x2.add(f64x2.splat(0.2), f64x2.mul(w, p));
  p = f64x2.add(f64x2.splat(0.3333333333333333), f64x2.mul(w, p));
  p = f64x2.add(f64x2.splat(1), f64x2.mul(w, p));
  partT = f64x2.mul(f64x2.mul(f64x2.splat(2), s), p);
}

/** logUniform of the words in 32-bit lanes 0 and 1, as f64x2. */
@inline function logUniform2(words: v128): v128 {
  logParts2(f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_u(words), f64x2.splat(2)), f64x2.splat(1)));
  return f64x2.add(f64x2.mul(f64x2.sub(partE, f64x2.splat(33)), f64x2.splat(LN2)), partT);
}

let logU: v128 = f64x2.splat(0);
let logV: v128 = f64x2.splat(0);

/** logUniform2 of the words in lanes 0, 1 of u and of v (logU, logV), the two chains' steps interleaved (as gaussianPairs4). */
@inline function logUniformTwo(u: v128, v: v128): void {
  logPartsTwo(
    f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_u(u), f64x2.splat(2)), f64x2.splat(1)),
    f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_u(v), f64x2.splat(2)), f64x2.splat(1)),
    33,
  );
}

/** (e − shift)·ln 2 + t of logParts2 for positive doubles xU and xV (logU, logV), interleaved: logUniform's with shift 33, logOnePlus's (noise.ts) with 0. */
@inline function logPartsTwo(xU: v128, xV: v128, shift: f64): void {
  const eU0 = i64x2.sub(i64x2.shr_u(xU, 52), i64x2.splat(1023));
  const eV0 = i64x2.sub(i64x2.shr_u(xV, 52), i64x2.splat(1023));
  const mU0 = v128.or(v128.and(xU, i64x2.splat(0x000fffffffffffff)), i64x2.splat(0x3ff0000000000000));
  const mV0 = v128.or(v128.and(xV, i64x2.splat(0x000fffffffffffff)), i64x2.splat(0x3ff0000000000000));
  const bigU = f64x2.gt(mU0, f64x2.splat(SQRT2));
  const bigV = f64x2.gt(mV0, f64x2.splat(SQRT2));
  const mU = v128.bitselect(f64x2.mul(mU0, f64x2.splat(0.5)), mU0, bigU);
  const mV = v128.bitselect(f64x2.mul(mV0, f64x2.splat(0.5)), mV0, bigV);
  const eU1 = i64x2.sub(eU0, bigU);
  const eV1 = i64x2.sub(eV0, bigV);
  const sU = f64x2.div(f64x2.sub(mU, f64x2.splat(1)), f64x2.add(mU, f64x2.splat(1)));
  const sV = f64x2.div(f64x2.sub(mV, f64x2.splat(1)), f64x2.add(mV, f64x2.splat(1)));
  const eU = f64x2.convert_low_i32x4_s(i32x4.shuffle(eU1, eU1, 0, 2, 0, 2));
  const eV = f64x2.convert_low_i32x4_s(i32x4.shuffle(eV1, eV1, 0, 2, 0, 2));
  const wU = f64x2.mul(sU, sU);
  const wV = f64x2.mul(sV, sV);
  let pU = f64x2.add(f64x2.splat(0.09090909090909091), f64x2.mul(wU, f64x2.splat(0.07692307692307693)));
  let pV = f64x2.add(f64x2.splat(0.09090909090909091), f64x2.mul(wV, f64x2.splat(0.07692307692307693)));
  pU = f64x2.add(f64x2.splat(0.1111111111111111), f64x2.mul(wU, pU));
  pV = f64x2.add(f64x2.splat(0.1111111111111111), f64x2.mul(wV, pV));
  pU = f64x2.add(f64x2.splat(0.14285714285714285), f64x2.mul(wU, pU));
  pV = f64x2.add(f64x2.splat(0.14285714285714285), f64x2.mul(wV, pV));
  pU = f64x2.add(f64x2.splat(0.2), f64x2.mul(wU, pU));
  pV = f64x2.add(f64x2.splat(0.2), f64x2.mul(wV, pV));
  pU = f64x2.add(f64x2.splat(0.3333333333333333), f64x2.mul(wU, pU));
  pV = f64x2.add(f64x2.splat(0.3333333333333333), f64x2.mul(wV, pV));
  pU = f64x2.add(f64x2.splat(1), f64x2.mul(wU, pU));
  pV = f64x2.add(f64x2.splat(1), f64x2.mul(wV, pV));
  const tU = f64x2.mul(f64x2.mul(f64x2.splat(2), sU), pU);
  const tV = f64x2.mul(f64x2.mul(f64x2.splat(2), sV), pV);
  // e − 0 is e, exactly: logOnePlus's e·ln 2.
  logU = f64x2.add(f64x2.mul(f64x2.sub(eU, f64x2.splat(shift)), f64x2.splat(LN2)), tU);
  logV = f64x2.add(f64x2.mul(f64x2.sub(eV, f64x2.splat(shift)), f64x2.splat(LN2)), tV);
}

let quadCosA: v128 = f64x2.splat(0);
let quadSinA: v128 = f64x2.splat(0);
let quadCosB: v128 = f64x2.splat(0);
let quadSinB: v128 = f64x2.splat(0);

/**
 * Gaussian pairs j … j + 3 (noise.ts gaussianPair, lane by lane) as two chains of two pairs in
 * f64x2 lanes, A (pairs j, j + 1) and B (j + 2, j + 3), their steps interleaved one by one so
 * that each chain's latencies (the division, the square root, the polynomials' dependent
 * multiplies and adds) overlap the other's work: quadCosA = (z_{2j}, z_{2j+2}), quadSinA =
 * (z_{2j+1}, z_{2j+3}), B the next four draws. k0v, k1v = splat(k0), splat(k1); kbv = splat(k1 ^
 * 0x9e3779b9): words a (wordA) and b (wordB) of the four pairs.
 */
@inline function gaussianPairs4(j: u32, k0v: v128, k1v: v128, kbv: v128): void {
  const SIGN = i64x2.splat(0x8000000000000000);
  const jv = i32x4.add(i32x4.splat(j), i32x4(0, 1, 2, 3));
  const wa = mixV(i32x4.add(mixV(v128.xor(jv, k0v)), k1v));
  const wb = mixV(i32x4.add(mixV(v128.xor(jv, kbv)), k0v));
  // r = √(−2 ln u), u = (2a + 1)/2³³: the logarithm as logParts2 and logUniform2.
  const xA = f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_u(wa), f64x2.splat(2)), f64x2.splat(1));
  const xB = f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_u(i32x4.shuffle(wa, wa, 2, 3, 2, 3)), f64x2.splat(2)), f64x2.splat(1));
  logPartsTwo(xA, xB, 33);
  const lA = logU;
  const lB = logV;
  const rA = f64x2.sqrt(f64x2.mul(f64x2.splat(-2), lA));
  const rB = f64x2.sqrt(f64x2.mul(f64x2.splat(-2), lB));
  // θ = 2π·b/2³², by octant: o = b's top 3 bits, φ within the octant from the other 29 (below
  // 2²⁹, so the signed conversion is exact), reflected in an odd octant (bit 29 of b).
  const bB = i32x4.shuffle(wb, wb, 2, 3, 2, 3);
  const oddA = wide(i32x4.shr_s(i32x4.shl(wb, 2), 31));
  const oddB = wide(i32x4.shr_s(i32x4.shl(bB, 2), 31));
  const fA = f64x2.mul(f64x2.convert_low_i32x4_s(v128.and(wb, i32x4.splat(0x1fffffff))), f64x2.splat(pow2neg(29)));
  const fB = f64x2.mul(f64x2.convert_low_i32x4_s(v128.and(bB, i32x4.splat(0x1fffffff))), f64x2.splat(pow2neg(29)));
  const phiA = f64x2.mul(v128.bitselect(f64x2.sub(f64x2.splat(1), fA), fA, oddA), f64x2.splat(PI_4));
  const phiB = f64x2.mul(v128.bitselect(f64x2.sub(f64x2.splat(1), fB), fB, oddB), f64x2.splat(PI_4));
  const vA = f64x2.mul(phiA, phiA);
  const vB = f64x2.mul(phiB, phiB);
  let spA = f64x2.add(f64x2.splat(-2.505210838544172e-8), f64x2.mul(vA, f64x2.splat(1.6059043836821613e-10)));
  let spB = f64x2.add(f64x2.splat(-2.505210838544172e-8), f64x2.mul(vB, f64x2.splat(1.6059043836821613e-10)));
  let cpA = f64x2.add(f64x2.splat(2.08767569878681e-9), f64x2.mul(vA, f64x2.splat(-1.1470745597729725e-11)));
  let cpB = f64x2.add(f64x2.splat(2.08767569878681e-9), f64x2.mul(vB, f64x2.splat(-1.1470745597729725e-11)));
  spA = f64x2.add(f64x2.splat(0.0000027557319223985893), f64x2.mul(vA, spA));
  spB = f64x2.add(f64x2.splat(0.0000027557319223985893), f64x2.mul(vB, spB));
  cpA = f64x2.add(f64x2.splat(-2.755731922398589e-7), f64x2.mul(vA, cpA));
  cpB = f64x2.add(f64x2.splat(-2.755731922398589e-7), f64x2.mul(vB, cpB));
  spA = f64x2.add(f64x2.splat(-0.0001984126984126984), f64x2.mul(vA, spA));
  spB = f64x2.add(f64x2.splat(-0.0001984126984126984), f64x2.mul(vB, spB));
  cpA = f64x2.add(f64x2.splat(0.0000248015873015873), f64x2.mul(vA, cpA));
  cpB = f64x2.add(f64x2.splat(0.0000248015873015873), f64x2.mul(vB, cpB));
  spA = f64x2.add(f64x2.splat(0.008333333333333333), f64x2.mul(vA, spA));
  spB = f64x2.add(f64x2.splat(0.008333333333333333), f64x2.mul(vB, spB));
  cpA = f64x2.add(f64x2.splat(-0.001388888888888889), f64x2.mul(vA, cpA));
  cpB = f64x2.add(f64x2.splat(-0.001388888888888889), f64x2.mul(vB, cpB));
  spA = f64x2.add(f64x2.splat(-0.16666666666666666), f64x2.mul(vA, spA));
  spB = f64x2.add(f64x2.splat(-0.16666666666666666), f64x2.mul(vB, spB));
  cpA = f64x2.add(f64x2.splat(0.041666666666666664), f64x2.mul(vA, cpA));
  cpB = f64x2.add(f64x2.splat(0.041666666666666664), f64x2.mul(vB, cpB));
  spA = f64x2.mul(phiA, f64x2.add(f64x2.splat(1), f64x2.mul(vA, spA)));
  spB = f64x2.mul(phiB, f64x2.add(f64x2.splat(1), f64x2.mul(vB, spB)));
  cpA = f64x2.add(f64x2.splat(-0.5), f64x2.mul(vA, cpA));
  cpB = f64x2.add(f64x2.splat(-0.5), f64x2.mul(vB, cpB));
  cpA = f64x2.add(f64x2.splat(1), f64x2.mul(vA, cpA));
  cpB = f64x2.add(f64x2.splat(1), f64x2.mul(vB, cpB));
  // noise.ts's octant and quadrant cases in bits of b (o = b >>> 29): sin takes the cosine
  // polynomial where o's bits 0 and 1 differ (the reflection and the quadrant's swap), cos the
  // sine one; sin is negated where bit 2 is set, cos where bits 1 and 2 differ (a sign flip is
  // the negation, exactly). d = b ^ (b << 1) holds those differences at bits 30 and 31.
  const dA = v128.xor(wb, i32x4.shl(wb, 1));
  const dB = v128.xor(bB, i32x4.shl(bB, 1));
  const flipA = wide(i32x4.shr_s(i32x4.shl(dA, 1), 31));
  const flipB = wide(i32x4.shr_s(i32x4.shl(dB, 1), 31));
  const sinA = v128.xor(v128.bitselect(cpA, spA, flipA), v128.and(i64x2.extend_low_i32x4_s(wb), SIGN));
  const sinB = v128.xor(v128.bitselect(cpB, spB, flipB), v128.and(i64x2.extend_low_i32x4_s(bB), SIGN));
  const cosA = v128.xor(v128.bitselect(spA, cpA, flipA), v128.and(i64x2.extend_low_i32x4_s(dA), SIGN));
  const cosB = v128.xor(v128.bitselect(spB, cpB, flipB), v128.and(i64x2.extend_low_i32x4_s(dB), SIGN));
  quadCosA = f64x2.mul(rA, cosA);
  quadCosB = f64x2.mul(rB, cosB);
  quadSinA = f64x2.mul(rA, sinA);
  quadSinB = f64x2.mul(rB, sinB);
}

@inline function coefAt(scale: f64, es: usize, k: i32): f64 {
  return es ? scale * <f64>load<f32>(es + (<usize>k << 2)) : scale;
}

@inline function bump(out: usize, k: i32, v: f64): void {
  const p = out + (<usize>k << 2);
  store<f32>(p, <f32>(<f64>load<f32>(p) + v));
}

@inline function bump64(out: usize, k: i32, v: f64): void {
  const p = out + (<usize>k << 3);
  store<f64>(p, load<f64>(p) + v);
}

/** Element k of out gets v: an f32 out is rounded once, an f64 out (wide) keeps it. */
@inline function bumpAt(out: usize, wide: bool, k: i32, v: f64): void {
  if (wide) bump64(out, k, v);
  else bump(out, k, v);
}

/** Elements k..k+3 of out get (cos[0], sin[0], cos[1], sin[1]) (pairs j, j + 1 in draw order), as bumpAt: lanes of the same arithmetic. */
@inline function bumpFour(out: usize, wide: bool, k: i32, scale: f64, es: usize, cos: v128, sin: v128): void {
  const tLo = f64x2.mul(coefPair(scale, es, k), v128.shuffle<f64>(cos, sin, 0, 2));
  const tHi = f64x2.mul(coefPair(scale, es, k + 2), v128.shuffle<f64>(cos, sin, 1, 3));
  if (wide) {
    const p = out + (<usize>k << 3);
    v128.store(p, f64x2.add(v128.load(p), tLo));
    v128.store(p + 16, f64x2.add(v128.load(p + 16), tHi));
  } else {
    const p = out + (<usize>k << 2);
    const x = v128.load(p);
    v128.store(p, narrow(f64x2.add(lo64(x), tLo), f64x2.add(hi64(x), tHi)));
  }
}

/** scale · s[k..k+1] as f64x2 (splat(scale) without a per-element scale): coefAt in both lanes. */
@inline function coefPair(scale: f64, es: usize, k: i32): v128 {
  return es ? f64x2.mul(f64x2.splat(scale), lo64(v128.load64_zero(es + (<usize>k << 2)))) : f64x2.splat(scale);
}

/** ±1 draws k..k+3 (the top bits of their words) as coef · (±1), added to out like bumpAt. */
@inline function addRademacherFour(out: usize, wide: bool, k: i32, scale: f64, es: usize, words: v128): void {
  // Top bit set: +1, else −1; as an f64 lane mask by sign-extending each word's top bit.
  const neg = i32x4.shr_s(v128.not(words), 31);
  const lo = v128.bitselect(f64x2.splat(-1), f64x2.splat(1), i64x2.extend_low_i32x4_s(neg));
  const hi = v128.bitselect(f64x2.splat(-1), f64x2.splat(1), i64x2.extend_high_i32x4_s(neg));
  const tLo = f64x2.mul(coefPair(scale, es, k), lo);
  const tHi = f64x2.mul(coefPair(scale, es, k + 2), hi);
  if (wide) {
    const p = out + (<usize>k << 3);
    v128.store(p, f64x2.add(v128.load(p), tLo));
    v128.store(p + 16, f64x2.add(v128.load(p + 16), tHi));
  } else {
    const p = out + (<usize>k << 2);
    const x = v128.load(p);
    v128.store(p, narrow(f64x2.add(lo64(x), tLo), f64x2.add(hi64(x), tHi)));
  }
}

/** es = 0: no per-element scale. kind 0 Gaussian, 1 ±1, 2 logistic. out holds f32, or f64 when wide ≠ 0. */
export function addNoise(out: usize, n: i32, scale: f64, k0: u32, k1: u32, offset: u32, kind: i32, es: usize, wide: i32): void {
  if (wide) addNoiseTo(out, true, n, scale, k0, k1, offset, kind, es);
  else addNoiseTo(out, false, n, scale, k0, k1, offset, kind, es);
}

@inline function addNoiseTo(out: usize, wide: bool, n: i32, scale: f64, k0: u32, k1: u32, offset: u32, kind: i32, es: usize): void {
  if (kind == 1) {
    // Four words at a time in i32x4 lanes; the tail one by one (the same values and arithmetic).
    let k = 0;
    const kv0 = i32x4.splat(k0);
    const kv1 = i32x4.splat(k1);
    for (; k + 3 < n; k += 4) {
      const words = mixV(i32x4.add(mixV(v128.xor(i32x4.add(i32x4.splat(offset + <u32>k), i32x4(0, 1, 2, 3)), kv0)), kv1));
      addRademacherFour(out, wide, k, scale, es, words);
    }
    for (; k < n; k++) bumpAt(out, wide, k, coefAt(scale, es, k) * (wordA(offset + <u32>k, k0, k1) >> 31 ? 1.0 : -1.0));
    return;
  }
  if (kind == 2) {
    // Two draws at a time: words (w_k, w_k+1) and their complements, four logs in two f64x2 lanes.
    let k = 0;
    const kx = i32x4.splat(k0);
    const ky = i32x4.splat(k1);
    for (; k + 1 < n; k += 2) {
      const w = mixV(i32x4.add(mixV(v128.xor(i32x4.add(i32x4.splat(offset + <u32>k), i32x4(0, 1, 0, 1)), kx)), ky));
      const l = f64x2.sub(logUniform2(w), logUniform2(v128.not(w)));
      bumpAt(out, wide, k, coefAt(scale, es, k) * f64x2.extract_lane(l, 0));
      bumpAt(out, wide, k + 1, coefAt(scale, es, k + 1) * f64x2.extract_lane(l, 1));
    }
    if (k < n) {
      // The last draw through the same lanes (lane 0), so every element gets the same arithmetic.
      const w = i32x4.splat(wordA(offset + <u32>k, k0, k1));
      bumpAt(out, wide, k, coefAt(scale, es, k) * f64x2.extract_lane(f64x2.sub(logUniform2(w), logUniform2(v128.not(w))), 0));
    }
    return;
  }
  // Four pairs a call (gaussianPairs4); a lone draw (an odd start) or a tail uses some of its lanes.
  const k0v = i32x4.splat(k0);
  const k1v = i32x4.splat(k1);
  const kbv = i32x4.splat(k1 ^ 0x9e3779b9);
  let k = 0;
  if (offset & 1 && n > 0) {
    gaussianPairs4((offset - 1) >> 1, k0v, k1v, kbv);
    bumpAt(out, wide, 0, coefAt(scale, es, 0) * f64x2.extract_lane(quadSinA, 0));
    k = 1;
  }
  // Sixteen draws an iteration: two calls of two interleaved chains, whose latencies the CPU
  // overlaps further. The same arithmetic per draw on every path.
  for (; k + 15 < n; k += 16) {
    gaussianPairs4((offset + <u32>k) >> 1, k0v, k1v, kbv);
    const c0 = quadCosA;
    const s0 = quadSinA;
    const c1 = quadCosB;
    const s1 = quadSinB;
    gaussianPairs4((offset + <u32>k + 8) >> 1, k0v, k1v, kbv);
    bumpFour(out, wide, k, scale, es, c0, s0);
    bumpFour(out, wide, k + 4, scale, es, c1, s1);
    bumpFour(out, wide, k + 8, scale, es, quadCosA, quadSinA);
    bumpFour(out, wide, k + 12, scale, es, quadCosB, quadSinB);
  }
  for (; k + 7 < n; k += 8) {
    gaussianPairs4((offset + <u32>k) >> 1, k0v, k1v, kbv);
    bumpFour(out, wide, k, scale, es, quadCosA, quadSinA);
    bumpFour(out, wide, k + 4, scale, es, quadCosB, quadSinB);
  }
  if (k < n) {
    gaussianPairs4((offset + <u32>k) >> 1, k0v, k1v, kbv);
    for (let t = 0; k + t < n; t++) bumpAt(out, wide, k + t, coefAt(scale, es, k + t) * quadDraw(t));
  }
}

/** Draw t (0 … 7) of the last gaussianPairs4, in draw order: cos A₀, sin A₀, cos A₁, sin A₁, then B's. */
@inline function quadDraw(t: i32): f64 {
  const v = t < 4 ? (t & 1 ? quadSinA : quadCosA) : t & 1 ? quadSinB : quadCosB;
  return t & 2 ? f64x2.extract_lane(v, 1) : f64x2.extract_lane(v, 0);
}

const INV_LN2: f64 = 1.4426950408889634;
const LN2_HI: f64 = 0.6931471803691238;
const LN2_LO: f64 = 1.9082149292705877e-10;

let bernHLo: v128 = f64x2.splat(0);
let bernHHi: v128 = f64x2.splat(0);
let bernAuxLo: v128 = f64x2.splat(0);
let bernAuxHi: v128 = f64x2.splat(0);
let bernLpLo: v128 = f64x2.splat(0);
let bernLpHi: v128 = f64x2.splat(0);

/**
 * Four elements of bernoulliSigmoidReference: lanes lo (xLo, words' lanes 0, 1) and hi (xHi,
 * lanes 2, 3), their exponentials and logarithms as interleaved chains.
 */
@inline function bernoulli4(xLo: v128, xHi: v128, words: v128, mode: i32, lp: bool): void {
  expNonPositiveTwo(f64x2.neg(f64x2.abs(xLo)), f64x2.neg(f64x2.abs(xHi)));
  const eLo = expLo;
  const eHi = expHi;
  const one = f64x2.splat(1);
  const sLo = f64x2.div(v128.bitselect(one, eLo, f64x2.ge(xLo, f64x2.splat(0))), f64x2.add(one, eLo));
  const sHi = f64x2.div(v128.bitselect(one, eHi, f64x2.ge(xHi, f64x2.splat(0))), f64x2.add(one, eHi));
  const uLo = f64x2.mul(f64x2.add(f64x2.convert_low_i32x4_u(words), f64x2.splat(0.5)), f64x2.splat(pow2neg(32)));
  const uHi = f64x2.mul(f64x2.add(f64x2.convert_low_i32x4_u(i32x4.shuffle(words, words, 2, 3, 2, 3)), f64x2.splat(0.5)), f64x2.splat(pow2neg(32)));
  const vLo = v128.and(f64x2.lt(uLo, sLo), one);
  const vHi = v128.and(f64x2.lt(uHi, sHi), one);
  bernHLo = vLo;
  bernHHi = vHi;
  if (mode == 1) {
    bernAuxLo = f64x2.mul(sLo, f64x2.sub(one, sLo));
    bernAuxHi = f64x2.mul(sHi, f64x2.sub(one, sHi));
  } else if (mode == 2) {
    bernAuxLo = f64x2.sub(vLo, sLo);
    bernAuxHi = f64x2.sub(vHi, sHi);
  }
  if (lp) {
    // log p(h | a) = h·a − (relu(a) + ln(1 + e)).
    logPartsTwo(f64x2.add(one, eLo), f64x2.add(one, eHi), 0);
    const reluLo = v128.and(xLo, f64x2.gt(xLo, f64x2.splat(0)));
    const reluHi = v128.and(xHi, f64x2.gt(xHi, f64x2.splat(0)));
    bernLpLo = f64x2.sub(f64x2.mul(vLo, xLo), f64x2.add(reluLo, logU));
    bernLpHi = f64x2.sub(f64x2.mul(vHi, xHi), f64x2.add(reluHi, logV));
  }
}

/** mode 0: h only; 1: aux = σ(1 − σ); 2: aux = h − σ. lp ≠ 0: log p(h | a) there too. As bernoulliSigmoidReference. */
export function bernoulliSigmoid(a: usize, n: i32, k0: u32, k1: u32, h: usize, aux: usize, mode: i32, lp: usize): void {
  let i = 0;
  // Four elements at a time: their words in i32x4, the arithmetic in two f64x2 halves.
  for (; i + 3 < n; i += 4) {
    const words = mixV(i32x4.add(mixV(v128.xor(i32x4.add(i32x4.splat(i), i32x4(0, 1, 2, 3)), i32x4.splat(k0))), i32x4.splat(k1)));
    const x = v128.load(a + (<usize>i << 2));
    const off = <usize>i << 2;
    bernoulli4(lo64(x), hi64(x), words, mode, lp != 0);
    v128.store(h + off, narrow(bernHLo, bernHHi));
    if (mode != 0) v128.store(aux + off, narrow(bernAuxLo, bernAuxHi));
    if (lp) v128.store(lp + off, narrow(bernLpLo, bernLpHi));
  }
  for (; i < n; i++) {
    // The tail through the same lanes (lane 0 used), so every element gets the same arithmetic.
    const x = f64x2.splat(<f64>load<f32>(a + (<usize>i << 2)));
    bernoulli4(x, x, i32x4.splat(wordA(<u32>i, k0, k1)), mode, lp != 0);
    store<f32>(h + (<usize>i << 2), <f32>f64x2.extract_lane(bernHLo, 0));
    if (mode != 0) store<f32>(aux + (<usize>i << 2), <f32>f64x2.extract_lane(bernAuxLo, 0));
    if (lp) store<f32>(lp + (<usize>i << 2), <f32>f64x2.extract_lane(bernLpLo, 0));
  }
}

/** out = σ(scale · a + shift), four elements at a time in two f64x2 halves. As sigmoidAffineReference. */
export function sigmoidAffine(a: usize, n: i32, scale: f64, shift: f64, out: usize): void {
  const sc = f64x2.splat(scale);
  const sh = f64x2.splat(shift);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const x = v128.load(a + (<usize>i << 2));
    sigmoidAffine4(f64x2.add(f64x2.mul(sc, lo64(x)), sh), f64x2.add(f64x2.mul(sc, hi64(x)), sh));
    v128.store(out + (<usize>i << 2), narrow(sigLo, sigHi));
  }
  for (; i < n; i++) {
    // The tail through the same lanes (lane 0 used), so every element gets the same arithmetic.
    const z = f64x2.add(f64x2.mul(sc, f64x2.splat(<f64>load<f32>(a + (<usize>i << 2)))), sh);
    sigmoidAffine4(z, z);
    store<f32>(out + (<usize>i << 2), <f32>f64x2.extract_lane(sigLo, 0));
  }
}

let sigLo: v128 = f64x2.splat(0);
let sigHi: v128 = f64x2.splat(0);

/** σ(z) = (z ≥ 0 ? 1 : e)/(1 + e), e = e^−|z|, of the lanes of zLo and zHi (sigLo, sigHi). */
@inline function sigmoidAffine4(zLo: v128, zHi: v128): void {
  expNonPositiveTwo(f64x2.neg(f64x2.abs(zLo)), f64x2.neg(f64x2.abs(zHi)));
  const one = f64x2.splat(1);
  sigLo = f64x2.div(v128.bitselect(one, expLo, f64x2.ge(zLo, f64x2.splat(0))), f64x2.add(one, expLo));
  sigHi = f64x2.div(v128.bitselect(one, expHi, f64x2.ge(zHi, f64x2.splat(0))), f64x2.add(one, expHi));
}

let expLo: v128 = f64x2.splat(0);
let expHi: v128 = f64x2.splat(0);

/** expNonPositive (noise.ts) lane by lane of x and of y (expLo, expHi), the two chains' steps interleaved. */
@inline function expNonPositiveTwo(x: v128, y: v128): void {
  const xc = f64x2.max(x, f64x2.splat(-700));
  const yc = f64x2.max(y, f64x2.splat(-700));
  const kx = f64x2.floor(f64x2.add(f64x2.mul(xc, f64x2.splat(INV_LN2)), f64x2.splat(0.5)));
  const ky = f64x2.floor(f64x2.add(f64x2.mul(yc, f64x2.splat(INV_LN2)), f64x2.splat(0.5)));
  const rx = f64x2.sub(f64x2.sub(xc, f64x2.mul(kx, f64x2.splat(LN2_HI))), f64x2.mul(kx, f64x2.splat(LN2_LO)));
  const ry = f64x2.sub(f64x2.sub(yc, f64x2.mul(ky, f64x2.splat(LN2_HI))), f64x2.mul(ky, f64x2.splat(LN2_LO)));
  let px = f64x2.add(f64x2.splat(2.755731922398589e-7), f64x2.mul(rx, f64x2.splat(2.505210838544172e-8)));
  let py = f64x2.add(f64x2.splat(2.755731922398589e-7), f64x2.mul(ry, f64x2.splat(2.505210838544172e-8)));
  px = f64x2.add(f64x2.splat(0.0000027557319223985893), f64x2.mul(rx, px));
  py = f64x2.add(f64x2.splat(0.0000027557319223985893), f64x2.mul(ry, py));
  px = f64x2.add(f64x2.splat(0.0000248015873015873), f64x2.mul(rx, px));
  py = f64x2.add(f64x2.splat(0.0000248015873015873), f64x2.mul(ry, py));
  px = f64x2.add(f64x2.splat(0.0001984126984126984), f64x2.mul(rx, px));
  py = f64x2.add(f64x2.splat(0.0001984126984126984), f64x2.mul(ry, py));
  px = f64x2.add(f64x2.splat(0.001388888888888889), f64x2.mul(rx, px));
  py = f64x2.add(f64x2.splat(0.001388888888888889), f64x2.mul(ry, py));
  px = f64x2.add(f64x2.splat(0.008333333333333333), f64x2.mul(rx, px));
  py = f64x2.add(f64x2.splat(0.008333333333333333), f64x2.mul(ry, py));
  px = f64x2.add(f64x2.splat(0.041666666666666664), f64x2.mul(rx, px));
  py = f64x2.add(f64x2.splat(0.041666666666666664), f64x2.mul(ry, py));
  px = f64x2.add(f64x2.splat(0.16666666666666666), f64x2.mul(rx, px));
  py = f64x2.add(f64x2.splat(0.16666666666666666), f64x2.mul(ry, py));
  px = f64x2.add(f64x2.splat(0.5), f64x2.mul(rx, px));
  py = f64x2.add(f64x2.splat(0.5), f64x2.mul(ry, py));
  px = f64x2.add(f64x2.splat(1), f64x2.mul(rx, px));
  py = f64x2.add(f64x2.splat(1), f64x2.mul(ry, py));
  px = f64x2.add(f64x2.splat(1), f64x2.mul(rx, px));
  py = f64x2.add(f64x2.splat(1), f64x2.mul(ry, py));
  const kkx = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(kx));
  const kky = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(ky));
  expLo = f64x2.mul(px, i64x2.shl(i64x2.add(kkx, i64x2.splat(1023)), 52));
  expHi = f64x2.mul(py, i64x2.shl(i64x2.add(kky, i64x2.splat(1023)), 52));
}

/** x/τ: as x · (1/τ) where τ is a power of two (byInverse; the same correctly rounded quotient), else a division. */
@inline function overTau(x: v128, tau: v128, inv: v128, byInverse: bool): v128 {
  return byInverse ? f64x2.mul(x, inv) : f64x2.div(x, tau);
}

let concYLo: v128 = f64x2.splat(0);
let concYHi: v128 = f64x2.splat(0);
let concSlopeLo: v128 = f64x2.splat(0);
let concSlopeHi: v128 = f64x2.splat(0);

/**
 * Four elements of binaryConcreteReference, lanes lo (elements 0, 1: xLo, words' lanes 0, 1) and
 * hi (2, 3), their logarithms and exponentials as interleaved chains.
 */
@inline function concrete4(xLo: v128, xHi: v128, words: v128, tau: v128, inv: v128, byInverse: bool): void {
  const wHi = i32x4.shuffle(words, words, 2, 3, 2, 3);
  logUniformTwo(words, v128.not(words));
  const lLo = f64x2.sub(logU, logV);
  logUniformTwo(wHi, v128.not(wHi));
  const zLo = overTau(f64x2.add(xLo, lLo), tau, inv, byInverse);
  const zHi = overTau(f64x2.add(xHi, f64x2.sub(logU, logV)), tau, inv, byInverse);
  expNonPositiveTwo(f64x2.neg(f64x2.abs(zLo)), f64x2.neg(f64x2.abs(zHi)));
  const one = f64x2.splat(1);
  const sLo = f64x2.div(v128.bitselect(one, expLo, f64x2.ge(zLo, f64x2.splat(0))), f64x2.add(one, expLo));
  const sHi = f64x2.div(v128.bitselect(one, expHi, f64x2.ge(zHi, f64x2.splat(0))), f64x2.add(one, expHi));
  concYLo = sLo;
  concYHi = sHi;
  concSlopeLo = overTau(f64x2.mul(sLo, f64x2.sub(one, sLo)), tau, inv, byInverse);
  concSlopeHi = overTau(f64x2.mul(sHi, f64x2.sub(one, sHi)), tau, inv, byInverse);
}

/**
 * 1/τ where τ is a power of two whose inverse is a normal double (the default τ = 1 among them),
 * else 0. Dividing by such a τ and multiplying by its exact inverse round the same real number,
 * so both give the reference's bits; the multiplication spares two of the five divisions an element.
 */
function powerOfTwoInverse(t: f64): f64 {
  const bits = reinterpret<u64>(t);
  const e = <i32>(bits >> 52);
  return (bits & 0x000fffffffffffff) == 0 && e >= 1 && e <= 2045 ? reinterpret<f64>(<u64>(2046 - e) << 52) : 0;
}

/** y = σ((a + logistic)/τ) and slope = y(1 − y)/τ, four elements at a time. As binaryConcreteReference. */
export function binaryConcrete(a: usize, n: i32, k0: u32, k1: u32, temperature: f64, y: usize, slope: usize): void {
  const inv = powerOfTwoInverse(temperature);
  if (inv != 0) concreteTo(a, n, k0, k1, temperature, inv, true, y, slope);
  else concreteTo(a, n, k0, k1, temperature, 0, false, y, slope);
}

@inline function concreteTo(a: usize, n: i32, k0: u32, k1: u32, temperature: f64, inverse: f64, byInverse: bool, y: usize, slope: usize): void {
  const tau = f64x2.splat(temperature);
  const inv = f64x2.splat(inverse);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const words = mixV(i32x4.add(mixV(v128.xor(i32x4.add(i32x4.splat(i), i32x4(0, 1, 2, 3)), i32x4.splat(k0))), i32x4.splat(k1)));
    const x = v128.load(a + (<usize>i << 2));
    concrete4(lo64(x), hi64(x), words, tau, inv, byInverse);
    v128.store(y + (<usize>i << 2), narrow(concYLo, concYHi));
    v128.store(slope + (<usize>i << 2), narrow(concSlopeLo, concSlopeHi));
  }
  for (; i < n; i++) {
    // The tail through the same lanes (lane 0 used), so every element gets the same arithmetic.
    const x = f64x2.splat(<f64>load<f32>(a + (<usize>i << 2)));
    concrete4(x, x, i32x4.splat(wordA(<u32>i, k0, k1)), tau, inv, byInverse);
    store<f32>(y + (<usize>i << 2), <f32>f64x2.extract_lane(concYLo, 0));
    store<f32>(slope + (<usize>i << 2), <f32>f64x2.extract_lane(concSlopeLo, 0));
  }
}
