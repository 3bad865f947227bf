// Synthetic generators: determinism per seed, shapes, label ranges, and basic structure.
import { describe, expect, it } from 'vitest';
import { rng } from '../../src/random.ts';
import { blobs, circle, teacherStudent, twoSpirals, xor } from '../../src/data/synthetic.ts';

describe('xor', () => {
  it('gives the 4 classic points with XOR labels', () => {
    const ds = xor();
    expect(ds.n).toBe(4);
    expect(Array.from(ds.x)).toEqual([0, 0, 0, 1, 1, 0, 1, 1]);
    expect(Array.from(ds.y)).toEqual([0, 1, 1, 0]);
    expect(ds.classes).toBe(2);
  });

  it('noisy variant is seeded and keeps labels tied to the nearest corner', () => {
    const a = xor({ n: 100, noise: 0.1, rng: rng(1) });
    const b = xor({ n: 100, noise: 0.1, rng: rng(1) });
    const c = xor({ n: 100, noise: 0.1, rng: rng(2) });
    expect(a.n).toBe(100);
    expect(a.x).toEqual(b.x);
    expect(a.x).not.toEqual(c.x);
    for (let i = 0; i < a.n; i++) {
      const bitA = Math.round(a.x[2 * i]);
      const bitB = Math.round(a.x[2 * i + 1]);
      expect(a.y[i]).toBe(bitA ^ bitB);
    }
  });
});

describe('twoSpirals', () => {
  it('is deterministic per seed with 2 features and labels in {0, 1}', () => {
    const a = twoSpirals(200, 0.01, rng('s'));
    expect(a.x).toEqual(twoSpirals(200, 0.01, rng('s')).x);
    expect(a.x).not.toEqual(twoSpirals(200, 0.01, rng('t')).x);
    expect(a.features).toBe(2);
    expect(a.shape).toEqual([2]);
    expect(new Set(a.y)).toEqual(new Set([0, 1]));
    // Noise-free radius is at most 1.
    for (let i = 0; i < a.n; i++) expect(Math.hypot(a.x[2 * i], a.x[2 * i + 1])).toBeLessThan(1.1);
  });
});

describe('circle', () => {
  it('is deterministic per seed: a disc (class 0, radius ≤ 0.5) inside a ring (class 1, radius 0.7 to 1), balanced', () => {
    const a = circle(300, 0, rng('c'));
    expect(a.x).toEqual(circle(300, 0, rng('c')).x);
    expect(a.x).not.toEqual(circle(300, 0, rng('d')).x);
    expect([a.n, a.features, a.classes, a.name]).toEqual([300, 2, 2, 'circle']);
    expect(a.y.filter((c) => c === 1).length).toBe(150);
    for (let i = 0; i < a.n; i++) {
      const r = Math.hypot(a.x[2 * i], a.x[2 * i + 1]);
      if (a.y[i] === 0) expect(r).toBeLessThanOrEqual(0.5 + 1e-6);
      else expect(r).toBeGreaterThanOrEqual(0.7 - 1e-6);
    }
    // Noise blurs the gap between them.
    const noisy = circle(300, 0.2, rng('c'));
    expect(noisy.x).not.toEqual(a.x);
  });
});

describe('blobs', () => {
  it('is deterministic per seed with the requested shape and every class present', () => {
    const a = blobs(300, 5, 7, 0.05, rng(3));
    expect(a.x).toEqual(blobs(300, 5, 7, 0.05, rng(3)).x);
    expect(a.x).not.toEqual(blobs(300, 5, 7, 0.05, rng(4)).x);
    expect([a.n, a.features, a.classes]).toEqual([300, 7, 5]);
    expect(a.x.length).toBe(300 * 7);
    expect(new Set(a.y)).toEqual(new Set([0, 1, 2, 3, 4]));
  });

  it('keeps the same centres for a seed regardless of n', () => {
    const small = blobs(10, 2, 3, 0, rng(5));
    const large = blobs(50, 2, 3, 0, rng(5));
    expect(large.x.subarray(0, 30)).toEqual(small.x);
  });
});

describe('teacherStudent', () => {
  it('is deterministic per seed and gives finite, non-constant regression targets', () => {
    const a = teacherStudent(64, 6, 12, 3, rng(9));
    expect(a.kind).toBe('regression');
    expect([a.n, a.features, a.targets, a.classes]).toEqual([64, 6, 3, 0]);
    expect(a.y.length).toBe(64 * 3);
    expect(a.y).toEqual(teacherStudent(64, 6, 12, 3, rng(9)).y);
    expect(a.y).not.toEqual(teacherStudent(64, 6, 12, 3, rng(10)).y);
    const spread = Math.max(...a.y) - Math.min(...a.y);
    expect(spread).toBeGreaterThan(0.1);
  });
});
