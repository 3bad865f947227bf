// Dense layer primitives: the linear map every block uses, PyTorch layout (W is [out, in]).
import { add, matmul } from '../autograd/ops.ts';
import type { Tensor } from '../tensor/tensor.ts';

/** x·Wᵀ + b for x [n, in], W [out, in], b [out]. */
export function linear(x: Tensor, w: Tensor, b: Tensor): Tensor {
  return add(matmul(x, w, false, true), b);
}
