// The image ops and the module tree against outside reference data: PyTorch 1.13 float64
// outputs and gradients (test/fixtures/layer-gradients.json) for conv2d with strides and
// padding, pooling, batch and layer norm, a whole LeNet-5, a residual block with batch norm, a
// one-block pre-LN causal transformer LM and an Elman RNN unrolled over time. A suite every
// backend runs: layer-fixtures.test.ts on the installed one, test/kernels/webgpu-fixtures.test.ts
// on WebGPU with its stated tolerances.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withBackend, type Backend } from '../../src/kernels/index.ts';
import {
  avgPool2d,
  batchNorm,
  buildModel,
  buildNetwork,
  classification,
  conv2d,
  fromArray,
  layerNorm,
  maxPool2d,
  mul,
  sequence,
  sum,
  valueAndGrad,
  type ModelSpec,
  type Tensor,
} from '../../src/index.ts';

type Nested = number | Nested[];
interface Case {
  name: string;
  kind: string;
  spec?: { vocab?: number; context?: number; d_model?: number; heads?: number; tokens?: number[][] };
  attrs?: Record<string, unknown>;
  x: Nested;
  y?: number[];
  params: Nested[];
  out?: Nested;
  cotangent?: Nested;
  loss?: number;
  grad_x: Nested | null;
  grad_params: Nested[];
}
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/layer-gradients.json', import.meta.url), 'utf8')) as { cases: Case[] };

const shapeOf = (v: Nested): number[] => (Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : []);
const flat = (v: Nested): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
const t = (v: Nested): Tensor => fromArray(flat(v), shapeOf(v));

const OPS: Record<string, (c: Case, x: Tensor, p: Tensor[]) => Tensor> = {
  conv2d: (c, x, p) => conv2d(x, p[0], p[1] ?? null, { stride: c.attrs!.stride as number, padding: c.attrs!.padding as number }),
  maxpool2d: (c, x) => maxPool2d(x, { kernel: c.attrs!.kernel as number, stride: c.attrs!.stride as number }),
  avgpool2d: (c, x) => avgPool2d(x, { kernel: c.attrs!.kernel as number, stride: c.attrs!.stride as number }),
  batchnorm2d: (c, x, p) => batchNorm(x, p[0], p[1], { training: true, eps: c.attrs!.eps as number }),
  batchnorm1d: (c, x, p) => batchNorm(x, p[0], p[1], { training: true, eps: c.attrs!.eps as number }),
  layernorm: (c, x, p) => layerNorm(x, p[0], p[1], c.attrs!.eps as number),
};

/**
 * Float32 against PyTorch's float64: each element within rel·max|want| + abs (max|want| at least
 * 10⁻³), each loss within `loss` relative.
 */
export interface FixtureTolerance {
  rel: number;
  abs: number;
  loss: number;
}

/** What the suite holds a backend to unless it states its own (every CPU backend passes these). */
export const LAYER_TOLERANCE: FixtureTolerance = { rel: 2e-5, abs: 1e-6, loss: 1e-5 };

