// The core against outside reference data: PyTorch 1.13 float64 losses and gradients for
// small MLPs (test/fixtures/mlp-gradients.json), computed here in float32. A suite every backend
// runs: pytorch-fixtures.test.ts on the installed one, test/kernels/webgpu-fixtures.test.ts on
// WebGPU with its stated tolerances.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withBackend, type Backend } from '../../src/kernels/index.ts';
import * as R from '../../src/index.ts';
import { Tensor, fromArray, tensor, valueAndGrad } from '../../src/index.ts';
import type { FixtureTolerance } from './layer-fixtures.ts';

interface Case {
  name: string;
  hidden_activation: string;
  loss: 'softmax_cross_entropy' | 'mse';
  x: number[][];
  y: number[] | number[][];
  weights: number[][][];
  biases: number[][];
  loss_value: number;
  grad_weights: number[][][];
  grad_biases: number[][];
}
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/mlp-gradients.json', import.meta.url), 'utf8')) as { cases: Case[] };

const ACT: Record<string, (x: Tensor) => Tensor> = {
  tanh: R.tanh,
  relu: R.relu,
  sigmoid: R.sigmoid,
  gelu_tanh: R.gelu,
  softplus: R.softplus,
  'leaky_relu_0.01': (x) => R.leakyRelu(x, 0.01),
};

function forwardLoss(c: Case, params: { w: Tensor[]; b: Tensor[] }, x: Tensor): Tensor {
  let h = x;
  params.w.forEach((w, i) => {
    h = R.add(R.matmul(h, w, false, true), params.b[i]);
    if (i < params.w.length - 1) h = ACT[c.hidden_activation](h);
  });
  if (c.loss === 'softmax_cross_entropy') return R.softmaxCrossEntropy(h, c.y as number[]);
  const diff = R.sub(h, tensor(c.y as number[][]));
  return R.mul(R.sum(R.square(diff)), R.scalar(0.5 / c.x.length));
}

/** What the suite holds a backend to unless it states its own (every CPU backend passes these). */
export const MLP_TOLERANCE: FixtureTolerance = { rel: 2e-5, abs: 1e-7, loss: 1e-5 };

/** The fixtures on `B` (the installed backend when absent), labelled `label`, within `tol`. */
export function mlpFixtures(label: string, B?: Backend, tol: FixtureTolerance = MLP_TOLERANCE): void {
  const on = (fn: () => void) => (B ? withBackend(B, fn) : fn());
  const close = (got: ArrayLike<number>, want: number[], what: string) => {
    const scale = Math.max(...want.map(Math.abs), 1e-3);
    for (let i = 0; i < want.length; i++) {
      expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol.rel * scale + tol.abs);
    }
  };

  describe(`PyTorch reference MLPs on ${label}`, () => {
    it('has cases for every activation and both losses', () => {
      expect(new Set(fixtures.cases.map((c) => c.hidden_activation))).toEqual(new Set(Object.keys(ACT)));
      expect(new Set(fixtures.cases.map((c) => c.loss))).toEqual(new Set(['softmax_cross_entropy', 'mse']));
    });

    for (const c of fixtures.cases) {
      it(`${c.name}: loss and every gradient match PyTorch`, () =>
        on(() => {
          const params = { w: c.weights.map((w) => tensor(w)), b: c.biases.map((b) => fromArray(b, [b.length])) };
          const { value, grads } = valueAndGrad((p: typeof params) => forwardLoss(c, p, tensor(c.x)))(params);
          expect(Math.abs(value.item() - c.loss_value) / Math.abs(c.loss_value)).toBeLessThan(tol.loss);
          grads.w.forEach((g, i) => close(g.data, c.grad_weights[i].flat(), `${c.name} dW${i}`));
          grads.b.forEach((g, i) => close(g.data, c.grad_biases[i], `${c.name} db${i}`));
        }));
    }
  });
}
