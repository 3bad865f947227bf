// The small sweep that chose experiments/distill.ts's settings, per rule, on the validation split
// alone (its test figures are never read for the choice): Adam's rate for the label-trained
// student, and the rate and temperature for the distilled one (the soft term's weight stays 0.9;
// the third rate added once the first two picked the higher), one seed (3, outside distill's 0–2),
// 2 epochs instead of 5. The pick per rule and loss is the best final validation accuracy;
// docs/results.md lists the sweep and its picks.
import { defineExperiment, type DistillSpec } from '../src/index.ts';
import { TEACHER, TEACHER_MODEL, TEACHER_OUT, TEACHER_OUT_QUICK, TEACHER_QUICK } from './distill-teacher.ts';

export const DISTILL_RULES = ['backprop', 'feedback-alignment', 'direct-feedback-alignment'];
const RATES = [1e-3, 3e-3, 1e-2];
const TEMPERATURES = [2, 4, 8];
const WEIGHT = 0.9;
const teacher = (params: string): DistillSpec => ({ teacher: { model: TEACHER_MODEL, params }, temperature: 1, weight: WEIGHT });
// Each distilled entry sets its temperature and takes the experiment's teacher (--quick's under --quick).
const rules = DISTILL_RULES.flatMap((rule) =>
  RATES.flatMap((lr) => [
    { rule, distill: false as const, optimizer: { name: 'adam' as const, lr } },
    ...TEMPERATURES.map((temperature) => ({ rule, distill: { temperature, weight: WEIGHT }, optimizer: { name: 'adam' as const, lr } })),
  ]),
);

export default defineExperiment({
  name: 'distill-sweep',
  description:
    'The sweep behind distill: the MLP student (784–100–10) on labels or distilled from LeNet-5 (weight 0.9), per rule (backprop, FA, DFA): ' +
    'Adam 1e-3, 3e-3 or 1e-2 × T ∈ {2, 4, 8}; batch 64, 2 epochs, seed 3; chosen on validation accuracy.',
  data: { name: 'mnist', validation: 5000 },
  model: { sizes: [784, 100, 10], activation: 'relu', init: 'heUniform' },
  needs: [{ experiment: './distill-teacher.ts', out: TEACHER_OUT }],
  optimizer: { name: 'adam', lr: 1e-3 },
  distill: teacher(TEACHER),
  rules,
  seeds: [3],
  epochs: 2,
  batchSize: 64,
  evalEvery: 0,
  alignEvery: 0,
  memory: false,
  quick: {
    description: '--quick: 6,000 training images, 1 epoch, the distill-teacher --quick teacher.',
    data: { name: 'mnist', train: 6000, test: 1000, validation: 1000 },
    needs: [{ experiment: './distill-teacher.ts', out: TEACHER_OUT_QUICK }],
    distill: teacher(TEACHER_QUICK),
    epochs: 1,
  },
});
