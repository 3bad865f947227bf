// The 2-D convolution layer kind (PyTorch layout: weight [out, in, kh, kw]).
import { optional } from '../../fields.ts';
import { conv } from '../layers.ts';
import { defineLayer } from '../layer-kind.ts';
import { bool, initName, int, needImage, pair, windowFits } from '../layer-checks.ts';

export const conv2dLayer = defineLayer({
  type: 'conv2d',
  fields: {
    /** Output channels. */
    channels: int(1),
    kernel: pair(1),
    stride: optional(pair(1), [1, 1]),
    /** Zeros added on each side. */
    padding: optional(pair(0), [0, 0]),
    bias: optional(bool),
    init: optional(initName),
  },
  build({ channels, kernel, stride, padding, bias, init }, { field, path, inShape, builder }) {
    needImage(field, 'conv2d', inShape);
    windowFits(field, inShape, kernel, stride, padding);
    return conv(path, inShape, channels, builder, { kernel, stride, padding, bias, init });
  },
});

declare module '../layer-kind.ts' {
  interface LayerKinds {
    conv2d: typeof conv2dLayer;
  }
}
