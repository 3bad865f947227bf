// Counter-based noise: z(key, i), the i-th draw of the stream a 64-bit key names, is a pure
// function of (key, i). Any range of a stream can be generated directly, in any order and on any
// thread, so zeroth-order rules regenerate a parameter's perturbation without replaying a
// serial generator. The key itself comes from a seeded Rng (Rng.key()).
//
// Gaussian draws are Box–Muller pairs (draws 2j, 2j+1 share pair j) from two hashed 32-bit
// words. Its logarithm, sine and cosine are written here as fixed polynomials in + − × ÷ √ on
// doubles, so this TypeScript and the WASM kernel (wasm/assembly/noise.ts, the same steps)
// agree bit for bit; keep the two in step.
import type { BernoulliAux, Buf, NoiseKey, NoiseKind } from './backend.ts';

export type { BernoulliAux, NoiseKey, NoiseKind };
export const NOISE_KINDS: readonly NoiseKind[] = ['gaussian', 'rademacher', 'logistic'];

/** Chris Wellons' lowbias32 integer hash (a bijection on 32 bits with strong avalanche). */
function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  x ^= x >>> 15;
  return x >>> 0;
}

/** The two words of pair j of stream (k0, k1). */
const wordA = (j: number, k0: number, k1: number) => mix((mix((j ^ k0) >>> 0) + k1) >>> 0);
/** The 32-bit word behind draw i of stream (k0, k1) (stochastic rounding's uniform draws: quantize.ts). */
export const uniformWordAt = (i: number, k0: number, k1: number): number => wordA(i >>> 0, k0, k1);
const wordB = (j: number, k0: number, k1: number) => mix((mix((j ^ k1 ^ 0x9e3779b9) >>> 0) + k0) >>> 0);

const LN2 = 0.6931471805599453;
const SQRT2 = 1.4142135623730951;
const PI_4 = 0.7853981633974483;
// 2^-e for e = 0..1010, by exact halving.
const POW2_NEG: number[] = [1];
for (let e = 1; e <= 1010; e++) POW2_NEG.push(POW2_NEG[e - 1] * 0.5);
const INV_LN2 = 1.4426950408889634;
// ln 2 in two parts (fdlibm's): k·LN2_HI is exact for the k used here.
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;

/** e^x for x ≤ 0 (clamped at −700, where σ is 0 to double precision): 2^k·e^r, Taylor to r¹¹, within 1e-14. */
export function expNonPositive(x: number): number {
  const xc = x < -700 ? -700 : x;
  const k = Math.floor(xc * INV_LN2 + 0.5);
  const r = xc - k * LN2_HI - k * LN2_LO;
  const p =
    1 +
    r *
      (1 +
        r *
          (0.5 +
            r *
              (0.16666666666666666 +
                r *
                  (0.041666666666666664 +
                    r *
                      (0.008333333333333333 +
                        r *
                          (0.001388888888888889 +
                            r *
                              (0.0001984126984126984 +
                                r *
                                  (0.0000248015873015873 +
                                    r * (0.0000027557319223985893 + r * (2.755731922398589e-7 + r * 2.505210838544172e-8))))))))));
  return p * POW2_NEG[-k];
}

/**
 * ln of m·2^e (m in [1, 2)) as (e′, t) with ln = e′·ln 2 + t: m is brought into (√½, √2] and
 * ln m = 2 atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.172, by its series to s¹³ (within 1e-12).
 */
function logParts(m0: number, e0: number): [number, number] {
  const big = m0 > SQRT2;
  const m = big ? m0 * 0.5 : m0;
  const s = (m - 1) / (m + 1);
  const w = s * s;
  const p =
    1 +
    w *
      (0.3333333333333333 +
        w * (0.2 + w * (0.14285714285714285 + w * (0.1111111111111111 + w * (0.09090909090909091 + w * 0.07692307692307693)))));
  return [big ? e0 + 1 : e0, 2 * s * p];
}

/** ln y for y in (1, 2] (ln(1 + e) for e = e^−|a|). */
function logOnePlus(y: number): number {
  const [e, t] = y === 2 ? logParts(1, 1) : logParts(y, 0);
  return e * LN2 + t;
}

/** ln((a + ½) / 2³²) for a 32-bit word a: in (−23.0, 0). */
function logUniform(a: number): number {
  // (a + ½)/2³² = x / 2³³ with x = 2a + 1, an odd integer; x = m·2^e with m in [1, 2).
  const e = 32 - Math.clz32(a);
  const [e1, t] = logParts((2 * a + 1) * POW2_NEG[e], e);
  return (e1 - 33) * LN2 + t;
}

/** sin and cos of φ in [0, π/4] (Taylor to φ¹³ and φ¹⁴: within 1e-13). */
const sinPoly = (f: number, w: number) =>
  f *
  (1 +
    w *
      (-0.16666666666666666 +
        w *
          (0.008333333333333333 +
            w * (-0.0001984126984126984 + w * (0.0000027557319223985893 + w * (-2.505210838544172e-8 + w * 1.6059043836821613e-10))))));
const cosPoly = (w: number) =>
  1 +
  w *
    (-0.5 +
      w *
        (0.041666666666666664 +
          w *
            (-0.001388888888888889 +
              w * (0.0000248015873015873 + w * (-2.755731922398589e-7 + w * (2.08767569878681e-9 + w * -1.1470745597729725e-11))))));

