// Pretraining for experiments/mezo-finetune.ts: a small transformer LM trained by backprop + Adam
// on chapters 1–100 of Moby-Dick; its final parameters go to a file the fine-tuning run starts from.
// `rulebench run experiments/mezo-finetune.ts [--quick]` runs this first (its `needs`) into
// PRETRAIN_OUT (PRETRAIN_OUT_QUICK), or reuses that run once it has finished.
import { defineExperiment, type ModelSpec } from '../src/index.ts';

export const PRETRAIN_SECTIONS = 'chapter_1..chapter_100';
export const FINETUNE_MODEL: ModelSpec = { preset: 'transformer', blocks: 2, dim: 64, heads: 4, init: 'xavierUniform' };
export const FINETUNE_MODEL_QUICK: ModelSpec = { preset: 'transformer', blocks: 1, dim: 32, heads: 4, init: 'xavierUniform' };
export const PRETRAIN_OUT = 'results/mezo-pretrain';
export const PRETRAIN_OUT_QUICK = 'results/mezo-pretrain-quick';
export const PRETRAINED = `${PRETRAIN_OUT}/params/transformer-seed{seed}.json`;
export const PRETRAINED_QUICK = `${PRETRAIN_OUT_QUICK}/params/transformer-seed{seed}.json`;

export default defineExperiment({
  name: 'mezo-pretrain',
  description: `Pretraining a 2-block transformer LM (width 64) on Moby-Dick ${PRETRAIN_SECTIONS} with backprop + Adam 3e-3 (cosine schedule over 3,000 steps), context 64, batch 32, one epoch of the text: 409 steps (it ends before maxSteps and the schedule do); parameters saved for mezo-finetune.`,
  data: { name: 'text', source: 'moby-dick', sections: PRETRAIN_SECTIONS, context: 64, evalWindows: 200 },
  model: FINETUNE_MODEL,
  optimizer: { name: 'adam', lr: 3e-3, schedule: { kind: 'cosine', totalSteps: 3000 } },
  rules: ['backprop'],
  seeds: [0],
  // One epoch is 409 steps of batch 32: training stops there, before maxSteps, with the cosine
  // schedule 409/3,000 of its way (the rate still 95% of its peak). The committed records
  // (results/mezo-pretrain) were made so, and the runs that start from them need this spec.
  epochs: 1,
  maxSteps: 3000,
  batchSize: 32,
  evalEvery: 250,
  alignEvery: 0,
  memory: true,
  saveParams: PRETRAINED,
  quick: {
    description: '--quick: a 1-block transformer (width 32), context 32, 400 steps.',
    data: { name: 'text', source: 'moby-dick', sections: PRETRAIN_SECTIONS, context: 32, evalWindows: 60 },
    model: FINETUNE_MODEL_QUICK,
    optimizer: { name: 'adam', lr: 3e-3, schedule: { kind: 'cosine', totalSteps: 400 } },
    maxSteps: 400,
    evalEvery: 100,
    batchSize: 16,
    saveParams: PRETRAINED_QUICK,
  },
});
