// The teacher for experiments/distill.ts: LeNet-5 trained on MNIST by backprop + Adam, its final
// parameters saved to a file the distillation runs read. `rulebench run experiments/distill.ts
// [--quick]` runs this first (its `needs`) into TEACHER_OUT (TEACHER_OUT_QUICK), or reuses that run.
import { defineExperiment, type ModelSpec } from '../src/index.ts';

export const TEACHER_MODEL: ModelSpec = { preset: 'lenet5', init: 'xavierUniform' };
export const TEACHER_OUT = 'results/distill-teacher';
export const TEACHER_OUT_QUICK = 'results/distill-teacher-quick';
export const TEACHER = `${TEACHER_OUT}/params/lenet5-seed0.json`;
export const TEACHER_QUICK = `${TEACHER_OUT_QUICK}/params/lenet5-seed0.json`;

export default defineExperiment({
  name: 'distill-teacher',
  description: 'The distillation teacher: LeNet-5 on MNIST, backprop + Adam 1e-3, batch 64, 10 epochs; parameters saved for distill.',
  data: { name: 'mnist', validation: 5000 },
  model: TEACHER_MODEL,
  optimizer: { name: 'adam', lr: 1e-3 },
  rules: ['backprop'],
  seeds: [0],
  epochs: 10,
  batchSize: 64,
  evalEvery: 0,
  alignEvery: 0,
  memory: false,
  saveParams: `${TEACHER_OUT}/params/lenet5-seed{seed}.json`,
  quick: {
    description: '--quick: 6,000 training images, 1 epoch (94 steps), evaluated on 1,000 test images.',
    data: { name: 'mnist', train: 6000, test: 1000, validation: 1000 },
    epochs: 1,
    saveParams: `${TEACHER_OUT_QUICK}/params/lenet5-seed{seed}.json`,
  },
});
