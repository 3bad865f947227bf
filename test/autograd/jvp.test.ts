// Forward mode: every primitive's JVP against finite differences and against its VJP by the
// transposition identity ⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩ (table-driven from op-cases.ts, with each input's
// tangent alone too), composites by composition, and the API: jvp, valueAndJvp, lazy tangents,
// customVjp's jvp option, and a forward-mode pass that tapes and saves nothing.
import { describe, expect, it } from 'vitest';
import * as R from '../../src/index.ts';
import {
  Tensor,
  activation,
  batchNorm,
  buildModel,
  classification,
  customVjp,
  fromArray,
  jvp,
  layerNorm,
  ledger,
  normal,
  rng,
  valueAndGrad,
  valueAndJvp,
  type ModelSpec,
} from '../../src/index.ts';
import { OPS } from '../../src/autograd/ops.ts';
import { jvpCheck } from '../../src/testing.ts';
import { CASES } from './op-cases.ts';

const r = rng('jvp');
const u = (shape: number[], lo = -2, hi = 2) => R.uniform(shape, lo, hi, r);

describe('jvp of every primitive', () => {
  for (const [name, cases] of Object.entries(CASES)) {
    it(`${name}: J·v matches finite differences and the VJP's transpose`, () => {
      expect(OPS.has(name)).toBe(true);
      cases.forEach((c, i) => {
        const all = jvpCheck(c.f, c.inputs, { seed: i });
        expect(all.ok, `${name} case ${i}: max error ${all.maxAbsError}, ⟨Jv,u⟩ ${all.forward} vs ⟨v,Jᵀu⟩ ${all.reverse}`).toBe(true);
        if (c.inputs.length > 1) {
          c.inputs.forEach((_, k) => {
            const one = jvpCheck(c.f, c.inputs, { seed: i, only: k });
            expect(
              one.ok,
              `${name} case ${i}, tangent on input ${k} only: max error ${one.maxAbsError}, ${one.forward} vs ${one.reverse}`,
            ).toBe(true);
          });
        }
      });
    });
  }

  it('max with tied maxima: the JVP is still the exact transpose of the VJP (both sum over ties)', () => {
    const x = fromArray([1, 3, 3, 0, 2, 2, 2, -1], [2, 4]);
    const res = jvpCheck((t) => R.max(t, 1), [x]);
    expect(res.transposeError).toBeLessThan(1e-12);
  });

  it('detects a wrong JVP (the check can fail)', () => {
    // Correct VJP, JVP off by a factor 2.
    const sq = customVjp(
      'squareWrongJvp',
      (x: Tensor) => ({ out: R.square(x), saved: [x] }),
      ([x], g) => [R.mul(g, R.mul(x, R.scalar(2)))],
      {
        jvp: ([t], [x]) => t && R.mul(t, x),
      },
    );
    const res = jvpCheck(sq, [u([4], 0.5, 2)]);
    expect(res.ok).toBe(false);
    expect(res.transposeError).toBeGreaterThan(0.1);
  });

  it('composites get their JVP by composition: layer norm, batch norm in evaluation, an expression activation', () => {
    const running = { mean: u([3]), variance: u([3], 0.5, 2) };
    const checks = [
      jvpCheck((x, g, b) => layerNorm(x, g, b), [u([3, 5]), u([5]), u([5])]),
      jvpCheck((x, g, b) => batchNorm(x, g, b, { training: false, running }), [u([4, 3, 2, 2]), u([3]), u([3])]),
      jvpCheck((x) => activation('x * sigmoid(x)').fn(x), [u([2, 3])]),
    ];
    for (const c of checks) expect(c.ok, `${c.maxAbsError}, ${c.forward} vs ${c.reverse}`).toBe(true);
  });
});

