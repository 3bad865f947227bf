// The public API. Rules (algorithms/), experiments and user code import only from here.
export * from './errors.ts';
export { Rng, rng } from './random.ts';
export {
  Tensor, empty, zeros, ones, full, scalar, fromArray, tensor, uniform, normal, view, sizeOf,
  type Shape, type NestedArray,
} from './tensor/tensor.ts';
export { ledger, CATEGORIES, emptyByCategory, type Category, type ByCategory, type StepMemory } from './tensor/ledger.ts';
export { backend, setBackend, withFloat64, type Backend, type Buf } from './kernels/index.ts';
export {
  add, sub, mul, div, maximum, neg, exp, log, tanh, sigmoid, relu, leakyRelu, softplus, gelu, sqrt, square, abs,
  sin, cos, sign, step, pow, matmul, sum, mean, max, broadcastTo, reshape, transpose, slice, concat, softmax,
  logSoftmax, pick, softmaxCrossEntropy, stopGradient, OPS, type Labels,
} from './autograd/ops.ts';
export {
  valueAndGrad, grad, vjp, noGrad, customVjp, leaves, mapTree, type TensorTree, type LossOutput,
} from './autograd/functional.ts';
export { withLayer, setAnomalyMode, withAnomalyMode, anomalyMode } from './autograd/tape.ts';
export { gradcheck, vjpCheck, type GradcheckResult, type VjpCheckResult } from './autograd/gradcheck.ts';
