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

let pairsCos: v128 = f64x2.splat(0);
let pairsSin: v128 = f64x2.splat(0);

/**
 * Pairs j and j + 1 at once: pairsCos = (z_{2j}, z_{2j+2}), pairsSin = (z_{2j+1}, z_{2j+3}).
 * kx = (k0, k0, k1 ^ C, k1 ^ C) and ky = (k1, k1, k0, k0) give words (a_j, a_j+1, b_j, b_j+1).
 */
@inline function gaussianPairs2(j: u32, kx: v128, ky: v128): void {
  const jv = i32x4.add(i32x4.splat(j), i32x4(0, 1, 0, 1));
  const words = mixV(i32x4.add(mixV(v128.xor(jv, kx)), ky));
  const r = f64x2.sqrt(f64x2.mul(f64x2.splat(-2), logUniform2(words)));
  // θ = 2π·b/2³², by octant, as noise.ts gaussianPair (b = wordB there: kx, ky's upper lanes).
  const b = i32x4.shuffle(words, words, 2, 3, 2, 3);
  const o = i32x4.shr_u(b, 29);
  const odd = wide(i32x4.ne(v128.and(o, i32x4.splat(1)), i32x4.splat(0)));
  const f0 = f64x2.mul(f64x2.convert_low_i32x4_u(v128.and(b, i32x4.splat(0x1fffffff))), f64x2.splat(pow2neg(29)));
  const phi = f64x2.mul(v128.bitselect(f64x2.sub(f64x2.splat(1), f0), f0, odd), f64x2.splat(PI_4));
  const ww = f64x2.mul(phi, phi);
  let sp = f64x2.add(f64x2.splat(-2.505210838544172e-8), f64x2.mul(ww, f64x2.splat(1.6059043836821613e-10)));
  sp = f64x2.add(f64x2.splat(0.0000027557319223985893), f64x2.mul(ww, sp));
  sp = f64x2.add(f64x2.splat(-0.0001984126984126984), f64x2.mul(ww, sp));
  sp = f64x2.add(f64x2.splat(0.008333333333333333), f64x2.mul(ww, sp));
  sp = f64x2.add(f64x2.splat(-0.16666666666666666), f64x2.mul(ww, sp));
  sp = f64x2.mul(phi, f64x2.add(f64x2.splat(1), f64x2.mul(ww, sp)));
  let cp = f64x2.add(f64x2.splat(2.08767569878681e-9), f64x2.mul(ww, f64x2.splat(-1.1470745597729725e-11)));
  cp = f64x2.add(f64x2.splat(-2.755731922398589e-7), f64x2.mul(ww, cp));
  cp = f64x2.add(f64x2.splat(0.0000248015873015873), f64x2.mul(ww, cp));
  cp = f64x2.add(f64x2.splat(-0.001388888888888889), f64x2.mul(ww, cp));
  cp = f64x2.add(f64x2.splat(0.041666666666666664), f64x2.mul(ww, cp));
  cp = f64x2.add(f64x2.splat(-0.5), f64x2.mul(ww, cp));
  cp = f64x2.add(f64x2.splat(1), f64x2.mul(ww, cp));
  const sn = v128.bitselect(cp, sp, odd);
  const cs = v128.bitselect(sp, cp, odd);
  // Quadrant q: (sin, cos) = (s, c), (c, −s), (−s, −c), (−c, s); a product with ±1 is a negation, exactly.
  const q = i32x4.shr_u(o, 1);
  const swap = wide(i32x4.ne(v128.and(q, i32x4.splat(1)), i32x4.splat(0)));
  const sinNeg = wide(i32x4.ge_u(q, i32x4.splat(2)));
  const cosNeg = wide(i32x4.ne(v128.and(v128.xor(q, i32x4.shr_u(q, 1)), i32x4.splat(1)), i32x4.splat(0)));
  const sin = f64x2.mul(v128.bitselect(cs, sn, swap), v128.bitselect(f64x2.splat(-1), f64x2.splat(1), sinNeg));
  const cos = f64x2.mul(v128.bitselect(sn, cs, swap), v128.bitselect(f64x2.splat(-1), f64x2.splat(1), cosNeg));
  pairsCos = f64x2.mul(r, cos);
  pairsSin = f64x2.mul(r, sin);
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

/** Elements k..k+3 of out get (cos[0], sin[0], cos[1], sin[1]) (pairs j, j + 1 in draw order) through bumpAt. */
@inline function bumpFour(out: usize, wide: bool, k: i32, scale: f64, es: usize, cos: v128, sin: v128): void {
  bumpAt(out, wide, k, coefAt(scale, es, k) * f64x2.extract_lane(cos, 0));
  bumpAt(out, wide, k + 1, coefAt(scale, es, k + 1) * f64x2.extract_lane(sin, 0));
  bumpAt(out, wide, k + 2, coefAt(scale, es, k + 2) * f64x2.extract_lane(cos, 1));
  bumpAt(out, wide, k + 3, coefAt(scale, es, k + 3) * f64x2.extract_lane(sin, 1));
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
  // Two pairs at a time in f64x2 lanes; a lone pair (an odd start, the tail) uses lane 0 alone.
  const kx = i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(k0), 2, k1 ^ 0x9e3779b9), 3, k1 ^ 0x9e3779b9);
  const ky = i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(k1), 2, k0), 3, k0);
  let k = 0;
  if (offset & 1 && n > 0) {
    gaussianPairs2((offset - 1) >> 1, kx, ky);
    bumpAt(out, wide, 0, coefAt(scale, es, 0) * f64x2.extract_lane(pairsSin, 0));
    k = 1;
  }
  // Sixteen draws an iteration: four independent chains of four, whose latencies (the logarithm's
  // division, the square root, the polynomials) the CPU overlaps; one chain an iteration runs
  // about 1.5× slower, two about 1.1× (CPU time per value). The stores stay scalar: as f64x2
  // lanes they were no faster (slower into a wide buffer). The same arithmetic per draw either way.
  for (; k + 15 < n; k += 16) {
    gaussianPairs2((offset + <u32>k) >> 1, kx, ky);
    const c0 = pairsCos;
    const s0 = pairsSin;
    gaussianPairs2((offset + <u32>k + 4) >> 1, kx, ky);
    const c1 = pairsCos;
    const s1 = pairsSin;
    gaussianPairs2((offset + <u32>k + 8) >> 1, kx, ky);
    const c2 = pairsCos;
    const s2 = pairsSin;
    gaussianPairs2((offset + <u32>k + 12) >> 1, kx, ky);
    bumpFour(out, wide, k, scale, es, c0, s0);
    bumpFour(out, wide, k + 4, scale, es, c1, s1);
    bumpFour(out, wide, k + 8, scale, es, c2, s2);
    bumpFour(out, wide, k + 12, scale, es, pairsCos, pairsSin);
  }
  for (; k + 3 < n; k += 4) {
    gaussianPairs2((offset + <u32>k) >> 1, kx, ky);
    bumpFour(out, wide, k, scale, es, pairsCos, pairsSin);
  }
  for (; k < n; k += 2) {
    gaussianPairs2((offset + <u32>k) >> 1, kx, ky);
    bumpAt(out, wide, k, coefAt(scale, es, k) * f64x2.extract_lane(pairsCos, 0));
    if (k + 1 < n) bumpAt(out, wide, k + 1, coefAt(scale, es, k + 1) * f64x2.extract_lane(pairsSin, 0));
  }
}