describe('forward-mode API', () => {
  const conv: ModelSpec = {
    layers: [
      { type: 'conv2d', channels: 3, kernel: 3, padding: 1 },
      { type: 'batchNorm' },
      'relu',
      { type: 'maxPool2d', kernel: 2 },
      { type: 'conv2d', channels: 4, kernel: 3 },
      'tanh',
      { type: 'avgPool2d', kernel: 2 },
      'flatten',
      { type: 'dense', units: 3 },
    ],
  };
  const mlp: ModelSpec = { sizes: [6, 8, 5, 3], activation: 'gelu', layerNorm: true };

  for (const [name, spec, sample] of [
    ['mlp', mlp, [6]],
    ['conv', conv, [1, 8, 8]],
  ] as const) {
    it(`${name}: the directional derivative of the loss equals ⟨∇L, v⟩ from reverse mode`, () => {
      const model = buildModel(spec, { sampleShape: [...sample], outputs: 3 });
      const params = model.init(rng(1).child('init'));
      const x = normal([5, ...sample], 0, 1, rng(1).child('x'));
      const batch = { x, labels: Int32Array.from([0, 1, 2, 1, 0]), size: 5 };
      const task = classification(3);
      const loss = (p: Tensor[]) => task.loss(model.forward(p, batch.x, { training: true }), batch);
      const vs = params.map((p, i) => normal(p.shape, 0, 1, rng(1).child(`v${i}`)));
      const fwd = valueAndJvp(loss)(params, vs);
      const rev = valueAndGrad(loss)(params);
      let dot = 0;
      rev.grads.forEach((g, i) => g.data.forEach((v, k) => (dot += v * vs[i].data[k])));
      expect(fwd.value.item()).toBe(rev.value.item());
      expect(fwd.tangent.item()).toBeCloseTo(dot, 4);
      // The same tangents made lazily, on their first use, give the same number.
      expect(valueAndJvp(loss)(params, (_p, i) => vs[i]).tangent.item()).toBe(fwd.tangent.item());
    });
  }

  it('a forward-mode pass tapes nothing and saves no activations; lazy tangents lower its peak', () => {
    const model = buildModel({ sizes: [64, 256, 256, 256, 10] }, null);
    const params = model.init(rng(2).child('init'));
    const batch = { x: normal([16, 64], 0, 1, rng(2).child('x')), labels: new Int32Array(16), size: 16 };
    const task = classification(10);
    const loss = (p: Tensor[]) => task.loss(model.forward(p, batch.x), batch);
    const peak = (fn: () => unknown) => ledger().measure(fn).memory;
    const tangents = () => params.map((p, i) => normal(p.shape, 0, 1, rng(2).child(`v${i}`)));
    const eager = peak(() => valueAndJvp(loss)(params, tangents()));
    const lazy = peak(() => valueAndJvp(loss)(params, (p, i) => normal(p.shape, 0, 1, rng(2).child(`v${i}`))));
    const reverse = peak(() => valueAndGrad(loss)(params));
    expect(eager.peakByCategory['saved-activation']).toBe(0);
    expect(lazy.peakByCategory['saved-activation']).toBe(0);
    expect(reverse.peakByCategory['saved-activation']).toBeGreaterThan(0);
    // One weight's tangent at a time: the two 256×256 ones are never live together (eagerly, both are from the start).
    expect(lazy.peakBytes).toBeLessThan(eager.peakBytes - 256 * 256 * 4);
  });

  it('jvp returns the output and its tangent; zero when the output ignores the tangents', () => {
    const a = u([3]);
    const b = u([3]);
    const { out, tangent } = jvp(([x, y]: Tensor[]) => R.mul(x, y), [a, b], [R.ones([3]), R.zeros([3])]);
    expect(Array.from(out.data)).toEqual(Array.from(R.mul(a, b).data));
    expect(Array.from(tangent.data)).toEqual(Array.from(b.data));
    const none = jvp(([, y]: Tensor[]) => R.exp(y), [a, b], [R.ones([3]), R.zeros([3]).clone()]);
    expect(Array.from(none.tangent.data)).toEqual(Array.from(R.mul(R.exp(b), R.zeros([3])).data));
    const ignores = jvp((x: Tensor) => R.exp(b), a, R.ones([3]));
    expect(Array.from(ignores.tangent.data)).toEqual([0, 0, 0]);
  });

  it('stopGradient stops the tangent too', () => {
    const a = u([4]);
    const { tangent } = jvp((x: Tensor) => R.add(R.stopGradient(x), x), a, R.ones([4]));
    expect(Array.from(tangent.data)).toEqual([1, 1, 1, 1]);
  });

  it('tangents must match the primals: count and shapes are checked, naming what differs', () => {
    const a = u([3]);
    expect(() => jvp((x: Tensor[]) => x[0], [a], [u([3]), u([3])])).toThrow(/2 tangents for 1 primals/);
    expect(() => jvp((x: Tensor) => x, a, u([4]))).toThrow(/tangent 0 has shape \[4\] but its primal has shape \[3\]/);
    expect(() =>
      jvp(
        (x: Tensor) => R.exp(x),
        a,
        () => u([2]),
      ),
    ).toThrow(/lazy tangent of shape \[2\]/);
  });

  it('customVjp: forward mode through one without a JVP is an error naming it; with a jvp option it works', () => {
    const noJvp = customVjp(
      'myOp',
      (x: Tensor) => ({ out: R.tanh(x) }),
      (_s, g) => [g],
    );
    expect(() => jvp((x: Tensor) => noJvp(x), u([3]), u([3]))).toThrow(/op "myOp" was defined with customVjp and has no JVP/);
    // Inputs without tangents pass: nothing asks for its derivative.
    const c = u([3]);
    expect(jvp((x: Tensor) => R.add(x, noJvp(c)), u([3]), R.ones([3])).tangent.toArray()).toEqual([1, 1, 1]);
    const withJvp = customVjp(
      'myTanh',
      (x: Tensor) => ({ out: R.tanh(x), saved: [x] }),
      ([x], g) => [R.mul(g, R.sub(R.ones(x.shape), R.square(R.tanh(x))))],
      {
        jvp: ([t], [x]) => t && R.mul(t, R.sub(R.ones(x.shape), R.square(R.tanh(x)))),
      },
    );
    expect(jvpCheck(withJvp, [u([5])]).ok).toBe(true);
  });

  it('differentiation is first order: jvp inside valueAndGrad treats the tangent as a constant', () => {
    const a = u([3]);
    const v = R.ones([3]);
    const { grads } = valueAndGrad((x: Tensor) => R.sum(R.mul(jvp((y: Tensor) => R.square(y), x, v).out, R.ones([3]))))(a);
    a.data.forEach((xi, k) => expect(grads.data[k]).toBeCloseTo(2 * xi, 5));
  });
});
