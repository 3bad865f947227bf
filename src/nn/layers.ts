// Weight layers (dense and 2-D convolution) as modules, plus the linear map itself, PyTorch
// layout: a dense weight is [out, in] (x·Wᵀ + b), a conv weight [out, in, kh, kw].
import { conv2d, conv2dBackwardInput, conv2dBackwardParams, type Conv2dOptions } from '../autograd/image-ops.ts';
import { add, matmul, reshape, sum } from '../autograd/ops.ts';
import { sizeOf, view, type Shape, type Tensor } from '../tensor/tensor.ts';
import type { Builder } from './builder.ts';
import type { Slot } from './module.ts';
import { weightAndBias, type WeightLayer } from './weight-layer.ts';

/** x·Wᵀ + b for x [n, in], W [out, in], b [out]. */
export function linear(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const y = matmul(x, w, false, true);
  return b ? add(y, b) : y;
}

export interface DenseOptions {
  bias?: boolean;
  /** Weight scheme; default: the model's. */
  init?: string;
  /**
   * Map the last axis only, at every position of a sequence ([T, in] → [T, units]), as
   * PyTorch's nn.Linear; default: map the flattened sample.
   */
  positionwise?: boolean;
  /** Use this existing slot (shaped [units, in]) as the weight: weight tying (an LM head reading the embedding table). */
  tiedWeight?: Slot;
}

/**
 * A dense layer over the flattened sample (inputs of any shape become [n, features]), or over the
 * last axis of every position when `positionwise`.
 */
export function dense(path: string, inShape: Shape, units: number, b: Builder, opts: DenseOptions = {}): WeightLayer {
  const per = opts.positionwise === true;
  const features = per ? inShape[inShape.length - 1] : sizeOf(inShape);
  const lead = per ? inShape.slice(0, -1) : [];
  const weight = opts.tiedWeight ?? b.param(`${path}.weight`, [units, features], { kind: 'weight', scheme: opts.init ?? b.init });
  const params: Record<string, Slot> = { weight };
  if (opts.bias !== false) params.bias = b.param(`${path}.bias`, [units], { kind: 'constant', value: 0 });
  /** [n, ...] as rows of `width` (a view when no tape node is needed). */
  const rows = (t: Tensor, width: number, tape: boolean): Tensor => {
    if (t.rank === 2 && t.shape[1] === width) return t;
    const shape = [t.size / width, width];
    return tape ? reshape(t, shape) : view(t, shape);
  };
  const layer: WeightLayer = {
    kind: 'dense',
    role: 'weight',
    path,
    inShape,
    outShape: [...lead, units],
    params,
    buffers: {},
    children: [],
    withChildren: () => layer,
    map: (x, w, bias) => {
      const y = linear(rows(x, features, true), w, bias);
      return per && lead.length ? reshape(y, [x.shape[0], ...lead, units]) : y;
    },
    inputVjp: (g, k, xShape) => view(matmul(rows(g, units, false), k), xShape),
    paramVjp: (g, x) => {
      const g2 = rows(g, units, false);
      return { weight: matmul(g2, rows(x, features, false), true, false), bias: layer.params.bias ? sum(g2, 0) : null };
    },
    apply(x, ctx) {
      const { w, b: bias } = weightAndBias(layer, ctx);
      return layer.map(x, w, bias);
    },
  };
  return layer;
}

export interface ConvOptions {
  kernel: number | [number, number];
  stride?: number | [number, number];
  padding?: number | [number, number];
  bias?: boolean;
  init?: string;
}

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);

/** Output spatial size of a window over [h, w]. */
export function windowOut(h: number, w: number, k: [number, number], s: [number, number], p: [number, number]): [number, number] {
  return [Math.floor((h + 2 * p[0] - k[0]) / s[0]) + 1, Math.floor((w + 2 * p[1] - k[1]) / s[1]) + 1];
}

export function conv(path: string, inShape: Shape, channels: number, b: Builder, opts: ConvOptions): WeightLayer {
  const [c, h, w] = inShape;
  const k = pair(opts.kernel);
  const stride = pair(opts.stride ?? 1);
  const padding = pair(opts.padding ?? 0);
  const [oh, ow] = windowOut(h, w, k, stride, padding);
  const weight = b.param(`${path}.weight`, [channels, c, k[0], k[1]], { kind: 'weight', scheme: opts.init ?? b.init });
  const params: Record<string, Slot> = { weight };
  if (opts.bias !== false) params.bias = b.param(`${path}.bias`, [channels], { kind: 'constant', value: 0 });
  const co: Conv2dOptions = { stride, padding };
  const layer: WeightLayer = {
    kind: 'conv2d',
    role: 'weight',
    path,
    inShape,
    outShape: [channels, oh, ow],
    params,
    buffers: {},
    children: [],
    withChildren: () => layer,
    map: (x, wt, bias) => conv2d(x, wt, bias, co),
    inputVjp: (g, kern, xShape) => conv2dBackwardInput(g, kern, xShape, co),
    paramVjp: (g, x) => {
      const p = conv2dBackwardParams(g, x, layer.params.weight.shape, co);
      return { weight: p.weight, bias: layer.params.bias ? p.bias : null };
    },
    apply(x, ctx) {
      const { w: wt, b: bias } = weightAndBias(layer, ctx);
      return layer.map(x, wt, bias);
    },
  };
  return layer;
}