const INV_LN2: f64 = 1.4426950408889634;
const LN2_HI: f64 = 0.6931471803691238;
const LN2_LO: f64 = 1.9082149292705877e-10;

/** expNonPositive, lane by lane (noise.ts). */
@inline function expNonPositive2(x: v128): v128 {
  const xc = f64x2.max(x, f64x2.splat(-700));
  const k = f64x2.floor(f64x2.add(f64x2.mul(xc, f64x2.splat(INV_LN2)), f64x2.splat(0.5)));
  const r = f64x2.sub(f64x2.sub(xc, f64x2.mul(k, f64x2.splat(LN2_HI))), f64x2.mul(k, f64x2.splat(LN2_LO)));
  let p = f64x2.add(f64x2.splat(2.755731922398589e-7), f64x2.mul(r, f64x2.splat(2.505210838544172e-8)));
  p = f64x2.add(f64x2.splat(0.0000027557319223985893), f64x2.mul(r, p));
  p = f64x2.add(f64x2.splat(0.0000248015873015873), f64x2.mul(r, p));
  p = f64x2.add(f64x2.splat(0.0001984126984126984), f64x2.mul(r, p));
  p = f64x2.add(f64x2.splat(0.001388888888888889), f64x2.mul(r, p));
  p = f64x2.add(f64x2.splat(0.008333333333333333), f64x2.mul(r, p));
  p = f64x2.add(f64x2.splat(0.041666666666666664), f64x2.mul(r, p));
  p = f64x2.add(f64x2.splat(0.16666666666666666), f64x2.mul(r, p));
  p = f64x2.add(f64x2.splat(0.5), f64x2.mul(r, p));
  p = f64x2.add(f64x2.splat(1), f64x2.mul(r, p));
  p = f64x2.add(f64x2.splat(1), f64x2.mul(r, p));
  // 2^k from its bits (k in [−1010, 0]: a normal double).
  const kk = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(k));
  return f64x2.mul(p, i64x2.shl(i64x2.add(kk, i64x2.splat(1023)), 52));
}

