// DFA with conv 'kernel' against BioTorch's own code: one step on its LeNetMNIST (the model of
// experiments/biotorch-lenet.ts), float64, the same weights, biases, feedback tensors and batch
// from a formula both sides evaluate (test/fixtures/biotorch-dfa-step.py made the reference).
// Every layer's weight and bias update must match: where the output error enters, how each
// feedback tensor is shaped and applied, and that the output layer keeps its true gradient.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { directFeedbackAlignment } from '../../algorithms/direct-feedback-alignment.ts';
import { withFloat64 } from '../../src/kernels/index.ts';
import {
  buildModel,
  classification,
  fromArray,
  materialize,
  rng,
  ruleContext,
  type AnyRule,
  type Batch,
  type Tensor,
} from '../../src/index.ts';

interface Summary {
  norm: number;
  probe: number;
  first: number[];
}
const ref = JSON.parse(readFileSync(new URL('../fixtures/biotorch-dfa-step.json', import.meta.url), 'utf8')) as {
  labels: number[];
  loss: number;
  grads: Record<string, { weight: Summary; bias: Summary; feedbackShape: number[] }>;
};
const LAYERS = ['conv1', 'conv2', 'conv3', 'fc1', 'fc2'];

/** scale · sin(1.7·i + k): the fixture script's formula. */
const values = (n: number, k: number, scale: number) => Float64Array.from({ length: n }, (_, i) => scale * Math.sin(1.7 * i + k));
const filled = (shape: readonly number[], k: number, scale: number) =>
  fromArray(
    values(
      shape.reduce((a, b) => a * b, 1),
      k,
      scale,
    ),
    [...shape],
  );

function summary(t: Tensor): Summary {
  const probe = values(t.size, 0.25, 1);
  let sq = 0;
  let dot = 0;
  for (let i = 0; i < t.size; i++) {
    sq += t.data[i] ** 2;
    dot += t.data[i] * probe[i];
  }
  return { norm: Math.sqrt(sq), probe: dot, first: Array.from(t.data.subarray(0, 6)) };
}

describe("DFA conv 'kernel' against BioTorch's DFA layers", () => {
  it('one step on LeNetMNIST gives BioTorch’s loss and every layer’s weight and bias gradient', () => {
    withFloat64(() => {
      const model = buildModel({ preset: 'lenet5', c5: 'conv', init: 'xavierUniform' }, { sampleShape: [1, 32, 32], outputs: 10 });
      const params = model.init(rng(0).child('init'));
      LAYERS.forEach((name, j) => {
        const p = model.find(name)!.params;
        const w = params[p.weight.index];
        params[p.weight.index] = filled(w.shape, 10 * j + 1, 1.7 / Math.sqrt(w.size / w.shape[0]));
        params[p.bias!.index] = filled(params[p.bias!.index].shape, 10 * j + 2, 0.1);
      });
      const ctx = ruleContext({
        model,
        task: classification(10),
        params,
        rule: directFeedbackAlignment as AnyRule,
        options: { conv: 'kernel' },
        rng: rng(0),
        dropout: rng(0).child('dropout'),
        step: 0,
      });
      const state = directFeedbackAlignment.init(ctx as never);
      // BioTorch gives conv1 a feedback tensor too, unused: its input (the data) has no gradient.
      expect(Object.keys(state.feedback).sort()).toEqual(['conv2', 'conv3', 'fc1', 'fc2']);
      LAYERS.forEach((name, j) => {
        const B = state.feedback[name];
        if (!B) return;
        expect(B.shape).toEqual(ref.grads[name].feedbackShape);
        state.feedback[name] = filled(B.shape, 10 * j + 3, 1.7 / Math.sqrt(B.size / B.shape[0]));
      });
      const batch: Batch = { x: fromArray(values(4 * 32 * 32, 0.5, 1.5), [4, 1, 32, 32]), labels: Int32Array.from(ref.labels), size: 4 };
      const { loss, updates } = directFeedbackAlignment.step(ctx as never, state, batch);
      expect(loss).toBeCloseTo(ref.loss, 12);
      const ups = materialize(updates);
      const close = (got: number, want: number, scale: number) => expect(Math.abs(got - want)).toBeLessThan(1e-10 * scale);
      for (const name of LAYERS) {
        const p = model.find(name)!.params;
        for (const [k, index] of [
          ['weight', p.weight.index],
          ['bias', p.bias!.index],
        ] as const) {
          const got = summary(ups[index]);
          const want = ref.grads[name][k];
          close(got.norm, want.norm, want.norm);
          close(got.probe, want.probe, want.norm);
          got.first.forEach((v, i) => close(v, want.first[i], want.norm));
        }
      }
    });
  });
});
