// compare's cosine and norm ratio from the lean pass synthetic gradients reports every step: the
// same sums in the same order, so the same bits as compare's.
import { describe, expect, it } from 'vitest';
import { compare, cosineAndNormRatio, fromArray, rng } from '../../src/index.ts';

describe('cosineAndNormRatio', () => {
  it("gives compare's cosine and norm ratio bit for bit, zeros and signs included", () => {
    const r = rng(3);
    const n = 4099;
    const a = new Float32Array(n).map(() => r.normal());
    // Exact zeros in the reference, as a ReLU net's gradients have.
    const b = new Float32Array(n).map((_, i) => (i % 5 === 0 ? 0 : r.normal() * 1e-3));
    const [ta, tb] = [fromArray(a, [n]), fromArray(b, [n])];
    const full = compare(ta, tb);
    const lean = cosineAndNormRatio(ta, tb);
    expect(Object.is(lean.cosine, full.cosine)).toBe(true);
    expect(Object.is(lean.normRatio, full.normRatio)).toBe(true);
    // Figures worth comparing: neither degenerate.
    expect(Math.abs(full.cosine)).toBeGreaterThan(0);
    expect(full.normRatio).toBeGreaterThan(0);
    // A zero update: cosine and norm ratio 0, as compare gives.
    expect(cosineAndNormRatio(fromArray(new Float32Array(n), [n]), tb)).toEqual({ cosine: 0, normRatio: 0 });
  });
});
