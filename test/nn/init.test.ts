// Init schemes: deterministic per seed, and the empirical variance of a large matrix matches theory.
import { describe, expect, it } from 'vitest';
import {
  INIT_NAMES,
  heNormal,
  heUniform,
  initByName,
  xavierNormal,
  xavierUniform,
  zerosInit,
  type WeightShape,
} from '../../src/nn/init.ts';
import { SpecError } from '../../src/errors.ts';
import { rng } from '../../src/random.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';

function moments(t: Tensor): { mean: number; variance: number; maxAbs: number } {
  let s = 0;
  let ss = 0;
  let maxAbs = 0;
  for (const v of t.data) {
    s += v;
    ss += v * v;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const mean = s / t.size;
  return { mean, variance: ss / t.size - mean * mean, maxAbs };
}

const shape: WeightShape = [300, 500]; // fanOut 300, fanIn 500: 150k draws
const cases = [
  { name: 'xavierUniform', f: xavierUniform, variance: 2 / 800, bound: Math.sqrt(6 / 800) },
  { name: 'xavierNormal', f: xavierNormal, variance: 2 / 800, bound: Infinity },
  { name: 'heUniform', f: heUniform, variance: 2 / 500, bound: Math.sqrt(6 / 500) },
  { name: 'heNormal', f: heNormal, variance: 2 / 500, bound: Infinity },
];

describe('init schemes', () => {
  for (const c of cases) {
    it(`${c.name}: variance ${c.variance.toExponential(2)} within 2%, mean ≈ 0, stored [fanOut, fanIn]`, () => {
      const w = c.f(shape, rng('init-variance'));
      expect(w.shape).toEqual([300, 500]);
      const m = moments(w);
      // Std error of the sample variance is ~ variance·√(2/n) ≈ 0.4% (normal) here.
      expect(Math.abs(m.variance / c.variance - 1)).toBeLessThan(0.02);
      expect(Math.abs(m.mean)).toBeLessThan(5 * Math.sqrt(c.variance / w.size));
      expect(m.maxAbs).toBeLessThanOrEqual(c.bound);
      if (c.bound !== Infinity) expect(m.maxAbs).toBeGreaterThan(0.99 * c.bound);
    });

    it(`${c.name}: same seed, same weights; another seed, other weights`, () => {
      const a = c.f([4, 6], rng(7).child('init'));
      const b = c.f([4, 6], rng(7).child('init'));
      const other = c.f([4, 6], rng(8).child('init'));
      expect(a.toArray()).toEqual(b.toArray());
      expect(a.toArray()).not.toEqual(other.toArray());
    });
  }

  it('gain scales the standard deviation', () => {
    const w = xavierNormal(shape, rng('gain'), { gain: 5 / 3 });
    expect(Math.abs(moments(w).variance / ((25 / 9) * (2 / 800)) - 1)).toBeLessThan(0.02);
  });

  it('zeros draws nothing and is all zero', () => {
    const r = rng('zeros');
    expect(zerosInit([3, 2], r).toArray()).toEqual([0, 0, 0, 0, 0, 0]);
    expect(r.uniform()).toBe(rng('zeros').uniform());
  });

  it('initByName finds every scheme and rejects unknown names and bad shapes', () => {
    expect(INIT_NAMES).toEqual(['xavierUniform', 'xavierNormal', 'heUniform', 'heNormal', 'zeros']);
    const w = initByName('heNormal')([3, 4], rng(1));
    expect(w.toArray()).toEqual(heNormal([3, 4], rng(1)).toArray());
    expect(() => initByName('kaiming')).toThrow(SpecError);
    expect(() => initByName('kaiming')).toThrow(/"kaiming".*xavierUniform, xavierNormal, heUniform, heNormal, zeros/);
    expect(() => initByName('constructor')).toThrow(SpecError);
    expect(() => initByName('heNormal', { gain: -1 })).toThrow(/gain/);
    expect(() => initByName('xavierUniform')([0, 4], rng(1))).toThrow(/\[fanOut, fanIn\]/);
  });
});
