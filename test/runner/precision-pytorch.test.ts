// A bf16 mixed-precision run against PyTorch's (test/fixtures/mlp-bf16.json, made by
// test/fixtures/mlp-bf16.py): float32 masters, forward and backward in bfloat16, SGD on the
// masters, from the same bf16-representable weights and inputs. Each step's loss and the first
// step's gradients must agree within bfloat16's resolution (a few units in the last place of 2^-8).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as R from '../../src/index.ts';
import { buildModel, rng, sgd, tensor, valueAndGrad, type Tensor } from '../../src/index.ts';
import { floatFormat } from '../../src/kernels/float-formats.ts';
import { referenceBackend } from '../../src/kernels/reference.ts';
import { applyUpdates } from '../../src/runner/apply.ts';
import { PrecisionRun, resolvePrecision, type PrecisionSpec } from '../../src/runner/precision.ts';

interface Fixture {
  sizes: number[];
  lr: number;
  steps: number;
  x: number[][];
  y: number[];
  params: number[][];
  losses: number[];
  grads_step0: number[][];
  final_params: number[][];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/mlp-bf16.json', import.meta.url), 'utf8')) as Fixture;

/** The run at `precision` (absent: float32): each step's loss, the first step's updates, the final masters. */
function train(precision?: PrecisionSpec) {
  const model = buildModel({ sizes: fx.sizes, activation: 'tanh' });
  const params = model.init(rng(0));
  params.forEach((p, i) => p.data.set(fx.params[i]));
  const optimizer = sgd({ lr: fx.lr });
  const optState = optimizer.init(params);
  const run = precision ? new PrecisionRun(resolvePrecision(precision), model, rng(0)) : null;
  const x = tensor(fx.x);
  const loss = (ps: Tensor[]) => {
    let h = x;
    for (let i = 0; i < ps.length; i += 2) {
      h = R.add(R.matmul(h, ps[i], false, true), ps[i + 1]);
      if (i + 2 < ps.length) h = R.tanh(h);
    }
    return R.softmaxCrossEntropy(h, fx.y);
  };
  const losses: number[] = [];
  let first: number[][] = [];
  for (let step = 0; step < fx.steps; step++) {
    const stepFn = () => valueAndGrad(loss)(params);
    const { value, grads } = run ? run.step(params, step, stepFn) : stepFn();
    losses.push(value.item());
    applyUpdates(grads, { ruleId: 'backprop', model, params, optimizer, optState, step, ...(run ? { precision: run } : {}) });
    run?.afterStep(params, optState);
    if (step === 0) first = grads.map((g) => Array.from(g.data));
  }
  return { losses, first, final: params.map((p) => Array.from(p.data)) };
}

const ULP = 2 ** -8; // bfloat16's unit roundoff scale: 8 significant bits
const isBf16 = (v: number) => {
  const b = Float32Array.of(v);
  referenceBackend.quantize(b, b, floatFormat('bf16', 'test'), null, 0);
  return b[0] === Math.fround(v);
};
/** The largest |a − b| over a tensor, in units of bf16's resolution at the tensor's largest entry. */
const ulpsApart = (a: number[], b: number[]) => {
  const scale = Math.max(...b.map(Math.abs)) * ULP;
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]))) / scale;
};

describe('a bf16 run against PyTorch bf16 from the same weights', () => {
  const bf16 = train({ compute: 'bf16' });

  it('every step: the loss is a bf16 value within one unit of bf16 resolution of PyTorch’s', () => {
    bf16.losses.forEach((l, i) => {
      expect(isBf16(l), `step ${i} loss ${l}`).toBe(true);
      expect(Math.abs(l - fx.losses[i]) / fx.losses[i], `step ${i}: ${l} vs ${fx.losses[i]}`).toBeLessThanOrEqual(2 * ULP);
    });
  });

  it('the first step’s gradients: bf16 values, within 4 units of bf16 resolution of the largest entry', () => {
    bf16.first.forEach((g, i) => {
      expect(g.every(isBf16), `param ${i}`).toBe(true);
      expect(ulpsApart(g, fx.grads_step0[i]), `param ${i}`).toBeLessThanOrEqual(4);
    });
  });

  it('the float32 masters after the run: within 4 units of bf16 resolution of the change PyTorch made', () => {
    bf16.final.forEach((w, i) => {
      const ours = w.map((v, k) => v - fx.params[i][k]);
      const theirs = fx.final_params[i].map((v, k) => v - fx.params[i][k]);
      expect(ulpsApart(ours, theirs), `param ${i}`).toBeLessThanOrEqual(4);
    });
  });

  it('float32 throughout is not what PyTorch bf16 computed: its losses are not bf16 values', () => {
    expect(train().losses.some((l) => !isBf16(l))).toBe(true);
  });
});