/** The fixtures on `B` (the installed backend when absent), labelled `label`, within `tol`. */
export function layerFixtures(label: string, B?: Backend, tol: FixtureTolerance = LAYER_TOLERANCE): void {
  const on = (fn: () => void) => (B ? withBackend(B, fn) : fn());

  function close(got: ArrayLike<number>, want: Nested, what: string): void {
    const w = flat(want);
    expect(got.length, what).toBe(w.length);
    const scale = Math.max(...w.map(Math.abs), 1e-3);
    for (let i = 0; i < w.length; i++) {
      expect(Math.abs(got[i] - w[i]), `${what}[${i}]: ${got[i]} vs ${w[i]}`).toBeLessThanOrEqual(tol.rel * scale + tol.abs);
    }
  }

  describe(`PyTorch reference layers on ${label}`, () => {
    const single = fixtures.cases.filter((c) => OPS[c.kind]);

    it('covers conv2d, both poolings, batch norm (1d, 2d), layer norm, LeNet-5 and a residual block', () => {
      expect(new Set(fixtures.cases.map((c) => c.kind))).toEqual(
        new Set([...Object.keys(OPS), 'lenet5', 'resblock', 'transformer-lm', 'elman-rnn']),
      );
    });

    for (const c of single) {
      it(`${c.name}: output and the gradients of Σ(out ⊙ g) match PyTorch`, () =>
        on(() => {
          const x = t(c.x);
          const params = c.params.map(t);
          const g = t(c.cotangent!);
          const { grads, aux } = valueAndGrad((ins: Tensor[]) => {
            const out = OPS[c.kind](c, ins[0], ins.slice(1));
            return { loss: sum(mul(out, g)), aux: out };
          })([x, ...params]);
          close(aux!.data, c.out!, `${c.name} out`);
          close(grads[0].data, c.grad_x!, `${c.name} grad x`);
          c.grad_params.forEach((gp, i) => close(grads[i + 1].data, gp, `${c.name} grad param ${i}`));
        }));
    }

    const MODELS: Record<string, (c: Case) => ModelSpec> = {
      lenet5: () => ({ preset: 'lenet5' }),
      // conv3x3 pad1 no-bias, BN, relu, conv3x3 pad1 no-bias, BN, +x, relu, global mean pool, fc.
      resblock: (c) => ({
        layers: [
          {
            type: 'residual',
            name: 'block',
            activation: 'relu',
            layers: [
              { type: 'conv2d', channels: shapeOf(c.x)[1], kernel: 3, padding: 1, bias: false, name: 'conv1' },
              { type: 'batchNorm', name: 'bn1' },
              'relu',
              { type: 'conv2d', channels: shapeOf(c.x)[1], kernel: 3, padding: 1, bias: false, name: 'conv2' },
              { type: 'batchNorm', name: 'bn2' },
            ],
          },
          { type: 'globalAvgPool' },
          { type: 'dense', units: shapeOf(c.grad_params.at(-1)!)[0], name: 'fc' },
        ],
      }),
    };

    for (const c of fixtures.cases.filter((k) => MODELS[k.kind])) {
      it(`${c.name}: the module tree's loss, parameter and input gradients match PyTorch`, () =>
        on(() => {
          const xShape = shapeOf(c.x);
          const classes = shapeOf(c.grad_params.at(-1)!)[0];
          const model = buildModel(MODELS[c.kind](c), { sampleShape: xShape.slice(1), outputs: classes });
          expect(model.paramShapes()).toEqual(c.params.map(shapeOf));
          const task = classification(classes);
          const batch = { x: t(c.x), labels: Int32Array.from(c.y!), size: xShape[0] };
          const { value, grads } = valueAndGrad((ins: Tensor[]) =>
            task.loss(model.forward(ins.slice(1), ins[0], { training: true }), batch),
          )([batch.x, ...c.params.map(t)]);
          expect(Math.abs(value.item() - c.loss!) / c.loss!).toBeLessThan(tol.loss);
          close(grads[0].data, c.grad_x!, `${c.name} grad x`);
          c.grad_params.forEach((gp, i) => close(grads[i + 1].data, gp, `${c.name} ${model.paramNames[i]}`));
        }));
    }

    // The fixture's layout: tok + pos, ln1, causal attention (wq, wk, wv, wo; no biases), + x, ln2,
    // fc1 (4d, gelu tanh) fc2, + x, final LN, head [V, d] without bias; mean CE over all positions.
    it('transformer-lm: a one-block pre-LN causal transformer LM matches PyTorch (fused and composed attention)', () =>
      on(() => {
        const c = fixtures.cases.find((k) => k.kind === 'transformer-lm')!;
        const { vocab, context, d_model: dim, heads } = c.spec as Required<NonNullable<Case['spec']>>;
        const tokens = c.y as unknown as number[][];
        const n = tokens.length;
        const x = fromArray(
          tokens.flatMap((r) => r.slice(0, -1)),
          [n, context],
        );
        const labels = Int32Array.from(tokens.flatMap((r) => r.slice(1)));
        for (const fused of [true, false]) {
          const model = buildModel(
            { preset: 'transformer', blocks: 1, dim, heads, fused },
            { sampleShape: [context], outputs: vocab, outputShape: [context, vocab] },
          );
          expect(model.paramShapes()).toEqual(c.params.map(shapeOf));
          const task = sequence(vocab, { positions: context });
          const batch = { x, labels, size: n };
          const { value, grads } = valueAndGrad((p: Tensor[]) => task.loss(model.forward(p, x, { training: true }), batch))(
            c.params.map(t),
          );
          expect(Math.abs(value.item() - c.loss!) / c.loss!).toBeLessThan(tol.loss);
          c.grad_params.forEach((gp, i) => close(grads[i].data, gp, `${c.name} (fused ${fused}) ${model.paramNames[i]}`));
        }
      }));

    // h0 = 0; h_t = tanh(x_t Wxᵀ + h_{t−1} Whᵀ + b); logits_t = h_t Woᵀ + c; mean CE over t and the batch.
    it('elman-rnn: an Elman RNN unrolled over time with shared weights matches PyTorch, input gradient included', () =>
      on(() => {
        const c = fixtures.cases.find((k) => k.kind === 'elman-rnn')!;
        const [n, steps, features] = shapeOf(c.x);
        const [hidden, classes] = [shapeOf(c.params[1])[0], shapeOf(c.params[3])[0]];
        const model = buildNetwork(
          [
            { type: 'rnn', cell: 'elman', hidden, name: 'rnn' },
            { type: 'dense', units: classes, positionwise: true, name: 'out' },
          ],
          [steps, features],
        );
        expect(model.paramShapes()).toEqual(c.params.map(shapeOf));
        const task = sequence(classes, { positions: steps });
        const batch = { x: t(c.x), labels: Int32Array.from(flat(c.y as unknown as Nested)), size: n };
        const { value, grads } = valueAndGrad((ins: Tensor[]) => task.loss(model.forward(ins.slice(1), ins[0]), batch))([
          batch.x,
          ...c.params.map(t),
        ]);
        expect(Math.abs(value.item() - c.loss!) / c.loss!).toBeLessThan(tol.loss);
        close(grads[0].data, c.grad_x!, `${c.name} grad x`);
        c.grad_params.forEach((gp, i) => close(grads[i + 1].data, gp, `${c.name} ${model.paramNames[i]}`));
      }));
  });
}
