// Layer normalization (last axis) and batch normalization (channel axis), with learnable gain
// and shift. Layer norm is composed from primitives; batch norm in training is one primitive.
import { ShapeError } from '../errors.ts';
import { add, div, mean, mul, reshape, sqrt, square, sub } from '../autograd/ops.ts';
import { batchNormTraining } from '../autograd/norm-ops.ts';
import { ones, scalar, zeros, type Tensor } from '../tensor/tensor.ts';
import type { Builder } from './builder.ts';
import { leaf, param, type Module } from './module.ts';

export interface LayerNormParams {
  gain: Tensor;
  bias: Tensor;
}

/** gain = 1, bias = 0 (identity at initialization), each of shape [features]. */
export function layerNormParams(features: number): LayerNormParams {
  return { gain: ones([features]), bias: zeros([features]) };
}

/** (x − μ) / √(σ² + eps) · gain + bias, with μ, σ² the biased mean and variance of x's last axis. */
export function layerNorm(x: Tensor, gain: Tensor, bias: Tensor, eps = 1e-5): Tensor {
  const features = x.shape[x.rank - 1];
  for (const [name, t] of [
    ['gain', gain],
    ['bias', bias],
  ] as const) {
    if (t.rank !== 1 || t.shape[0] !== features) {
      throw new ShapeError(`layerNorm: ${name} has shape [${t.shape.join(', ')}] but x's last axis has ${features} features`);
    }
  }
  const centered = sub(x, mean(x, -1, true));
  const variance = mean(square(centered), -1, true);
  const normalized = div(centered, sqrt(add(variance, scalar(eps))));
  return add(mul(normalized, gain), bias);
}

export interface BatchNormOptions {
  /** Batch statistics (training) or the running ones (evaluation), as PyTorch. */
  training: boolean;
  eps?: number;
  /** Running statistics [channels], required when not training. */
  running?: { mean: Tensor; variance: Tensor };
  /** Receives the batch mean and biased variance [channels] (training), e.g. to update running statistics. */
  onBatchStats?: (mean: Tensor, variance: Tensor) => void;
}

/**
 * Batch normalization over every axis but the channel axis 1, for x [n, c] or [n, c, h, w]:
 * (x − μ) / √(σ² + eps) · gain + shift, gain and shift [c]. Training is one fused primitive
 * (norm-ops.ts); evaluation, linear in x, is composed.
 */
export function batchNorm(x: Tensor, gain: Tensor, shift: Tensor, opts: BatchNormOptions): Tensor {
  const eps = opts.eps ?? 1e-5;
  if (x.rank !== 2 && x.rank !== 4)
    throw new ShapeError(`batchNorm: expects [batch, channels] or [batch, channels, h, w], got [${x.shape.join(', ')}]`);
  const c = x.shape[1];
  for (const [name, t] of [
    ['gain', gain],
    ['shift', shift],
  ] as const) {
    if (t.rank !== 1 || t.shape[0] !== c)
      throw new ShapeError(`batchNorm: ${name} has shape [${t.shape.join(', ')}] but x has ${c} channels`);
  }
  if (opts.training) {
    const r = batchNormTraining(x, gain, shift, eps);
    opts.onBatchStats?.(r.mean, r.variance);
    return r.out;
  }
  if (!opts.running) throw new ShapeError('batchNorm: evaluation (training: false) needs the running mean and variance');
  const n = x.shape[0];
  const perChannel = (t: Tensor) => reshape(t, [1, c, 1]);
  const x3 = reshape(x, [n, c, x.size / (n * c)]);
  const centered = sub(x3, perChannel(opts.running.mean));
  const normalized = div(centered, sqrt(add(perChannel(opts.running.variance), scalar(eps))));
  return reshape(add(mul(normalized, perChannel(gain)), perChannel(shift)), x.shape);
}

/** LayerNorm over the last axis as a module: gain 1 and shift 0 at initialization. */
export function layerNormModule(path: string, inShape: readonly number[], b: Builder, eps = 1e-5): Module {
  const f = inShape[inShape.length - 1];
  const gain = b.param(`${path}.gain`, [f], { kind: 'constant', value: 1 });
  const shift = b.param(`${path}.shift`, [f], { kind: 'constant', value: 0 });
  const m = leaf({
    kind: 'layerNorm',
    path,
    inShape,
    outShape: inShape,
    params: { gain, shift },
    apply: (x, ctx) => layerNorm(x, param(m, 'gain', ctx), param(m, 'shift', ctx), eps),
  });
  return m;
}

/**
 * BatchNorm (1d on [n, c], 2d on [n, c, h, w]) as a module: batch statistics in training, whose
 * running averages (momentum as PyTorch's) are committed once per step; running ones in evaluation.
 */
export function batchNormModule(
  path: string,
  inShape: readonly number[],
  b: Builder,
  opts: { eps?: number; momentum?: number } = {},
): Module {
  const c = inShape[0];
  const eps = opts.eps ?? 1e-5;
  const momentum = opts.momentum ?? 0.1;
  const gain = b.param(`${path}.weight`, [c], { kind: 'constant', value: 1 });
  const shift = b.param(`${path}.bias`, [c], { kind: 'constant', value: 0 });
  const runMean = b.buffer(`${path}.runningMean`, [c], 0);
  const runVar = b.buffer(`${path}.runningVar`, [c], 1);
  const m = leaf({
    kind: 'batchNorm',
    path,
    inShape,
    outShape: inShape,
    params: { weight: gain, bias: shift },
    buffers: { runningMean: runMean, runningVar: runVar },
    apply(x, ctx) {
      const g = param(m, 'weight', ctx);
      const s = param(m, 'bias', ctx);
      if (ctx.training) {
        const count = x.size / c;
        return batchNorm(x, g, s, {
          training: true,
          eps,
          onBatchStats: (mu, v) => ctx.stats?.record(path, runMean, runVar, momentum, mu, v, count),
        });
      }
      if (!ctx.buffers)
        throw new ShapeError(`batchNorm at "${path}": evaluation needs the model's buffers (pass ctx.infer as the forward options)`);
      return batchNorm(x, g, s, {
        training: false,
        eps,
        running: { mean: ctx.buffers[runMean.index], variance: ctx.buffers[runVar.index] },
      });
    },
  });
  return m;
}
