// Modules without parameters that change a sample's shape: pooling, global average pooling,
// flattening.
import { avgPool2d, maxPool2d } from '../autograd/image-ops.ts';
import { mean, reshape } from '../autograd/ops.ts';
import { sizeOf, type Shape } from '../tensor/tensor.ts';
import { windowOut } from './layers.ts';
import { leaf, type Module } from './module.ts';

export interface PoolOptions {
  kernel: number | [number, number];
  stride?: number | [number, number];
  padding?: number | [number, number];
}

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);

export function pool(kind: 'maxPool2d' | 'avgPool2d', path: string, inShape: Shape, opts: PoolOptions): Module {
  const kernel = pair(opts.kernel);
  const stride = pair(opts.stride ?? opts.kernel);
  const padding = pair(opts.padding ?? 0);
  const [oh, ow] = windowOut(inShape[1], inShape[2], kernel, stride, padding);
  const f = kind === 'maxPool2d' ? maxPool2d : avgPool2d;
  return leaf({ kind, path, inShape, outShape: [inShape[0], oh, ow], apply: (x) => f(x, { kernel, stride, padding }) });
}

/** [n, c, h, w] → [n, c]: the mean over each feature map. */
export function globalAvgPool(path: string, inShape: Shape): Module {
  const [c, h, w] = inShape;
  return leaf({
    kind: 'globalAvgPool',
    path,
    inShape,
    outShape: [c],
    apply: (x) => mean(reshape(x, [x.shape[0], c, h * w]), 2),
  });
}

/** [n, ...] → [n, features] (C, H, W order, as PyTorch's flatten(1)). */
export function flatten(path: string, inShape: Shape): Module {
  const features = sizeOf(inShape);
  return leaf({ kind: 'flatten', path, inShape, outShape: [features], apply: (x) => reshape(x, [x.shape[0], features]) });
}
