// The counter-based noise generator: its draws are standard normal (or fair ±1), independent
// along a stream and across keys, and any range of a stream equals the same slice of the whole.
import { describe, expect, it } from 'vitest';
import { addNoiseReference, bernoulliSigmoidReference, expNonPositive, type NoiseKey, type NoiseKind } from '../../src/kernels/noise.ts';
import { rng } from '../../src/random.ts';

const draw = (key: NoiseKey, n: number, offset = 0, kind: NoiseKind = 'gaussian') => {
  const out = new Float64Array(n);
  addNoiseReference(out, 1, key, offset, kind, null);
  return out;
};
const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, x) => s + x, 0) / a.length;
const moment = (a: ArrayLike<number>, k: number) => Array.from(a).reduce((s, x) => s + x ** k, 0) / a.length;
const corr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s / a.length;
};

/** Φ(x) via erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return 0.5 * (1 + (x >= 0 ? erf : -erf));
}

describe('counter-based noise', () => {
  const N = 1 << 20;
  const key = rng('noise-test').key();
  const z = draw(key, N);

  it('Gaussian draws have the moments of N(0, 1)', () => {
    // Standard errors at n = 2^20: mean 0.001, variance 0.0014, skewness 0.0024, kurtosis 0.0048.
    expect(Math.abs(mean(z))).toBeLessThan(0.005);
    expect(Math.abs(moment(z, 2) - 1)).toBeLessThan(0.007);
    expect(Math.abs(moment(z, 3))).toBeLessThan(0.012);
    expect(Math.abs(moment(z, 4) - 3)).toBeLessThan(0.05);
    const beyond3 = Array.from(z).filter((x) => Math.abs(x) > 3).length / N;
    expect(Math.abs(beyond3 - 0.0026998)).toBeLessThan(0.0004);
  });

  it('pass a Kolmogorov–Smirnov test against Φ', () => {
    const sorted = Float64Array.from(z.subarray(0, 100_000)).sort();
    let d = 0;
    sorted.forEach((x, i) => {
      const f = normalCdf(x);
      d = Math.max(d, Math.abs(f - i / sorted.length), Math.abs(f - (i + 1) / sorted.length));
    });
    // The 1% critical value is 1.63/√n.
    expect(d).toBeLessThan(1.63 / Math.sqrt(sorted.length));
  });

  it('are uncorrelated along the stream (including the two halves of a Box–Muller pair) and across nearby keys', () => {
    const bound = 5 / Math.sqrt(N / 2);
    const even = z.filter((_, i) => i % 2 === 0);
    const odd = z.filter((_, i) => i % 2 === 1);
    expect(Math.abs(corr(even, odd))).toBeLessThan(bound);
    expect(Math.abs(corr(z.subarray(0, N - 1), z.subarray(1)))).toBeLessThan(bound);
    expect(Math.abs(corr(z.subarray(0, N - 2), z.subarray(2)))).toBeLessThan(bound);
    // Squares too: independence, not only no linear correlation.
    expect(
      Math.abs(
        corr(
          even.map((x) => x * x - 1),
          odd.map((x) => x * x - 1),
        ),
      ),
    ).toBeLessThan(2 * bound);
    for (const other of [
      [key[0] ^ 1, key[1]],
      [key[0], key[1] ^ 1],
      [key[1], key[0]],
    ] as NoiseKey[]) {
      expect(Math.abs(corr(z, draw(other, N)))).toBeLessThan(5 / Math.sqrt(N));
    }
  });

  it('any range equals the same slice of the whole stream', () => {
    const whole = draw(key, 10_001);
    for (const [from, n] of [
      [0, 1],
      [1, 1],
      [1, 2],
      [3, 4096],
      [4099, 5902],
      [9_999, 2],
    ]) {
      expect(Array.from(draw(key, n, from))).toEqual(Array.from(whole.subarray(from, from + n)));
    }
  });

  it('Rademacher draws are fair ±1 and uncorrelated', () => {
    const s = draw(key, N, 0, 'rademacher');
    expect(Array.from(s).every((x) => x === 1 || x === -1)).toBe(true);
    expect(Math.abs(mean(s))).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(corr(s.subarray(0, N - 1), s.subarray(1)))).toBeLessThan(5 / Math.sqrt(N));
  });

  it('the scale and per-element scale multiply the draw, added onto what out holds', () => {
    const base = Float64Array.from({ length: 9 }, (_, i) => i);
    const es = Float64Array.from({ length: 9 }, (_, i) => 0.5 + i);
    const out = Float64Array.from(base);
    addNoiseReference(out, 2, key, 5, 'gaussian', es);
    const zz = draw(key, 9, 5);
    out.forEach((v, i) => expect(v).toBe(base[i] + 2 * es[i] * zz[i]));
  });

  it('Bernoulli samples are 1 with probability σ(a), and the by-products are σ′(a) and h − σ(a)', () => {
    const n = 200_000;
    for (const x of [-3, -0.5, 0, 1.2]) {
      const a = new Float64Array(n).fill(x);
      const h = new Float64Array(n);
      const slope = new Float64Array(n);
      const score = new Float64Array(n);
      bernoulliSigmoidReference(a, key, h, slope, 'slope');
      bernoulliSigmoidReference(a, key, new Float64Array(n), score, 'score');
      const s = 1 / (1 + Math.exp(-x));
      expect(Math.abs(mean(h) - s)).toBeLessThan(5 * Math.sqrt((s * (1 - s)) / n));
      expect(slope[0]).toBeCloseTo(s * (1 - s), 12);
      h.forEach((v, i) => expect(score[i]).toBeCloseTo(v - s, 12));
    }
  });

  it('logistic draws are standard logistic: mean 0, variance π²/3, CDF 1/(1 + e^−x)', () => {
    const l = draw(key, N, 0, 'logistic');
    expect(Math.abs(mean(l))).toBeLessThan(5 * Math.sqrt(Math.PI ** 2 / 3 / N));
    expect(Math.abs(moment(l, 2) / (Math.PI ** 2 / 3) - 1)).toBeLessThan(0.01);
    for (const x of [-2, -0.5, 0, 1, 3]) {
      const below = Array.from(l).filter((v) => v < x).length / N;
      expect(Math.abs(below - 1 / (1 + Math.exp(-x)))).toBeLessThan(0.002);
    }
  });

  it('log p(h | a) from the sampling pass equals h·a − softplus(a)', () => {
    const n = 1000;
    const a = Float64Array.from({ length: n }, (_, i) => (i - 500) / 40);
    const h = new Float64Array(n);
    const lp = new Float64Array(n);
    bernoulliSigmoidReference(a, key, h, null, null, lp);
    a.forEach((x, i) => expect(lp[i]).toBeCloseTo(h[i] * x - Math.log1p(Math.exp(x)), 10));
  });

  it('its exp (for σ) is within 1e-14 relative of Math.exp on [−700, 0], and clamped below', () => {
    let worst = 0;
    for (let i = 0; i <= 14000; i++) {
      const x = -i / 20;
      const want = Math.exp(x);
      worst = Math.max(worst, Math.abs(expNonPositive(x) - want) / want);
    }
    expect(worst).toBeLessThan(1e-14);
    expect(expNonPositive(-0)).toBe(1);
    expect(expNonPositive(-1e6)).toBe(expNonPositive(-700));
  });
});
