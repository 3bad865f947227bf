// Every primitive op passes finite-difference and random-direction VJP checks (table-driven:
// an op registered without a case in op-cases.ts fails the suite).
import { describe, expect, it } from 'vitest';
import * as R from '../../src/index.ts';
import { Tensor, rng } from '../../src/index.ts';
import { OPS } from '../../src/autograd/ops.ts';
import { attentionComposed } from '../../src/autograd/sequence-ops.ts';
import { withFloat64 } from '../../src/kernels-api.ts';
import { gradcheck, vjpCheck } from '../../src/testing.ts';
import { CASES } from './op-cases.ts';

const r = rng('gradcheck-extra');
const u = (shape: number[], lo = -2, hi = 2) => R.uniform(shape, lo, hi, r);

describe('gradcheck of every primitive', () => {
  it('has a case, a VJP and a JVP for every registered op', () => {
    const missing = [...OPS.keys()].filter((name) => !CASES[name]);
    expect(missing).toEqual([]);
    // Forward mode runs every op's JVP: an op defined without one would fail only when first used.
    const noJvp = [...OPS.entries()]
      .filter(([, rec]) => typeof rec.jvp !== 'function' || typeof rec.vjp !== 'function')
      .map(([name]) => name);
    expect(noJvp).toEqual([]);
  });

  for (const [name, cases] of Object.entries(CASES)) {
    it(`${name}: finite differences and a random-direction VJP agree`, () => {
      expect(OPS.has(name)).toBe(true);
      cases.forEach((c, i) => {
        const res = gradcheck(c.f, c.inputs, { seed: i });
        expect(res.ok, `${name} case ${i}: ${JSON.stringify(res.worst)}`).toBe(true);
        const v = vjpCheck(c.f, c.inputs, { seed: i, rtol: 1e-6 });
        expect(v.ok, `${name} case ${i}: ${v.analytic} vs ${v.numeric}`).toBe(true);
      });
    });
  }

  it('detects a wrong VJP (the check can fail)', () => {
    const wrong = R.customVjp(
      'wrongSquare',
      (x: Tensor) => ({ out: R.square(x), saved: [x] }),
      ([x], g) => [R.mul(g, x)],
    );
    const res = gradcheck(wrong, [u([4], 0.5, 2)]);
    expect(res.ok).toBe(false);
    expect(vjpCheck(wrong, [u([4], 0.5, 2)]).ok).toBe(false);
  });

  it('the fused attention equals attention composed from primitives, values and gradients', () => {
    const [q, k, v] = [u([2, 7, 8]), u([2, 7, 8]), u([2, 7, 8])];
    const g = u([2, 7, 8]);
    const run = (f: typeof R.attention) =>
      withFloat64(() => {
        const ins = [q, k, v].map((x) => R.fromArray(x.data, x.shape));
        const { value, grads } = R.valueAndGrad((p: Tensor[]) => R.sum(R.mul(f(p[0], p[1], p[2], 4), R.fromArray(g.data, g.shape))))(ins);
        return [value.item(), ...grads.flatMap((t) => Array.from(t.data))];
      });
    const fused = run(R.attention);
    const composed = run(attentionComposed);
    for (let i = 0; i < fused.length; i++) expect(Math.abs(fused[i] - composed[i]), `element ${i}`).toBeLessThan(1e-10);
  });

  it('causal attention never lets a query see a later key', () => {
    const [q, k, v] = [u([1, 5, 4]), u([1, 5, 4]), u([1, 5, 4])];
    const a = R.attention(q, k, v, 2).toArray();
    const v2 = v.clone();
    for (let c = 0; c < 4; c++) v2.data[4 * 4 + c] += 10; // change only the last position's value
    const b = R.attention(q, k, v2, 2).toArray();
    expect(a.slice(0, 16)).toEqual(b.slice(0, 16));
    expect(a.slice(16)).not.toEqual(b.slice(16));
  });

  it('checks large inputs by a random direction', () => {
    const a = u([64, 128]);
    const b = u([128, 32]);
    const v = vjpCheck((x, y) => R.tanh(R.matmul(x, y)), [a, b], { eps: 1e-5, rtol: 1e-6 });
    expect(v.ok, `${v.analytic} vs ${v.numeric}`).toBe(true);
  });
});
