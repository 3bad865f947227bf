// Distillation as a task (Hinton, Vinyals & Dean 2015): the student's loss mixes the cross-entropy
// with the teacher's softened distribution at temperature T, scaled by T² so its gradients keep
// their size as T changes (their §2), with the cross-entropy against the labels. Any rule trains on
// it as on any task; evaluation still scores the student on the labels, as the plain task does.
import { SpecError } from '../errors.ts';
import { isRecord, show } from '../fields.ts';
import { noGrad } from '../autograd/functional.ts';
import { add, logSoftmax, mul, softmax, sub, sum } from '../autograd/ops.ts';
import { crossEntropy } from '../nn/losses.ts';
import type { ModelSpec } from '../nn/presets.ts';
import { scalar, type Tensor } from '../tensor/tensor.ts';
import type { Batch, Task } from './task.ts';

export interface DistillSpec {
  /** The teacher: its model spec (built for the same data) and the parameter file it was trained into. */
  teacher: { model: ModelSpec; params: string };
  /** T > 0: both distributions are softmax(logits / T). */
  temperature: number;
  /** Weight of the soft-target term in [0, 1]; the labels' cross-entropy gets 1 − weight. */
  weight: number;
}

/** Check a distill spec at `at` (one SpecError naming the field). */
export function parseDistill(v: unknown, at = 'distill'): DistillSpec {
  if (!isRecord(v)) throw new SpecError(`${at}: expected { teacher: { model, params }, temperature, weight }, got ${show(v)}`);
  const extra = Object.keys(v).find((k) => !['teacher', 'temperature', 'weight'].includes(k));
  if (extra !== undefined) throw new SpecError(`${at}.${extra}: unknown key; accepted: teacher, temperature, weight`);
  const t = v.teacher;
  if (!isRecord(t) || !isRecord(t.model) || typeof t.params !== 'string' || !t.params)
    throw new SpecError(`${at}.teacher: expected { model: <a model spec>, params: <its parameter file> }, got ${show(t)}`);
  const textra = Object.keys(t).find((k) => !['model', 'params'].includes(k));
  if (textra !== undefined) throw new SpecError(`${at}.teacher.${textra}: unknown key; accepted: model, params`);
  if (!(typeof v.temperature === 'number' && Number.isFinite(v.temperature) && v.temperature > 0))
    throw new SpecError(`${at}.temperature: expected a positive number, got ${show(v.temperature)}`);
  if (!(typeof v.weight === 'number' && v.weight >= 0 && v.weight <= 1))
    throw new SpecError(`${at}.weight: expected a number in [0, 1] (the soft targets' share of the loss), got ${show(v.weight)}`);
  return v as unknown as DistillSpec;
}

/**
 * w·T²·mean_i KL(softmax(t_i/T) ‖ softmax(s_i/T)) + (1 − w)·CE(s, labels): student logits s and
 * teacher logits t [n, classes] (the teacher's a constant). The KL's teacher-entropy term keeps the
 * loss at zero for a student that matches, and leaves its gradient that of Hinton's soft cross-entropy.
 */
export function distillationLoss(student: Tensor, teacher: Tensor, labels: Batch['labels'], temperature: number, weight: number): Tensor {
  const n = student.shape[0];
  const inv = scalar(1 / temperature);
  const logP = noGrad(() => logSoftmax(mul(teacher, inv)));
  const p = noGrad(() => softmax(mul(teacher, inv)));
  const kl = sum(mul(p, sub(logP, logSoftmax(mul(student, inv)))));
  const soft = mul(kl, scalar((weight * temperature * temperature) / n));
  if (weight === 1) return soft;
  return add(soft, mul(crossEntropy(student, labels!), scalar(1 - weight)));
}

/** A distillation teacher: its logits for a batch of inputs, and the tensors it holds (frozen). */
export interface Teacher {
  forward(x: Tensor): Tensor;
  tensors: Tensor[];
}

/**
 * `task` (classification) with the distillation loss for training, the teacher's logits from
 * `teacher(x)`; scores, metrics and the objective's figures stay the task's (evaluation on the labels).
 */
export function distilled(task: Task, teacher: (x: Tensor) => Tensor, spec: DistillSpec): Task {
  if (task.kind !== 'classification')
    throw new SpecError(
      `distill: soft targets are defined here for classification (one class distribution per sample); the task is ${task.kind}`,
    );
  return {
    ...task,
    name: 'distillation',
    loss(out, batch) {
      if (!batch.labels) throw new SpecError('distill: the batch has no labels');
      const t = noGrad(() => teacher(batch.x));
      if (t.rank !== out.rank || t.shape.some((d, i) => d !== out.shape[i]))
        throw new SpecError(
          `distill.teacher: the teacher outputs [${t.shape.join(', ')}], the student [${out.shape.join(', ')}]; they must score the same classes`,
        );
      return distillationLoss(out, t, batch.labels, spec.temperature, spec.weight);
    },
  };
}
