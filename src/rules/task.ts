// What is being learned: the tasks every rule and the runner share (the interfaces are in
// nn/task-types.ts) — their loss, how a model output is scored (so the runner never knows which task it runs), the figures
// it derives from a split's mean loss, and, for language models, seeded samples of text. A spec
// may name another objective (`task`), including one that is not differentiable at all
// (classification error), where only zeroth-order rules can learn.
import { SpecError } from '../errors.ts';
import { customVjp, noGrad } from '../autograd/functional.ts';
import { mul } from '../autograd/ops.ts';
import { positionLogits, tokenCrossEntropy, tokenScores } from '../autograd/sequence-ops.ts';
import { targetWidth, type Dataset } from '../data/dataset.ts';
import { binaryCrossEntropy, crossEntropy, mse } from '../nn/losses.ts';
import type { Model } from '../nn/model.ts';
import { isRecurrent } from '../nn/recurrent.ts';
import { fromArray, scalar, type Tensor } from '../tensor/tensor.ts';
import type { Batch, Task } from '../nn/task-types.ts';

export type { Batch, Task, TaskScore, TextSample } from '../nn/task-types.ts';

/** Mean softmax cross-entropy against integer labels. */
export function classification(classes: number): Task {
  const loss = (out: Tensor, batch: Batch): Tensor => {
    if (!batch.labels) throw new SpecError('task classification: the batch has no labels');
    return crossEntropy(out, batch.labels);
  };
  return {
    kind: 'classification',
    classes,
    name: 'cross-entropy',
    outputShape: [classes],
    loss,
    score: (out, batch) => ({ lossSum: loss(out, batch).item() * batch.size, correct: hits(out, batch.labels!), count: batch.size }),
    metrics: () => ({}),
  };
}

/** Batch mean of ½·Σ(out − y)². */
export function regression(targets = 0): Task {
  const loss = (out: Tensor, batch: Batch): Tensor => {
    if (!batch.targets) throw new SpecError('task regression: the batch has no targets');
    return mse(out, batch.targets);
  };
  return {
    kind: 'regression',
    classes: 0,
    name: 'mse',
    outputShape: [targets],
    loss,
    score: (out, batch) => ({ lossSum: loss(out, batch).item() * batch.size, correct: null, count: batch.size }),
    metrics: () => ({}),
  };
}

/** Hits of the arg-max score (first on ties, as evaluation counts) against the labels. */
function hits(out: Tensor, labels: Int32Array): number {
  const [n, c] = out.shape;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (out.data[i * c + j] > out.data[i * c + best]) best = j;
    if (best === labels[i]) correct++;
  }
  return correct;
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
  const check = (out: Tensor, batch: Batch): Int32Array => {
    if (!batch.labels) throw new SpecError('task classification-error: the batch has no labels');
    if (out.rank !== 2) throw new SpecError(`task classification-error: expects scores [batch, classes], got [${out.shape.join(', ')}]`);
    return batch.labels;
  };
  return {
    kind: 'classification',
    classes,
    name: 'classification-error',
    differentiable: false,
    outputShape: [classes],
    loss: (out, batch) => notDifferentiable(out, scalar(1 - hits(out, check(out, batch)) / out.shape[0])),
    score(out, batch) {
      const correct = hits(out, check(out, batch));
      return { lossSum: batch.size - correct, correct, count: batch.size };
    },
    metrics: () => ({}),
  };
}

/**
 * One logistic unit per class against the one-hot label: Σ over classes of the binary
 * cross-entropy of σ(out), the batch mean, so ∂L/∂out = (σ(out) − onehot)/batch (Nøkland's
 * dfa-torch criterion, Models/BCECriterion.lua, sends σ(out) − onehot). The prediction is the
 * arg-max output, as for softmax.
 */
export function oneVsAll(classes: number): Task {
  const loss = (out: Tensor, batch: Batch): Tensor => {
    if (!batch.labels) throw new SpecError('task one-vs-all: the batch has no labels');
    if (out.rank !== 2 || out.shape[1] !== classes)
      throw new SpecError(`task one-vs-all: expects scores [batch, ${classes}], got [${out.shape.join(', ')}]`);
    const onehot = new Float32Array(out.size);
    batch.labels.forEach((y, i) => (onehot[i * classes + y] = 1));
    return mul(binaryCrossEntropy(out, fromArray(onehot, out.shape)), scalar(classes));
  };
  return {
    kind: 'classification',
    classes,
    name: 'one-vs-all',
    outputShape: [classes],
    loss,
    score: (out, batch) => ({ lossSum: loss(out, batch).item() * batch.size, correct: hits(out, batch.labels!), count: batch.size }),
    metrics: () => ({}),
  };
}