/** The Gaussian pair j of a stream: [z_{2j}, z_{2j+1}]. */
export function gaussianPair(j: number, k0: number, k1: number, out: [number, number]): void {
  const r = Math.sqrt(-2 * logUniform(wordA(j, k0, k1)));
  const b = wordB(j, k0, k1);
  // θ = 2π·b/2³²: octant o = top 3 bits, φ within it from the other 29.
  const o = b >>> 29;
  let f = (b & 0x1fffffff) * POW2_NEG[29];
  if (o & 1) f = 1 - f;
  const phi = f * PI_4;
  const w = phi * phi;
  const sp = sinPoly(phi, w);
  const cp = cosPoly(w);
  // Within the quadrant: r = φ (even octant) or π/2 − φ' (odd octant).
  const s = o & 1 ? cp : sp;
  const c = o & 1 ? sp : cp;
  const q = o >>> 1;
  const sin = q === 0 ? s : q === 1 ? c : q === 2 ? -s : -c;
  const cos = q === 0 ? c : q === 1 ? -s : q === 2 ? -c : s;
  out[0] = r * cos;
  out[1] = r * sin;
}

/** Uniform draw i of a stream, in (0, 1): (word + ½)/2³². */
export const uniformAt = (i: number, k0: number, k1: number): number => (wordA(i, k0, k1) + 0.5) * POW2_NEG[32];

/**
 * h[i] = 1 with probability σ(a[i]) (uniform draw i of the key's stream below σ), else 0; aux[i]
 * the chosen by-product of σ; logProb[i] = log p(h | a) = h·a − softplus(a). The reference for
 * every backend's bernoulliSigmoid.
 */
export function bernoulliSigmoidReference(
  a: Buf,
  key: NoiseKey,
  h: Buf,
  aux: Buf | null,
  kind: BernoulliAux | null,
  logProb: Buf | null = null,
): void {
  const [k0, k1] = key;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    // e = exp(−|x|) serves σ and softplus(x) = max(x, 0) + ln(1 + e) alike; both in + − × ÷, so
    // every backend agrees bit for bit.
    const e = expNonPositive(-Math.abs(x));
    const s = (x >= 0 ? 1 : e) / (1 + e);
    const v = uniformAt(i, k0, k1) < s ? 1 : 0;
    h[i] = v;
    if (aux) aux[i] = kind === 'slope' ? s * (1 - s) : v - s;
    if (logProb) logProb[i] = v * x - ((x > 0 ? x : 0) + logOnePlus(1 + e));
  }
}

/**
 * out[i] = σ(scale · a[i] + shift), in f64 with e^−|z| from expNonPositive as bernoulliSigmoid's σ:
 * the same bits on every backend, where Math.exp's last bits are the engine's. An expression
 * activation of that form (sigmoid(4*x - 2)) runs on it. The reference for every backend's sigmoidAffine.
 */
export function sigmoidAffineReference(a: Buf, scale: number, shift: number, out: Buf): void {
  for (let i = 0; i < a.length; i++) {
    const z = scale * a[i] + shift;
    const e = expNonPositive(-Math.abs(z));
    out[i] = (z >= 0 ? 1 : e) / (1 + e);
  }
}

/** ±1 draw i of a stream (the top bit of a hashed word). */
export const rademacherAt = (i: number, k0: number, k1: number): number => (wordA(i, k0, k1) >>> 31 ? 1 : -1);

/** Logistic draw i: ln u − ln(1 − u) for u = (w + ½)/2³², 1 − u being (~w + ½)/2³². */
export function logisticAt(i: number, k0: number, k1: number): number {
  const w = wordA(i, k0, k1);
  return logUniform(w) - logUniform(~w >>> 0);
}

/**
 * out[k] += scale · s[k] · z(key, offset + k) for k < out.length (s[k] = 1 without elementScale),
 * z of the given kind. The reference for every backend's addNoise.
 */
export function addNoiseReference(out: Buf, scale: number, key: NoiseKey, offset: number, kind: NoiseKind, elementScale: Buf | null): void {
  const [k0, k1] = key;
  const n = out.length;
  const coef = (k: number) => (elementScale ? scale * elementScale[k] : scale);
  if (kind !== 'gaussian') {
    const at = kind === 'rademacher' ? rademacherAt : logisticAt;
    for (let k = 0; k < n; k++) out[k] += coef(k) * at(offset + k, k0, k1);
    return;
  }
  const pair: [number, number] = [0, 0];
  let k = 0;
  if (offset & 1 && n > 0) {
    gaussianPair((offset - 1) / 2, k0, k1, pair);
    out[0] += coef(0) * pair[1];
    k = 1;
  }
  for (; k + 1 < n; k += 2) {
    gaussianPair((offset + k) / 2, k0, k1, pair);
    out[k] += coef(k) * pair[0];
    out[k + 1] += coef(k + 1) * pair[1];
  }
  if (k < n) {
    gaussianPair((offset + k) / 2, k0, k1, pair);
    out[k] += coef(k) * pair[0];
  }
}

/**
 * The binary concrete (Gumbel-softmax) unit in one pass: y[i] = σ((a[i] + l_i)/τ), l_i logistic
 * draw i of the key's stream, and slope[i] = ∂y/∂a = y(1 − y)/τ. The reference for every
 * backend's binaryConcrete.
 */
export function binaryConcreteReference(a: Buf, key: NoiseKey, temperature: number, y: Buf, slope: Buf): void {
  const [k0, k1] = key;
  for (let i = 0; i < a.length; i++) {
    const z = (a[i] + logisticAt(i, k0, k1)) / temperature;
    const e = expNonPositive(-Math.abs(z));
    const s = (z >= 0 ? 1 : e) / (1 + e);
    y[i] = s;
    slope[i] = (s * (1 - s)) / temperature;
  }
}
