// Distillation (Hinton, Vinyals & Dean 2015) under rules other than backprop: a small MLP student
// (784–100–10) trained on MNIST from LeNet-5's soft targets at temperature 4 (weight 0.9 on the soft
// term, T²-scaled, 0.1 on the labels), beside the same student trained on the labels alone — under
// backprop, feedback alignment and direct feedback alignment, Adam 1e-3 for all (not tuned). The
// teacher comes from experiments/distill-teacher.ts through `needs`. Evaluation scores the student
// on the labels in both cases. The teacher's forward pass runs inside each training step and is
// not in the rules' cost models.
import { defineExperiment, type DistillSpec } from '../src/index.ts';
import { TEACHER, TEACHER_MODEL, TEACHER_OUT, TEACHER_OUT_QUICK, TEACHER_QUICK } from './distill-teacher.ts';

const soft = (params: string): DistillSpec => ({ teacher: { model: TEACHER_MODEL, params }, temperature: 4, weight: 0.9 });
const RULES = ['backprop', 'feedback-alignment', 'direct-feedback-alignment'];
// The distilled entries take the experiment's `distill` (--quick's teacher under --quick); `distill: false` trains on the labels.
const rules = RULES.flatMap((rule) => [{ rule, distill: false as const }, { rule }]);

export default defineExperiment({
  name: 'distill',
  description:
    'An MLP student (784–100–10, ReLU) on MNIST, trained on labels or distilled from LeNet-5 (T = 4, weight 0.9), ' +
    'under backprop, FA and DFA; Adam 1e-3, batch 64, 5 epochs, 3 seeds.',
  data: { name: 'mnist', validation: 5000 },
  model: { sizes: [784, 100, 10], activation: 'relu', init: 'heUniform' },
  needs: [{ experiment: './distill-teacher.ts', out: TEACHER_OUT }],
  optimizer: { name: 'adam', lr: 1e-3 },
  distill: soft(TEACHER),
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
    distill: soft(TEACHER_QUICK),
    epochs: 2,
    alignEvery: 50,
    seeds: [0],
  },
});
