// Counter-based noise, step for step as src/kernels/noise.ts (the reference; see it for the
// why): out[k] += scale · s[k] · z(key, offset + k). Keep the two in step: they agree bit for bit.

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

@inline function wordB(j: u32, k0: u32, k1: u32): u32 {
  return mix(mix(j ^ k1 ^ 0x9e3779b9) + k0);
}

const LN2: f64 = 0.6931471805599453;
const SQRT2: f64 = 1.4142135623730951;
const PI_4: f64 = 0.7853981633974483;

/** 2^-e, exactly (e ≤ 40). */
@inline function pow2neg(e: i32): f64 {
  return reinterpret<f64>(<i64>(1023 - e) << 52);
}

@inline function logUniform(a: u32): f64 {
  const x = <f64>a * 2.0 + 1.0;
  let e = 32 - <i32>clz<u32>(a);
  let m = x * pow2neg(e);
  if (m > SQRT2) {
    m *= 0.5;
    e += 1;
  }
  const s = (m - 1) / (m + 1);
  const w = s * s;
  const p = 1 + w * (0.3333333333333333 + w * (0.2 + w * (0.14285714285714285 + w * (0.1111111111111111 + w * (0.09090909090909091 + w * 0.07692307692307693)))));
  return <f64>(e - 33) * LN2 + 2 * s * p;
}

let pairCos: f64 = 0;
let pairSin: f64 = 0;

/** Sets pairCos, pairSin to the Gaussian pair j (z_{2j}, z_{2j+1}). */
@inline function gaussianPair(j: u32, k0: u32, k1: u32): void {
  const r = Math.sqrt(-2 * logUniform(wordA(j, k0, k1)));
  const b = wordB(j, k0, k1);
  const o = b >> 29;
  let f = <f64>(b & 0x1fffffff) * pow2neg(29);
  if (o & 1) f = 1 - f;
  const phi = f * PI_4;
  const w = phi * phi;
  const sp = phi * (1 + w * (-0.16666666666666666 + w * (0.008333333333333333 + w * (-0.0001984126984126984 + w * (0.0000027557319223985893 + w * (-2.505210838544172e-8 + w * 1.6059043836821613e-10))))));
  const cp = 1 + w * (-0.5 + w * (0.041666666666666664 + w * (-0.001388888888888889 + w * (0.0000248015873015873 + w * (-2.755731922398589e-7 + w * (2.08767569878681e-9 + w * -1.1470745597729725e-11))))));
  const s = o & 1 ? cp : sp;
  const c = o & 1 ? sp : cp;
  const q = o >> 1;
  const sin = q == 0 ? s : q == 1 ? c : q == 2 ? -s : -c;
  const cos = q == 0 ? c : q == 1 ? -s : q == 2 ? -c : s;
  pairCos = r * cos;
  pairSin = r * sin;
}

@inline function coefAt(scale: f64, es: usize, k: i32): f64 {
  return es ? scale * <f64>load<f32>(es + (<usize>k << 2)) : scale;
}

@inline function bump(out: usize, k: i32, v: f64): void {
  const p = out + (<usize>k << 2);
  store<f32>(p, <f32>(<f64>load<f32>(p) + v));
}

/** es = 0: no per-element scale. kind 0 Gaussian, 1 ±1, 2 logistic. */
export function addNoise(out: usize, n: i32, scale: f64, k0: u32, k1: u32, offset: u32, kind: i32, es: usize): void {
  if (kind == 1) {
    for (let k = 0; k < n; k++) bump(out, k, coefAt(scale, es, k) * (wordA(offset + <u32>k, k0, k1) >> 31 ? 1.0 : -1.0));
    return;
  }
  if (kind == 2) {
    for (let k = 0; k < n; k++) {
      const w = wordA(offset + <u32>k, k0, k1);
      bump(out, k, coefAt(scale, es, k) * (logUniform(w) - logUniform(~w)));
    }
    return;
  }
  let k = 0;
  if (offset & 1 && n > 0) {
    gaussianPair((offset - 1) >> 1, k0, k1);
    bump(out, 0, coefAt(scale, es, 0) * pairSin);
    k = 1;
  }
  for (; k + 1 < n; k += 2) {
    gaussianPair((offset + <u32>k) >> 1, k0, k1);
    bump(out, k, coefAt(scale, es, k) * pairCos);
    bump(out, k + 1, coefAt(scale, es, k + 1) * pairSin);
  }
  if (k < n) {
    gaussianPair((offset + <u32>k) >> 1, k0, k1);
    bump(out, k, coefAt(scale, es, k) * pairCos);
  }
}

/** mode 0: h only; 1: aux = σ(1 − σ); 2: aux = h − σ. As bernoulliSigmoidReference. */
export function bernoulliSigmoid(a: usize, n: i32, k0: u32, k1: u32, h: usize, aux: usize, mode: i32): void {
  for (let i = 0; i < n; i++) {
    const x = <f64>load<f32>(a + (<usize>i << 2));
    let s: f64;
    if (x >= 0) s = 1 / (1 + Math.exp(-x));
    else {
      const e = Math.exp(x);
      s = e / (1 + e);
    }
    const v: f64 = (<f64>wordA(<u32>i, k0, k1) + 0.5) * pow2neg(32) < s ? 1 : 0;
    store<f32>(h + (<usize>i << 2), <f32>v);
    if (mode == 1) store<f32>(aux + (<usize>i << 2), <f32>(s * (1 - s)));
    else if (mode == 2) store<f32>(aux + (<usize>i << 2), <f32>(v - s));
  }
}
