// Layer normalization over the last axis with a learnable gain and bias, composed from
// primitives (its gradient is whatever the primitives' VJPs compose to).
import { ShapeError } from '../errors.ts';
import { add, div, mean, mul, sqrt, square, sub } from '../autograd/ops.ts';
import { ones, scalar, zeros, type Tensor } from '../tensor/tensor.ts';

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
  for (const [name, t] of [['gain', gain], ['bias', bias]] as const) {
    if (t.rank !== 1 || t.shape[0] !== features) {
      throw new ShapeError(`layerNorm: ${name} has shape [${t.shape.join(', ')}] but x's last axis has ${features} features`);
    }
  }
  const centered = sub(x, mean(x, -1, true));
  const variance = mean(square(centered), -1, true);
  const normalized = div(centered, sqrt(add(variance, scalar(eps))));
  return add(mul(normalized, gain), bias);
}
