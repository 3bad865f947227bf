// Losses (differentiable, scalar) and accuracy (a plain metric, no tape).
import { ShapeError } from '../errors.ts';
import { mean, mul, softmaxCrossEntropy, softplus, square, sub, sum, type Labels } from '../autograd/ops.ts';
import { scalar, type Tensor } from '../tensor/tensor.ts';

export type { Labels };

function sameShape(op: string, a: Tensor, b: Tensor, names: [string, string]): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${op}: ${names[0]} [${a.shape.join(', ')}] and ${names[1]} [${b.shape.join(', ')}] must have the same shape`);
  }
}

/** Mean over the batch of −log softmax(logits)[label]; logits are [batch, classes]. */
export function crossEntropy(logits: Tensor, labels: Labels): Tensor {
  return softmaxCrossEntropy(logits, labels);
}

/**
 * Batch mean of ½·Σⱼ (outⱼ − yⱼ)², the batch being the first axis. The ½ makes the gradient
 * (out − y)/batch, as in the PyTorch fixtures (test/fixtures/mlp-gradients.json).
 */
export function mse(out: Tensor, target: Tensor): Tensor {
  sameShape('mse', out, target, ['output', 'target']);
  const batch = out.rank === 0 ? 1 : out.shape[0];
  return mul(sum(square(sub(out, target))), scalar(0.5 / batch));
}

/**
 * Mean over all elements of −[y·log σ(z) + (1−y)·log(1−σ(z))], computed from logits z as
 * softplus(z) − y·z: finite for any z (σ(z) itself rounds to 0 or 1 beyond |z| ≈ 17 in float32).
 */
export function binaryCrossEntropy(logits: Tensor, targets: Tensor): Tensor {
  sameShape('binaryCrossEntropy', logits, targets, ['logits', 'targets']);
  return mean(sub(softplus(logits), mul(targets, logits)));
}

/** Fraction of rows whose arg-max logit (first on ties) equals the label. */
export function accuracy(logits: Tensor, labels: Labels): number {
  if (logits.rank !== 2) throw new ShapeError(`accuracy: expects logits [batch, classes], got [${logits.shape.join(', ')}]`);
  const [rows, cols] = logits.shape;
  if (labels.length !== rows) throw new ShapeError(`accuracy: ${labels.length} labels for ${rows} rows`);
  if (rows === 0) return 0;
  const d = logits.data;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (d[r * cols + c] > d[r * cols + best]) best = c;
    if (best === labels[r]) correct++;
  }
  return correct / rows;
}
