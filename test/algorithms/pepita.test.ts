// PEPITA: the updates follow the paper's rule computed by hand on a small net; with F = 0 the
// second pass repeats the first, so hidden layers get nothing and the output layer its true
// gradient; normalization parameters are not trained; models it is not defined for are refused.
import { describe, expect, it } from 'vitest';
import { backprop } from '../../algorithms/backprop.ts';
import { pepita, type PepitaState } from '../../algorithms/pepita.ts';
import { CONFORMANCE_MODELS } from '../../src/testing.ts';
import {
  blobs,
  buildModel,
  classification,
  fromArray,
  materialize,
  regression,
  rng,
  ruleContext,
  type AnyRule,
  type Batch,
  type ModelSpec,
  type RuleOptions,
  type Task,
} from '../../src/index.ts';

function setup(spec: ModelSpec, sample: number[], options: RuleOptions, classes = 3, task: Task = classification(classes)) {
  const model = buildModel(spec, { sampleShape: sample, outputs: classes });
  const params = model.init(rng(9).child('init'));
  const ds = blobs(8, classes, model.inputSize, 0.8, rng(9).child('data'));
  const batch: Batch = { x: fromArray(ds.x, [ds.n, ds.features]), labels: ds.y, size: ds.n };
  const ctx = (rule: AnyRule, o: RuleOptions) =>
    ruleContext({ model, task, params, rule, options: o, rng: rng(9).child('rule'), dropout: rng(9), step: 0 });
  return { model, params, batch, ctx: ctx(pepita as AnyRule, options), bpCtx: ctx(backprop as AnyRule, {}) };
}

const tanh = Math.tanh;

describe('pepita', () => {
  it('computes the paper’s updates: ΔW₁ = (h₁ − h₁ᵐᵒᵈ)(x + Fe)ᵀ/n, ΔW₂ = eᵐᵒᵈ·h₁ᵐᵒᵈᵀ/n', () => {
    const s = setup({ sizes: [4, 5, 3], activation: 'tanh', init: 'xavierUniform' }, [4], { fScale: 2 });
    const state = pepita.init(s.ctx as never) as PepitaState;
    const u = materialize(pepita.step(s.ctx as never, state, s.batch).updates);
    const [W1, b1, W2, b2] = s.params.map((p) => Array.from(p.data));
    const F = Array.from(state.projection.data); // [4, 3]
    const n = s.batch.size;
    const forward = (x: number[]) => {
      const h = [0, 1, 2, 3, 4].map((j) => tanh(b1[j] + x.reduce((a, xi, i) => a + W1[j * 4 + i] * xi, 0)));
      const z = [0, 1, 2].map((c) => b2[c] + h.reduce((a, hj, j) => a + W2[c * 5 + j] * hj, 0));
      const m = Math.max(...z);
      const ez = z.map((v) => Math.exp(v - m));
      const p = ez.map((v) => v / ez.reduce((a, b) => a + b, 0));
      return { h, p };
    };
    const dW1 = new Array(20).fill(0);
    const dW2 = new Array(15).fill(0);
    for (let r = 0; r < n; r++) {
      const x = Array.from(s.batch.x.data.subarray(r * 4, r * 4 + 4));
      const y = s.batch.labels![r];
      const first = forward(x);
      const e = first.p.map((p, c) => p - (c === y ? 1 : 0));
      const xm = x.map((xi, i) => xi + e.reduce((a, ec, c) => a + F[i * 3 + c] * ec, 0));
      const mod = forward(xm);
      const em = mod.p.map((p, c) => p - (c === y ? 1 : 0));
      for (let j = 0; j < 5; j++) for (let i = 0; i < 4; i++) dW1[j * 4 + i] += ((first.h[j] - mod.h[j]) * xm[i]) / n;
      for (let c = 0; c < 3; c++) for (let j = 0; j < 5; j++) dW2[c * 5 + j] += (em[c] * mod.h[j]) / n;
    }
    Array.from(u[0].data).forEach((v, k) => expect(v).toBeCloseTo(dW1[k], 5));
    Array.from(u[2].data).forEach((v, k) => expect(v).toBeCloseTo(dW2[k], 5));
    // The modulation did change the hidden layer's activity (so ΔW₁ is not trivially zero).
    expect(Math.max(...dW1.map(Math.abs))).toBeGreaterThan(1e-4);
  });

  it('with F = 0 the passes agree: hidden layers get zero updates, the output layer its true gradient', () => {
    const s = setup({ sizes: [6, 8, 7, 3], activation: 'relu' }, [6], { fScale: 0 });
    const u = materialize(pepita.step(s.ctx as never, pepita.init(s.ctx as never), s.batch).updates);
    const bp = materialize(backprop.step(s.bpCtx as never, null, s.batch).updates);
    for (let i = 0; i < 4; i++)
      expect(
        u[i].data.every((v) => v === 0),
        s.model.paramNames[i],
      ).toBe(true);
    for (const i of [4, 5]) u[i].data.forEach((v, k) => expect(v).toBeCloseTo(bp[i].data[k], 6));
  });

  it('does not train batch-norm parameters, and draws F uniform on ±fScale·√(6/inputs)', () => {
    const s = setup(CONFORMANCE_MODELS.conv as ModelSpec, [1, 6, 6], {}, 4);
    const state = pepita.init(s.ctx as never) as PepitaState;
    const u = materialize(pepita.step(s.ctx as never, state, s.batch).updates);
    s.model.paramNames.forEach((name, i) => {
      if (name.startsWith('bn'))
        expect(
          u[i].data.every((v) => v === 0),
          name,
        ).toBe(true);
      else
        expect(
          u[i].data.some((v) => v !== 0),
          name,
        ).toBe(true);
    });
    const bound = 0.05 * Math.sqrt(6 / 36);
    expect(state.projection.shape).toEqual([36, 4]);
    expect(Math.max(...state.projection.data.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...state.projection.data.map(Math.abs))).toBeGreaterThan(0.8 * bound);
  });

  it('refuses a regression task and a residual net, naming what is wrong', () => {
    const r = setup({ sizes: [4, 5, 3] }, [4], {}, 3, regression());
    expect(() => pepita.check!(r.ctx as never)).toThrow(/^pepita: needs a classification task/);
    const res = setup(CONFORMANCE_MODELS.residual as ModelSpec, [1, 6, 6], {}, 4);
    expect(() => pepita.check!(res.ctx as never)).toThrow(
      /^pepita: the module at "block1\.conv1" has parameters inside the residual at "block1"/,
    );
  });
});