/** Objectives a spec may name in `task`; without one, the data decides (see taskFor). */
export const TASK_NAMES = ['classification-error', 'one-vs-all'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

/** The named objective in place of the data's own loss (`task` unset: the data's task as it is). */
export function withObjective(name: string | undefined, task: Task): Task {
  if (name === undefined) return task;
  if (!(TASK_NAMES as readonly string[]).includes(name))
    throw new SpecError(`task: unknown objective "${name}"; accepted: ${TASK_NAMES.join(', ')} (or leave it out for the data's own loss)`);
  if (task.kind !== 'classification') throw new SpecError(`task "${name}": needs a classification dataset, the data is ${task.kind}`);
  return name === 'one-vs-all' ? oneVsAll(task.classes) : classificationError(task.classes);
}

export interface SequenceTaskOptions {
  /** Positions per sample (T): the model outputs [T, classes]. */
  positions: number;
  /** What one position holds, named in the metric: "char" gives bitsPerChar. */
  unit?: string;
  /** Printable symbol of every class (text); with a prompt, the task can draw samples of text. */
  vocab?: readonly string[];
  /** Token ids [T] the samples continue. */
  prompt?: ArrayLike<number>;
  /** Characters drawn per sample (default 240). */
  sampleLength?: number;
  temperature?: number;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Classification at every position of a sequence (next-character prediction, a copy task): mean
 * cross-entropy over the scored positions; its metric is the mean loss in bits per position.
 */
export function sequence(classes: number, o: SequenceTaskOptions): Task {
  const metric = `bitsPer${capital(o.unit ?? 'token')}`;
  const labelsOf = (batch: Batch, out: Tensor): Int32Array => {
    if (!batch.labels) throw new SpecError('task sequence: the batch has no labels');
    if (out.size / classes !== batch.labels.length) {
      throw new SpecError(
        `task sequence: ${batch.labels.length} labels for a model output [${out.shape.join(', ')}] (one label per position)`,
      );
    }
    return batch.labels;
  };
  const task: Task = {
    kind: 'sequence',
    classes,
    name: 'cross-entropy',
    outputShape: [o.positions, classes],
    loss: (out, batch) => tokenCrossEntropy(out, labelsOf(batch, out)),
    score: (out, batch) => tokenScores(out, labelsOf(batch, out)),
    metrics: (meanLoss) => ({ [metric]: meanLoss / Math.LN2 }),
  };
  const { vocab, prompt } = o;
  if (vocab && prompt) {
    const T = o.positions;
    const length = o.sampleLength ?? 240;
    const temperature = o.temperature ?? 0.8;
    const decode = (ids: ArrayLike<number>) => Array.from(ids, (i) => vocab[i] ?? '\uFFFD').join('');
    // Autoregressive: the window slides along, each new symbol drawn from the last position's softmax.
    task.sample = (forward, rng) =>
      noGrad(() => {
        const window = Float32Array.from(prompt);
        const drawn: number[] = [];
        const p = new Float64Array(classes);
        for (let s = 0; s < length; s++) {
          const logits = forward(fromArray(window, [1, T]));
          const row = positionLogits(logits, 0, T - 1);
          let m = -Infinity;
          for (let j = 0; j < classes; j++) m = Math.max(m, row[j] / temperature);
          let z = 0;
          for (let j = 0; j < classes; j++) z += p[j] = Math.exp(row[j] / temperature - m);
          let u = rng.uniform() * z;
          let next = 0;
          while (next < classes - 1 && u >= p[next]) u -= p[next++];
          drawn.push(next);
          window.copyWithin(0, 1);
          window[T - 1] = next;
        }
        return { prompt: decode(prompt), text: decode(drawn), temperature };
      });
  }
  return task;
}

/** The task a dataset poses: its kind, classes and (for sequences) positions, vocabulary and a prompt from `promptFrom`. */
export function taskFor(ds: Dataset, promptFrom: Dataset = ds): Task {
  if (ds.kind === 'regression') return regression(targetWidth(ds));
  if (!ds.positions) return classification(ds.classes);
  const tokens = ds.tokens;
  const prompt = tokens?.vocab && promptFrom.n > 0 ? promptFrom.x.subarray(0, promptFrom.features) : undefined;
  return sequence(ds.classes, { positions: ds.positions, unit: tokens?.unit, vocab: tokens?.vocab, prompt });
}

/**
 * Refuse a sequence task for a rule defined only on one output per sample: a SpecError naming
 * the rule, the module where the model starts reading a sequence, and why.
 */
export function refuseSequenceTask(task: Task, model: Model, rule: string, why: string): void {
  if (task.kind !== 'sequence') return;
  const m = model.modules().find((x) => x.kind === 'embedding' || x.kind === 'attention' || isRecurrent(x)) ?? model.root;
  throw new SpecError(
    `${rule}: not defined for a sequence model scored at every position (module "${m.path}", ${m.kind}, output [${model.outputShape.join(', ')}] per sample): ${why}`,
  );
}
