// Layer kinds without parameters that change a sample's shape: max and average pooling, global
// average pooling, flattening.
import { SpecError } from '../../errors.ts';
import { optional } from '../../fields.ts';
import { flatten, globalAvgPool, pool } from '../shape-layers.ts';
import { defineLayer } from '../layer-kind.ts';
import { needImage, pair, windowFits } from '../layer-checks.ts';

const poolLayer = <T extends 'maxPool2d' | 'avgPool2d'>(type: T) =>
  defineLayer({
    type,
    fields: {
      kernel: pair(1),
      /** Default: the kernel (windows side by side). */
      stride: optional(pair(1)),
      /** Zeros added on each side, at most half the kernel. */
      padding: optional(pair(0), [0, 0]),
    },
    build({ kernel, stride = kernel, padding }, { field, path, inShape }) {
      needImage(field, type, inShape);
      if (2 * padding[0] > kernel[0] || 2 * padding[1] > kernel[1])
        throw new SpecError(`${field}.padding: at most half the kernel, got ${padding.join('×')} for ${kernel.join('×')}`);
      windowFits(field, inShape, kernel, stride, padding);
      return pool(type, path, inShape, { kernel, stride, padding });
    },
  });

export const maxPool2dLayer = poolLayer('maxPool2d');
export const avgPool2dLayer = poolLayer('avgPool2d');

/** [c, h, w] → [c]: the mean of each feature map. */
export const globalAvgPoolLayer = defineLayer({
  type: 'globalAvgPool',
  fields: {},
  build(_spec, { field, path, inShape }) {
    needImage(field, 'globalAvgPool', inShape);
    return globalAvgPool(path, inShape);
  },
});

/** Any sample shape → [features] (C, H, W order). */
export const flattenLayer = defineLayer({
  type: 'flatten',
  fields: {},
  build: (_spec, { path, inShape }) => flatten(path, inShape),
});

declare module '../layer-kind.ts' {
  interface LayerKinds {
    maxPool2d: typeof maxPool2dLayer;
    avgPool2d: typeof avgPool2dLayer;
    globalAvgPool: typeof globalAvgPoolLayer;
    flatten: typeof flattenLayer;
  }
}
