import { describe, expect, it } from 'vitest';
import { backprop, segments } from '../../algorithms/backprop.ts';
import { CONFORMANCE_MODELS, checkConformance } from '../../src/testing.ts';
import { runTrial, type EvalRecord } from '../../src/runner/trial.ts';
import {
  buildModel,
  classification,
  fromArray,
  ledger,
  materialize,
  rng,
  ruleContext,
  type AnyRule,
  type Batch,
  type MlpSpec,
  type ModelSpec,
  type RuleContext,
} from '../../src/index.ts';

function setup(spec: ModelSpec, batchSize = 16, sample: number[] | null = null, classes = 0) {
  const mlp = 'sizes' in spec ? (spec as MlpSpec) : null;
  const model = buildModel(spec, sample ? { sampleShape: sample, outputs: classes } : null);
  const params = model.init(rng(5).child('init'));
  const r = rng(5).child('data');
  const inF = model.inputSize;
  const k = mlp ? mlp.sizes[mlp.sizes.length - 1] : classes;
  const xs = Array.from({ length: batchSize * inF }, () => r.normal());
  const labels = Int32Array.from({ length: batchSize }, () => r.int(k));
  const batch = (): Batch => ({ x: fromArray(xs, [batchSize, inF]), labels, size: batchSize });
  const ctx = (checkpoint: number) =>
    ruleContext({
      model,
      task: classification(k),
      params,
      rule: backprop as AnyRule,
      options: { checkpoint },
      rng: rng(9),
      dropout: rng(9).child('dropout'),
      step: 0,
    }) as RuleContext<{ checkpoint: number; truncate: number }>;
  const paramBytes = params.reduce((a, p) => a + p.bytes, 0);
  return { model, params, batch, ctx, paramBytes };
}

const bits = (a: Float32Array | Float64Array) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

describe('backprop with gradient checkpointing', () => {
  it('splits top-level modules into segments of k (and √n for −1)', () => {
    expect(segments(7, 3)).toEqual([
      [0, 3],
      [3, 6],
      [6, 7],
    ]);
    expect(segments(9, -1)).toEqual([
      [0, 3],
      [3, 6],
      [6, 9],
    ]);
    expect(segments(2, 5)).toEqual([[0, 2]]);
  });

  it('gives gradients equal to plain backprop bit for bit', () => {
    const specs: ModelSpec[] = [
      { sizes: [5, 9, 8, 7, 6, 9, 8, 4], activation: 'tanh', init: 'xavierUniform' },
      { sizes: [5, 9, 8, 7, 6, 4], activation: 'relu', layerNorm: true },
      { sizes: [5, 9, 8, 7, 6, 4], activation: 'gelu', dropout: 0.3 },
    ];
    for (const spec of specs) {
      const s = setup(spec);
      const plain = backprop.step(s.ctx(0), null, s.batch());
      const ref = materialize(plain.updates);
      for (const k of [1, 2, 3, -1]) {
        const ck = backprop.step(s.ctx(k), null, s.batch());
        expect(ck.loss).toBe(plain.loss);
        const got = materialize(ck.updates);
        expect(got.length).toBe(ref.length);
        got.forEach((g, i) =>
          expect(bits(g.data), `${s.model.paramNames[i]} (k=${k}, ${(spec as MlpSpec).activation})`).toEqual(bits(ref[i].data)),
        );
      }
    }
  });

  for (const arch of ['conv', 'residual'] as const) {
    it(`gives gradients equal to plain backprop bit for bit on the ${arch} net (batch norm recomputed alike)`, () => {
      const s = setup(CONFORMANCE_MODELS[arch] as ModelSpec, 8, [1, 6, 6], 4);
      const ref = materialize(backprop.step(s.ctx(0), null, s.batch()).updates);
      for (const k of [1, 2, -1]) {
        const got = materialize(backprop.step(s.ctx(k), null, s.batch()).updates);
        got.forEach((g, i) => expect(bits(g.data), `${s.model.paramNames[i]} (k=${k})`).toEqual(bits(ref[i].data)));
      }
    });
  }

  it('saved-activation bytes in the ledger match the shapes for plain BP, and checkpointing cuts them', () => {
    const B = 8;
    const width = 16;
    const L = 12;
    const spec: ModelSpec = { sizes: [10, ...Array(L - 1).fill(width), 3], activation: 'tanh', init: 'xavierUniform' };
    const s = setup(spec, B);
    const saved = (k: number) => ledger().measure(() => backprop.step(s.ctx(k), null, s.batch())).memory.peakByCategory['saved-activation'];
    // Plain BP keeps, per block, its input (for dW) and its tanh output (for tanh') — the same
    // tensor as the next block's input — plus log-softmax [B, classes] for the loss.
    const sizes = spec.sizes;
    const fromShapes = 4 * B * (sizes.slice(0, -1).reduce((a, b) => a + b, 0) + sizes[sizes.length - 1]);
    expect(saved(0)).toBe(fromShapes);
    // k = 2 (a dense layer and its activation per segment) saves each block input only: for a
    // tanh MLP that is no more than the same set of tensors.
    expect(saved(2)).toBeLessThanOrEqual(fromShapes);
    // k = 8 (four blocks per segment): three segment inputs kept; in backward one segment is
    // recomputed at a time.
    const segInputs = 4 * B * (sizes[0] + 2 * width);
    const oneSegment = 4 * B * 4 * width; // its input and the activations it saves for its own backward
    const k8 = saved(8);
    expect(k8).toBeLessThan(fromShapes / 2);
    expect(k8).toBeLessThanOrEqual(segInputs + oneSegment + 4 * B * 3);
  });

  it('the runner reports the same saved-activation bytes as the shapes give (input batch included)', () => {
    const B = 16;
    const spec: ModelSpec = { sizes: [12, 24, 24, 4], activation: 'tanh', init: 'xavierUniform' };
    const run = (checkpoint: number) => {
      let last: EvalRecord | null = null;
      runTrial(
        {
          experiment: 'test',
          rule: 'backprop',
          options: { checkpoint },
          seed: 0,
          data: { name: 'blobs', train: 64, test: 16, classes: 4, features: 12, spread: 0.6 },
          model: spec,
          optimizer: { name: 'sgd', lr: 0.1 },
          batchSize: B,
          epochs: 1,
          maxSteps: 2,
          evalEvery: 2,
          alignEvery: 0,
          alignSamples: 16,
          memory: true,
          debug: false,
        },
        'test',
        backprop,
        (r) => {
          if (r.type === 'eval') last = r;
        },
      );
      return (last as EvalRecord | null)!.memory!;
    };
    // The runner leaves out parameters other tests left live in this process.
    const m = run(0);
    expect(m.peakByCategory['saved-activation']).toBe(4 * B * (12 + 24 + 24 + 4));
    const params = (12 * 24 + 24 + 24 * 24 + 24 + 24 * 4 + 4) * 4;
    expect(m.atPeak.param).toBe(params);
    expect(m.peakByCategory.grad).toBe(params);
    expect(m.inferenceBytes).toBeGreaterThan(params);
    expect(m.ratioToInference).toBeCloseTo(m.peakBytes / m.inferenceBytes, 12);
  });

  it('still conforms with checkpointing on', () => {
    const failed = checkConformance(backprop, { options: { checkpoint: 1 } }).filter((c) => !c.ok);
    expect(failed).toEqual([]);
  });

  it('rejects an invalid checkpoint option', () => {
    const s = setup({ sizes: [3, 4, 2] });
    expect(() => backprop.check!(s.ctx(-2))).toThrow(/checkpoint/);
  });
});
