// The weight-layer seam: a dense or conv layer exposes its map y = f(x; W) + b, its input VJP
// as a function of a tensor shaped like W, and its parameter VJP. Feedback alignment is then
// "the input VJP with B instead of W" for every weight layer at once, and DFA "the input VJP
// replaced by a projection of the output error" — whatever the layer kind.
import { customVjp } from '../autograd/functional.ts';
import type { Shape, Tensor } from '../tensor/tensor.ts';
import { leaf, param, type ForwardContext, type Module, type Slot } from './module.ts';

export interface WeightLayer extends Module {
  readonly role: 'weight';
  /** y = f(x; w) + b (recorded on the tape when its inputs are traced). */
  map(x: Tensor, w: Tensor, b: Tensor | null): Tensor;
  /** The input cotangent for output cotangent g with `k` (shaped like the weight) in place of W; no tape. */
  inputVjp(g: Tensor, k: Tensor, xShape: Shape): Tensor;
  /** Weight and bias cotangents for output cotangent g at input x; no tape. */
  paramVjp(g: Tensor, x: Tensor): { weight: Tensor; bias: Tensor | null };
  /** Set when the weight is not one of the layer's parameters but derived from them (a LoRA-adapted layer). */
  readonly derived?: DerivedWeight;
}

/**
 * A weight computed from a layer's parameters instead of being one (W = W₀ + s·BA over a frozen
 * base): what the feedback-alignment family needs of such a layer — the base weight's slot (shape
 * and init scheme), the weight as used, and the layer with another input VJP — so that those
 * rules serve it as they serve a plain weight layer.
 */
export interface DerivedWeight {
  readonly base: Slot;
  /** The weight as used at these parameters, outside the tape. */
  weight(params: readonly Tensor[]): Tensor;
  /** replaceInputVjp for this layer: the same forward and parameter gradients, input cotangent replaced. */
  withInputVjp(inputCotangent: (g: Tensor, x: Tensor) => Tensor | null, name: string): Module;
}

/** The slot of the weight the layer uses (its own, or the frozen base of a derived weight): its shape and scheme. */
export const weightSlot = (l: WeightLayer): Slot => l.derived?.base ?? l.params.weight;

/** The weight the layer uses at these parameters. */
export const weightNow = (l: WeightLayer, params: readonly Tensor[]): Tensor =>
  l.derived ? l.derived.weight(params) : params[l.params.weight.index];

export function isWeightLayer(m: Module): m is WeightLayer {
  return (m as Partial<WeightLayer>).role === 'weight';
}

/** The layer's weight and bias tensors in this pass. */
export function weightAndBias(m: WeightLayer, ctx: ForwardContext): { w: Tensor; b: Tensor | null } {
  return { w: param(m, 'weight', ctx), b: m.params.bias ? param(m, 'bias', ctx) : null };
}

/**
 * `layer` with the same forward and parameter gradients, but whose input cotangent is
 * `inputCotangent(g, x)` (null: send nothing below). The result keeps the layer's kind, path
 * and slots, so it stands in the tree exactly where the layer stood. `inputCotangent` must not
 * keep g or what it returns past its call (copy them): the backward pass frees both once used.
 */
export function replaceInputVjp(layer: WeightLayer, inputCotangent: (g: Tensor, x: Tensor) => Tensor | null, name = 'feedback'): Module {
  if (layer.derived) return layer.derived.withInputVjp(inputCotangent, name);
  return leaf({
    kind: layer.kind,
    path: layer.path,
    inShape: layer.inShape,
    outShape: layer.outShape,
    params: layer.params,
    buffers: layer.buffers,
    apply(x, ctx) {
      const { w, b } = weightAndBias(layer, ctx);
      const op = customVjp(
        `${name}.${layer.kind}`,
        (xi: Tensor, wi: Tensor, bi?: Tensor) => ({ out: layer.map(xi, wi, bi ?? null), saved: [xi] }),
        ([xs], g) => {
          const p = layer.paramVjp(g, xs);
          const dx = inputCotangent(g, xs);
          return p.bias ? [dx, p.weight, p.bias] : [dx, p.weight];
        },
        { pure: true },
      );
      return b ? op(x, w, b) : op(x, w);
    },
  });
}
