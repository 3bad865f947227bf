// Zeroth-order estimate quality against the true gradient: for SPSA along n Gaussian directions
// (MeZO) the theory is known — E[ĝ] = g and E‖ĝ − g‖² = (d + 1)‖g‖²/n — so the measurement is
// checked against it; mirrored ES without shaping is the same estimator per pair.
import { describe, expect, it } from 'vitest';
import { evolutionStrategies } from '../../algorithms/evolution-strategies.ts';
import { mezo } from '../../algorithms/mezo.ts';
import {
  blobs,
  buildModel,
  classification,
  estimateQuality,
  fromArray,
  rng,
  ruleContext,
  SpecError,
  trueGradient,
  zeros,
  type AnyRule,
  type Batch,
  type RuleOptions,
} from '../../src/index.ts';

const model = buildModel({ sizes: [6, 5, 3], activation: 'tanh', init: 'xavierUniform' });
const params = model.init(rng(0).child('init'));
const ds = blobs(32, 3, 6, 0.8, rng(0).child('data'));
const batch: Batch = { x: fromArray(ds.x, [ds.n, ds.features]), labels: ds.y, size: ds.n };
const task = classification(3);
const reference = trueGradient(model, task, params, batch).grads;
const d = reference.reduce((a, g) => a + g.size, 0);

function quality(rule: AnyRule, options: RuleOptions, draws = 400) {
  const ctx = (step: number) => ruleContext({ model, task, params, rule, options, rng: rng(9), dropout: rng(2), step });
  const state = rule.init(ctx(-1));
  return estimateQuality(reference, (r) => rule.step(ctx(r), state, batch).updates, draws);
}

describe('zeroth-order estimate quality', () => {
  it('SPSA (MeZO) along n Gaussian directions: unbiased scale, relative variance (d + 1)/n, cosine growing like √(n/d)', () => {
    const one = quality(mezo as AnyRule, { samples: 1 });
    const eight = quality(mezo as AnyRule, { samples: 8 });
    expect(one.parameters).toBe(d);
    expect(Math.abs(one.relativeVariance / (d + 1) - 1)).toBeLessThan(0.2);
    expect(Math.abs(eight.relativeVariance / ((d + 1) / 8) - 1)).toBeLessThan(0.15);
    for (const q of [one, eight]) expect(Math.abs(q.scale - 1)).toBeLessThan(0.15);
    expect(eight.cosine).toBeGreaterThan(2 * one.cosine);
    expect(Math.abs(eight.cosine / Math.sqrt(8 / (8 + d + 1)) - 1)).toBeLessThan(0.15);
  });

  it('mirrored ES without fitness shaping is SPSA per pair: population 2n has SPSA-n’s variance', () => {
    const es = quality(evolutionStrategies as AnyRule, { population: 8, shaping: 'none', sigma: 1e-3 });
    expect(Math.abs(es.relativeVariance / ((d + 1) / 4) - 1)).toBeLessThan(0.15);
  });

  it('the calibration makes rank-shaped ES, whose scale is arbitrary, comparable: its variance is near SPSA’s at equal passes', () => {
    const ranked = quality(evolutionStrategies as AnyRule, { population: 8, sigma: 1e-2 });
    expect(ranked.scale).not.toBeCloseTo(1, 1);
    expect(ranked.relativeVariance / ((d + 1) / 4)).toBeGreaterThan(0.7);
    expect(ranked.relativeVariance / ((d + 1) / 4)).toBeLessThan(1.6);
  });

  it('refuses a zero reference and a draw with the wrong number of updates', () => {
    expect(() =>
      estimateQuality(
        reference.map((g) => zeros(g.shape)),
        () => reference,
        2,
      ),
    ).toThrow(SpecError);
    expect(() => estimateQuality(reference, () => reference.slice(0, -1), 2)).toThrow(/updates for/);
  });
});
