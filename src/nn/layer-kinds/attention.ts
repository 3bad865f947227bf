// Attention layer kinds over a sequence [T, dim]: multi-head self-attention, and the pre-LN
// transformer block built from layer specs (residual attention, residual MLP).
import { SpecError } from '../../errors.ts';
import { optional } from '../../fields.ts';
import type { Shape } from '../../tensor/tensor.ts';
import type { Module } from '../module.ts';
import { attentionModule, transformerBlockLayers } from '../attention.ts';
import { sequential } from '../sequential.ts';
import { defineLayer } from '../layer-kind.ts';
import { bool, initName, int, positive, text } from '../layer-checks.ts';

/** Checks of both kinds: a sequence input whose width the heads divide. */
function sequenceWidth(field: string, type: string, inShape: Shape, heads: number): number {
  if (inShape.length !== 2)
    throw new SpecError(
      `${field}: ${type} needs a sequence [T, dim] per sample (e.g. after an embedding), but its input is [${inShape.join(', ')}]`,
    );
  const dim = inShape[1];
  if (dim % heads !== 0) throw new SpecError(`${field}.heads: ${heads} heads do not divide the width ${dim}`);
  return dim;
}

export const attentionLayer = defineLayer({
  type: 'attention',
  fields: {
    heads: int(1),
    /** Queries see only keys at or before their position (default true). */
    causal: optional(bool),
    /** Biases on the four projections (default false). */
    bias: optional(bool),
    /** The fused attention op (default) or attention composed from primitives. */
    fused: optional(bool),
    init: optional(initName),
  },
  build(o, { field, path, inShape, builder }) {
    sequenceWidth(field, 'attention', inShape, o.heads);
    return attentionModule(path, inShape, builder, o);
  },
});

/** Pre-LN: x + attention(LN(x)), then x + MLP(LN(x)) with an MLP of mlp × the width. */
export const transformerBlockLayer = defineLayer({
  type: 'transformerBlock',
  fields: {
    heads: int(1),
    /** The MLP's hidden width as a multiple of the model width (default 4). */
    mlp: optional(positive(1e6), 4),
    /** The MLP's activation (default gelu). */
    activation: optional(text('an activation name')),
    causal: optional(bool),
    fused: optional(bool),
  },
  // Annotated: the body names LayerSpec, whose union includes this kind.
  build(o, { field, path, inShape, ...ctx }): Module {
    const dim = sequenceWidth(field, 'transformerBlock', inShape, o.heads);
    if (!Number.isInteger(o.mlp * dim)) throw new SpecError(`${field}.mlp: ${o.mlp} × ${dim} is not a whole width`);
    return sequential(path, ctx.layers(transformerBlockLayers(dim, o), `${field}(block)`, path, inShape), inShape);
  },
});

declare module '../layer-kind.ts' {
  interface LayerKinds {
    attention: typeof attentionLayer;
    transformerBlock: typeof transformerBlockLayer;
  }
}
