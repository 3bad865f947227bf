// Row-wise length normalization (forward-forward passes each layer only the direction of the
// activity below it, so a layer cannot read the previous layer's goodness from its input).
import { add, div, mean, sqrt, square } from '../autograd/ops.ts';
import { scalar } from '../tensor/tensor.ts';
import type { Tensor } from '../tensor/tensor.ts';

/**
 * x / (√(mean(x², last axis)) + eps): every row rescaled to root-mean-square 1 (length √features),
 * so inputs keep unit scale whatever the width. Differentiable (composed from primitives).
 */
export function lengthNormalize(x: Tensor, eps = 1e-8): Tensor {
  return div(x, add(sqrt(mean(square(x), -1, true)), scalar(eps)));
}
