// What is being learned: the batch format and the task loss every rule and the runner share.
import { SpecError } from '../errors.ts';
import { crossEntropy, mse } from '../nn/losses.ts';
import type { Tensor } from '../tensor/tensor.ts';

export interface Batch {
  /** Inputs [n, features]. */
  readonly x: Tensor;
  /** Class labels (classification). */
  readonly labels?: Int32Array;
  /** Regression targets [n, outputs]. */
  readonly targets?: Tensor;
  readonly size: number;
}

export interface Task {
  readonly kind: 'classification' | 'regression';
  /** Number of classes (0 for regression). */
  readonly classes: number;
  /** Differentiable scalar loss of the model output on the batch. */
  loss(out: Tensor, batch: Batch): Tensor;
}

/** Mean softmax cross-entropy against integer labels. */
export function classification(classes: number): Task {
  return {
    kind: 'classification',
    classes,
    loss(out, batch) {
      if (!batch.labels) throw new SpecError('task classification: the batch has no labels');
      return crossEntropy(out, batch.labels);
    },
  };
}

/** Batch mean of ½·Σ(out − y)². */
export function regression(): Task {
  return {
    kind: 'regression',
    classes: 0,
    loss(out, batch) {
      if (!batch.targets) throw new SpecError('task regression: the batch has no targets');
      return mse(out, batch.targets);
    },
  };
}
