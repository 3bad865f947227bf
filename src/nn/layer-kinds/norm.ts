// Normalization layer kinds: batch norm (over the batch, per channel or feature) and layer norm
// (over a sample's last axis).
import { SpecError } from '../../errors.ts';
import { optional } from '../../fields.ts';
import { batchNormModule, layerNormModule } from '../norm.ts';
import { defineLayer } from '../layer-kind.ts';
import { positive } from '../layer-checks.ts';

export const batchNormLayer = defineLayer({
  type: 'batchNorm',
  fields: {
    /** Added to the variance (default 1e-5). */
    eps: optional(positive()),
    /** Weight of the batch in the running statistics (default 0.1, PyTorch's). */
    momentum: optional(positive(1.0000001)),
  },
  build({ eps, momentum }, { field, path, inShape, builder }) {
    if (inShape.length !== 1 && inShape.length !== 3)
      throw new SpecError(`${field}: batchNorm needs [features] or [channels, h, w] input, got [${inShape.join(', ')}]`);
    return batchNormModule(path, inShape, builder, { eps, momentum });
  },
});

export const layerNormLayer = defineLayer({
  type: 'layerNorm',
  fields: {
    /** Added to the variance (default 1e-5). */
    eps: optional(positive()),
  },
  build: ({ eps }, { path, inShape, builder }) => layerNormModule(path, inShape, builder, eps),
});

declare module '../layer-kind.ts' {
  interface LayerKinds {
    batchNorm: typeof batchNormLayer;
    layerNorm: typeof layerNormLayer;
  }
}
