import { describe, expect, it } from 'vitest';
import { rng } from '../src/index.ts';

describe('seeded streams', () => {
  it('same seed, same numbers; different seeds differ', () => {
    const a = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.uniform()
      )(rng(7)),
    );
    const b = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.uniform()
      )(rng(7)),
    );
    const c = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.uniform()
      )(rng(8)),
    );
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('a child stream does not depend on how much the parent or a sibling was used', () => {
    const r1 = rng(3);
    const first = r1.child('init').uniform();
    const r2 = rng(3);
    for (let i = 0; i < 100; i++) r2.uniform();
    r2.child('data').uniform();
    expect(r2.child('init').uniform()).toBe(first);
    expect(rng(3).child('data').uniform()).not.toBe(first);
  });

  it('normal samples have mean ≈ 0 and variance ≈ 1; permutations are permutations', () => {
    const r = rng('n');
    const xs = Array.from({ length: 20000 }, () => r.normal());
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    const v = xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length;
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(v - 1)).toBeLessThan(0.05);
    const p = Array.from(rng(1).permutation(100)).sort((a, b) => a - b);
    expect(p).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