/** logOnePlus (noise.ts), lane by lane. */
@inline function logOnePlus2(y: v128): v128 {
  logParts2(y);
  return f64x2.add(f64x2.mul(partE, f64x2.splat(LN2)), partT);
}

let bernH: v128 = f64x2.splat(0);
let bernAux: v128 = f64x2.splat(0);
let bernLp: v128 = f64x2.splat(0);

/** Two elements: x (f64x2) and their words (32-bit lanes 0, 1). As bernoulliSigmoidReference. */
@inline function bernoulli2(x: v128, words: v128, mode: i32, lp: bool): void {
  const e = expNonPositive2(f64x2.neg(f64x2.abs(x)));
  const one = f64x2.splat(1);
  const s = f64x2.div(v128.bitselect(one, e, f64x2.ge(x, f64x2.splat(0))), f64x2.add(one, e));
  const u = f64x2.mul(f64x2.add(f64x2.convert_low_i32x4_u(words), f64x2.splat(0.5)), f64x2.splat(pow2neg(32)));
  const v = v128.and(f64x2.lt(u, s), one);
  bernH = v;
  if (mode == 1) bernAux = f64x2.mul(s, f64x2.sub(one, s));
  else if (mode == 2) bernAux = f64x2.sub(v, s);
  if (lp) {
    const relu = v128.and(x, f64x2.gt(x, f64x2.splat(0)));
    bernLp = f64x2.sub(f64x2.mul(v, x), f64x2.add(relu, logOnePlus2(f64x2.add(one, e))));
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
    bernoulli2(lo64(x), words, mode, lp != 0);
    const h0 = bernH, a0 = bernAux, l0 = bernLp;
    bernoulli2(hi64(x), i32x4.shuffle(words, words, 2, 3, 2, 3), mode, lp != 0);
    v128.store(h + off, narrow(h0, bernH));
    if (mode != 0) v128.store(aux + off, narrow(a0, bernAux));
    if (lp) v128.store(lp + off, narrow(l0, bernLp));
  }
  for (; i < n; i++) {
    // The tail through the same lanes (lane 0 used), so every element gets the same arithmetic.
    const x = f64x2.splat(<f64>load<f32>(a + (<usize>i << 2)));
    bernoulli2(x, i32x4.splat(wordA(<u32>i, k0, k1)), mode, lp != 0);
    store<f32>(h + (<usize>i << 2), <f32>f64x2.extract_lane(bernH, 0));
    if (mode != 0) store<f32>(aux + (<usize>i << 2), <f32>f64x2.extract_lane(bernAux, 0));
    if (lp) store<f32>(lp + (<usize>i << 2), <f32>f64x2.extract_lane(bernLp, 0));
  }
}

let concY: v128 = f64x2.splat(0);
let concSlope: v128 = f64x2.splat(0);

/** Two elements of binaryConcreteReference: x (f64x2) and their words (32-bit lanes 0, 1). */
@inline function concrete2(x: v128, words: v128, tau: v128): void {
  const z = f64x2.div(f64x2.add(x, f64x2.sub(logUniform2(words), logUniform2(v128.not(words)))), tau);
  const e = expNonPositive2(f64x2.neg(f64x2.abs(z)));
  const one = f64x2.splat(1);
  const s = f64x2.div(v128.bitselect(one, e, f64x2.ge(z, f64x2.splat(0))), f64x2.add(one, e));
  concY = s;
  concSlope = f64x2.div(f64x2.mul(s, f64x2.sub(one, s)), tau);
}

/** y = σ((a + logistic)/τ) and slope = y(1 − y)/τ, four elements at a time. As binaryConcreteReference. */
export function binaryConcrete(a: usize, n: i32, k0: u32, k1: u32, temperature: f64, y: usize, slope: usize): void {
  const tau = f64x2.splat(temperature);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const words = mixV(i32x4.add(mixV(v128.xor(i32x4.add(i32x4.splat(i), i32x4(0, 1, 2, 3)), i32x4.splat(k0))), i32x4.splat(k1)));
    const x = v128.load(a + (<usize>i << 2));
    concrete2(lo64(x), words, tau);
    const y0 = concY, s0 = concSlope;
    concrete2(hi64(x), i32x4.shuffle(words, words, 2, 3, 2, 3), tau);
    v128.store(y + (<usize>i << 2), narrow(y0, concY));
    v128.store(slope + (<usize>i << 2), narrow(s0, concSlope));
  }
  for (; i < n; i++) {
    concrete2(f64x2.splat(<f64>load<f32>(a + (<usize>i << 2))), i32x4.splat(wordA(<u32>i, k0, k1)), tau);
    store<f32>(y + (<usize>i << 2), <f32>f64x2.extract_lane(concY, 0));
    store<f32>(slope + (<usize>i << 2), <f32>f64x2.extract_lane(concSlope, 0));
  }
}
