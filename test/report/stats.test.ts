// The statistics behind the paired table: a seeded percentile bootstrap of the mean (the same
// stream gives the same interval; its width agrees with the normal theory on a large sample),
// and the paired comparison (only seeds both finished pair up; ties count half).
import { describe, expect, it } from 'vitest';
import { rng } from '../../src/random.ts';
import { bootstrapMean, pairedComparison, quantiles } from '../../src/report/stats.ts';

describe('bootstrapMean', () => {
  it('gives the same interval from the same stream, and holds the mean', () => {
    const xs = [0.91, 0.93, 0.9, 0.95, 0.92];
    const a = bootstrapMean(xs, rng('t').child('x'));
    const b = bootstrapMean(xs, rng('t').child('x'));
    expect(a).toEqual(b);
    expect(a.mean).toBeCloseTo(0.922, 12);
    expect(a.lo).toBeLessThan(a.mean);
    expect(a.hi).toBeGreaterThan(a.mean);
    expect(a.lo).toBeGreaterThanOrEqual(0.9);
    expect(a.hi).toBeLessThanOrEqual(0.95);
  });

  it('has no interval below two values, and a point interval when every value is equal', () => {
    const one = bootstrapMean([0.5, null, NaN], rng('t'));
    expect(one.n).toBe(1);
    expect(one.mean).toBe(0.5);
    expect(one.lo).toBeNaN();
    expect(one.hi).toBeNaN();
    expect(bootstrapMean([0.25, 0.25, 0.25], rng('t'))).toEqual({ n: 3, mean: 0.25, lo: 0.25, hi: 0.25 });
  });

  it('spans about ±1.96 standard errors on a large normal sample (the central limit theorem)', () => {
    const r = rng('normal-sample');
    const xs = Array.from({ length: 400 }, () => 3 + 2 * r.normal());
    const ci = bootstrapMean(xs, rng('t').child('normal'));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
    const half = (1.96 * sd) / Math.sqrt(xs.length);
    expect((ci.hi - ci.lo) / 2).toBeGreaterThan(0.9 * half);
    expect((ci.hi - ci.lo) / 2).toBeLessThan(1.1 * half);
    expect((ci.hi + ci.lo) / 2).toBeCloseTo(mean, 1);
  });
});

describe('pairedComparison', () => {
  it('pairs seeds both have, counts ties half, and calls an interval holding zero not separable', () => {
    const rule = new Map([
      [0, 0.9],
      [1, 0.8],
      [2, 0.7],
      [5, 0.99],
    ]);
    const ref = new Map([
      [0, 0.85],
      [1, 0.8],
      [2, 0.75],
      [3, 0.9],
    ]);
    const p = pairedComparison(rule, ref, rng('t'));
    expect(p.seeds).toEqual([0, 1, 2]);
    expect(p.diffs.map((d) => +d.toFixed(12))).toEqual([0.05, 0, -0.05]);
    expect(p.n).toBe(3);
    expect(p.mean).toBeCloseTo(0, 12);
    expect(p.probImprovement).toBe(0.5);
    expect(p.lo).toBeLessThan(0);
    expect(p.hi).toBeGreaterThan(0);
    expect(p.separable).toBe(false);
  });

  it('separates a rule better on every seed, with probability of improvement 1', () => {
    const ref = new Map([0, 1, 2, 3].map((s) => [s, 0.9 + 0.01 * s]));
    const rule = new Map([0, 1, 2, 3].map((s) => [s, 0.9 + 0.01 * s + 0.02 + 0.001 * s]));
    const p = pairedComparison(rule, ref, rng('t'));
    expect(p.probImprovement).toBe(1);
    expect(p.lo).toBeGreaterThanOrEqual(0.02 - 1e-12);
    expect(p.hi).toBeLessThanOrEqual(0.023 + 1e-12);
    expect(p.separable).toBe(true);
    // Worse on every seed: separable the other way, probability 0.
    const q = pairedComparison(ref, rule, rng('t'));
    expect(q.probImprovement).toBe(0);
    expect(q.separable).toBe(true);
    expect(q.hi).toBeLessThan(0);
  });

  it('is not separable on one pair (no interval)', () => {
    const p = pairedComparison(new Map([[0, 0.99]]), new Map([[0, 0.5]]), rng('t'));
    expect(p.mean).toBeCloseTo(0.49, 12);
    expect(p.lo).toBeNaN();
    expect(p.separable).toBe(false);
  });
});

describe('the bootstrap quantiles', () => {
  it('agree with quantiles() (mathjs quantileSeq) on the resampled means', () => {
    // Resample by hand from the same stream, then compare the interval with mathjs's quantiles.
    const xs = [0.1, 0.4, 0.35, 0.8, 0.55, 0.2];
    const draws = rng('q');
    const means = Array.from({ length: 500 }, () => {
      let s = 0;
      for (let i = 0; i < xs.length; i++) s += xs[draws.int(xs.length)];
      return s / xs.length;
    });
    const ci = bootstrapMean(xs, rng('q'), 500);
    const [lo, hi] = quantiles(means, [0.025, 0.975]);
    expect(ci.lo).toBeCloseTo(lo, 12);
    expect(ci.hi).toBeCloseTo(hi, 12);
  });
});
