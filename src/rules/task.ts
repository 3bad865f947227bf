// What is being learned: the batch format, the task loss every rule and the runner share, and
// the named objectives an experiment may choose (`task` in a spec), including one that is not
// differentiable at all (classification error), where only zeroth-order rules can learn.
import { customVjp } from '../autograd/functional.ts';
import { SpecError } from '../errors.ts';
import { crossEntropy, mse } from '../nn/losses.ts';
import { scalar, type Tensor } from '../tensor/tensor.ts';

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
  /** The objective's name (records and reports say which one a run optimized). */
  readonly name?: string;
  /**
   * False when the loss has no gradient (it is piecewise constant in the parameters): the
   * runner then measures no alignment with backprop, and differentiating the loss throws.
   */
  readonly differentiable?: boolean;
  /** Scalar loss of the model output on the batch (differentiable unless `differentiable` is false). */
  loss(out: Tensor, batch: Batch): Tensor;
}

/** Mean softmax cross-entropy against integer labels. */
export function classification(classes: number): Task {
  return {
    kind: 'classification',
    classes,
    name: 'cross-entropy',
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
    name: 'mse',
    loss(out, batch) {
      if (!batch.targets) throw new SpecError('task regression: the batch has no targets');
      return mse(out, batch.targets);
    },
  };
}

/** Share of rows whose arg-max score (first on ties, as evaluation counts) is not the label. */
function errorRate(out: Tensor, labels: Int32Array): number {
  const [n, c] = out.shape;
  let wrong = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (out.data[i * c + j] > out.data[i * c + best]) best = j;
    if (best !== labels[i]) wrong++;
  }
  return wrong / n;
}

/**
 * The classification error itself as the objective: piecewise constant in the parameters, so
 * its gradient is zero almost everywhere and undefined at the jumps. Backprop cannot train on
 * it, and says so: differentiating it throws instead of returning silent zeros.
 */
export function classificationError(classes: number): Task {
  const notDifferentiable = customVjp(
    'classification-error',
    (out: Tensor, value: Tensor) => ({ out: value.clone() }),
    () => {
      throw new SpecError(
        'task classification-error is not differentiable (its loss is the share of misclassified examples, ' +
          'constant between jumps): a rule that differentiates the loss cannot train on it; use a zeroth-order rule',
      );
    },
  );
  return {
    kind: 'classification',
    classes,
    name: 'classification-error',
    differentiable: false,
    loss(out, batch) {
      if (!batch.labels) throw new SpecError('task classification-error: the batch has no labels');
      if (out.rank !== 2) throw new SpecError(`task classification-error: expects scores [batch, classes], got [${out.shape.join(', ')}]`);
      return notDifferentiable(out, scalar(errorRate(out, batch.labels)));
    },
  };
}

/** Objectives a spec may name in `task`; without one, the data decides (classification or regression). */
export const TASK_NAMES = ['classification-error'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

/** The task for data of this kind: the named objective, or the data's default loss. */
export function taskFor(name: string | undefined, data: { kind: 'classification' | 'regression'; classes: number }): Task {
  if (name === undefined) return data.kind === 'classification' ? classification(data.classes) : regression();
  if (!(TASK_NAMES as readonly string[]).includes(name)) throw new SpecError(`task: unknown objective "${name}"; accepted: ${TASK_NAMES.join(', ')} (or leave it out for the data's own loss)`);
  if (data.kind !== 'classification') throw new SpecError(`task "${name}": needs a classification dataset, the data is ${data.kind}`);
  return classificationError(data.classes);
}
