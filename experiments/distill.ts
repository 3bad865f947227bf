// Distillation (Hinton, Vinyals & Dean 2015) under rules other than backprop: a small MLP student
// (784–100–10) trained on MNIST from LeNet-5's soft targets (weight 0.9 on the soft term, T²-scaled,
// 0.1 on the labels), beside the same student trained on the labels alone — under backprop,
// feedback alignment and direct feedback alignment, Adam. Each rule's rates (labels, distilled) and
// temperature are experiments/distill-sweep.ts's picks on the validation split (PICKS below). The
// teacher comes from experiments/distill-teacher.ts through `needs`. Evaluation scores the student
// on the labels in both cases. The teacher's forward pass runs inside each training step and is
// not in the rules' cost models.
import { defineExperiment, type DistillSpec } from '../src/index.ts';
import { TEACHER, TEACHER_MODEL, TEACHER_OUT, TEACHER_OUT_QUICK, TEACHER_QUICK } from './distill-teacher.ts';

// Hinton, Vinyals & Dean 2015 report MNIST figures for distillation (§3); their text was not
// reachable from this machine, so none is declared as a reference (a figure not read in its
// source does not go in).
const WEIGHT = 0.9;
// The experiment's distill names the teacher (--quick's under --quick); each distilled entry sets its own temperature.
const teacher = (params: string): DistillSpec => ({ teacher: { model: TEACHER_MODEL, params }, temperature: 1, weight: WEIGHT });
/** distill-sweep's picks (2 epochs, seed 3, best final validation accuracy): Adam's rate on the labels and distilled, and T. */
const PICKS: Record<string, { labels: number; distilled: number; temperature: number }> = {
  backprop: { labels: 3e-3, distilled: 1e-2, temperature: 8 },
  'feedback-alignment': { labels: 3e-3, distilled: 1e-2, temperature: 4 },
  'direct-feedback-alignment': { labels: 3e-3, distilled: 1e-2, temperature: 4 },
};
const rules = Object.entries(PICKS).flatMap(([rule, p]) => [
  { rule, distill: false as const, optimizer: { name: 'adam' as const, lr: p.labels } },
  { rule, distill: { temperature: p.temperature, weight: WEIGHT }, optimizer: { name: 'adam' as const, lr: p.distilled } },
]);

export default defineExperiment({
  name: 'distill',
  description:
    'An MLP student (784–100–10, ReLU) on MNIST, trained on labels or distilled from LeNet-5 (weight 0.9), ' +
    'under backprop, FA and DFA at the rates and temperatures distill-sweep chose; Adam, batch 64, 5 epochs, 3 seeds.',
  data: { name: 'mnist', validation: 5000 },
  model: { sizes: [784, 100, 10], activation: 'relu', init: 'heUniform' },
  needs: [{ experiment: './distill-teacher.ts', out: TEACHER_OUT }],
  optimizer: { name: 'adam', lr: 1e-3 },
  distill: teacher(TEACHER),
  rules,
  seeds: [0, 1, 2],
  epochs: 5,
  batchSize: 64,
  evalEvery: 0,
  alignEvery: 200,
  memory: true,
  quick: {
    description: '--quick: 6,000 training images, 2 epochs, 1 seed, the distill-teacher --quick teacher.',
    data: { name: 'mnist', train: 6000, test: 1000, validation: 1000 },
    needs: [{ experiment: './distill-teacher.ts', out: TEACHER_OUT_QUICK }],
    distill: teacher(TEACHER_QUICK),
    epochs: 2,
    alignEvery: 50,
    seeds: [0],
  },
});
