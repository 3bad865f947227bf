// The tuner's pure parts: the scrambled Halton sampler (deterministic per seed, stratified in
// each dimension, neighbouring large bases not lined up), the halving schedule and promotion, and
// the values a search dimension maps a coordinate to.
import { describe, expect, it } from 'vitest';
import { rng } from '../../../src/random.ts';
import { valueAt } from '../../../src/rules/search.ts';
import { Halton } from '../../../src/runner/tune/halton.ts';
import { promote, rungSchedule } from '../../../src/runner/tune/halving.ts';

const points = (seed: string, dims: number, n: number) => {
  const h = new Halton(dims, rng(seed));
  return Array.from({ length: n }, (_, i) => h.point(i));
};

function correlation(a: number[], b: number[]): number {
  const m = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = m(a);
  const mb = m(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('scrambled Halton sampler', () => {
  it('is a function of its seed: the same points for one seed, others for another, all in [0, 1)', () => {
    const a = points('s', 5, 40);
    expect(points('s', 5, 40)).toEqual(a);
    expect(points('t', 5, 40)).not.toEqual(a);
    for (const p of a) for (const u of p) expect(u >= 0 && u < 1).toBe(true);
  });

  it('stratifies each dimension: the first b^k points of base b fill each interval of width b^-k once', () => {
    const p = points('strata', 3, 25);
    for (const [d, b, k] of [
      [0, 2, 4],
      [1, 3, 2],
      [2, 5, 2],
    ] as const) {
      const n = b ** k;
      const cells = new Set(p.slice(0, n).map((x) => Math.floor(x[d] * n)));
      expect(cells.size, `dimension ${d}`).toBe(n);
    }
  });

  it('leaves neighbouring large bases uncorrelated (plain Halton lines bases 17 and 19 up)', () => {
    const p = points('bases', 8, 17).slice(1);
    expect(
      Math.abs(
        correlation(
          p.map((x) => x[6]),
          p.map((x) => x[7]),
        ),
      ),
    ).toBeLessThan(0.5);
    // The unscrambled sequence for contrast: i/17 against i/19 for the first points.
    const plain = (i: number, b: number) => {
      let u = 0;
      let f = 1 / b;
      for (let n = i; n > 0; n = Math.floor(n / b), f /= b) u += (n % b) * f;
      return u;
    };
    const idx = Array.from({ length: 16 }, (_, i) => i + 1);
    expect(
      correlation(
        idx.map((i) => plain(i, 17)),
        idx.map((i) => plain(i, 19)),
      ),
    ).toBeGreaterThan(0.9);
  });
});

describe('successive halving', () => {
  it('budgets max/η^(rungs−1) … max, keeping ⌊n/η⌋ configurations (at least one) per rung', () => {
    expect(rungSchedule(27, 3, 3, 900, Math.round)).toEqual([
      { rung: 0, steps: 100, budget: 100, configurations: 27 },
      { rung: 1, steps: 300, budget: 300, configurations: 9 },
      { rung: 2, steps: 900, budget: 900, configurations: 3 },
    ]);
    expect(rungSchedule(4, 3, 3, 9, (b) => Math.round(b * 10)).map((r) => [r.steps, r.configurations])).toEqual([
      [10, 4],
      [30, 1],
      [90, 1],
    ]);
    expect(rungSchedule(2, 2, 2, 1, Math.round)[0].steps).toBe(1);
  });

  it('promotes the best, ties to the earlier configuration, never one without a score', () => {
    const scores = [
      { config: 0, score: 0.5 },
      { config: 1, score: 0.9 },
      { config: 2, score: null },
      { config: 3, score: 0.5 },
      { config: 4, score: NaN },
    ];
    expect(promote(scores, 2)).toEqual([0, 1]);
    expect(promote(scores, 3)).toEqual([0, 1, 3]);
    expect(promote(scores, 10)).toEqual([0, 1, 3]);
    expect(promote([{ config: 0, score: null }], 1)).toEqual([]);
  });
});

describe('search dimensions', () => {
  it('maps [0, 1) onto float, log and integer ranges and choices', () => {
    expect(valueAt({ float: [2, 4] }, 0.5)).toBe(3);
    expect(valueAt({ float: [1e-4, 1e-2], log: true }, 0.5)).toBeCloseTo(1e-3, 12);
    expect(valueAt({ choice: ['a', 'b', 'c'] }, 0.999)).toBe('c');
    // Every integer of [1, 4] gets an equal share; log-uniform integers favour the small ones.
    const ints = Array.from({ length: 400 }, (_, i) => valueAt({ int: [1, 4] }, (i + 0.5) / 400));
    for (const v of [1, 2, 3, 4]) expect(ints.filter((x) => x === v)).toHaveLength(100);
    const logs = Array.from({ length: 640 }, (_, i) => valueAt({ int: [1, 64], log: true }, (i + 0.5) / 640) as number);
    expect(Math.min(...logs)).toBe(1);
    expect(Math.max(...logs)).toBe(64);
    expect(logs.filter((x) => x <= 8).length).toBeGreaterThan(logs.filter((x) => x > 8).length);
  });
});
