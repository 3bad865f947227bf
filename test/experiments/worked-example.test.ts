import { describe, expect, it } from 'vitest';
import { workedExample } from '../../experiments/worked-example.ts';

describe('worked example (x=1, w1=0.5, w2=-0.3, y=1)', () => {
  it('matches the chain rule written out by hand in float64', () => {
    const s = (z: number) => 1 / (1 + Math.exp(-z));
    const h = s(0.5);
    const yHat = s(-0.3 * h);
    const dz2 = (yHat - 1) * yHat * (1 - yHat);
    const want = { loss: 0.5 * (yHat - 1) ** 2, dLdw2: dz2 * h, dLdw1: dz2 * -0.3 * h * (1 - h) };
    const r = workedExample();
    expect(r.loss).toBeCloseTo(want.loss, 6);
    expect(r.dLdw2).toBeCloseTo(want.dLdw2, 6);
    expect(r.dLdw1).toBeCloseTo(want.dLdw1, 7);
    expect(r.w2After).toBeCloseTo(-0.3 - want.dLdw2, 6);
    expect(r.w1After).toBeCloseTo(0.5 - want.dLdw1, 7);
  });

  it('agrees with the published 3-digit figures (which round intermediates) within 0.5%', () => {
    const r = workedExample();
    const within = (got: number, published: number) => expect(Math.abs(got - published) / Math.abs(published)).toBeLessThan(5e-3);
    within(r.loss, 0.15);
    within(r.dLdw2, -0.084);
    within(r.dLdw1, 0.00952);
    expect(Number(r.w2After.toPrecision(3))).toBe(-0.216);
    expect(Number(r.w1After.toPrecision(3))).toBe(0.49);
  });
});
