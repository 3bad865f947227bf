// MeZO's setting in miniature (Malladi et al. 2023): fine-tune a pretrained LM on a held-out
// domain with zeroth-order SGD at the memory of inference, beside backprop + Adam (full
// fine-tuning) and backprop + checkpointing per block. The pretrained model comes from
// experiments/mezo-pretrain.ts (Moby-Dick chapters 1–100); the new domain is the book's front
// matter — the Etymology and the Extracts, quotations from the Bible to whaling logs — whose
// register the narrative chapters never had. Ids keep the pretraining text's vocabulary.
// The report gives bits/char against steps and against training time, the steps and time each
// method needs to reach the level every one of them reaches, and peak memory ÷ inference.
// `needs` runs mezo-pretrain first (or reuses its finished run), --quick with --quick.
import { defineExperiment } from '../src/index.ts';
import {
  FINETUNE_MODEL,
  FINETUNE_MODEL_QUICK,
  PRETRAIN_OUT,
  PRETRAIN_OUT_QUICK,
  PRETRAIN_SECTIONS,
  PRETRAINED,
  PRETRAINED_QUICK,
} from './mezo-pretrain.ts';

const DOMAIN = 'etymology..extracts';
// One pretrained model (seed 0) fine-tuned under three seeds: data order and MeZO's directions vary.
const from = (template: string) => template.replace('{seed}', '0');

export default defineExperiment({
  name: 'mezo-finetune',
  description:
    `Fine-tuning the mezo-pretrain transformer (Moby-Dick ${PRETRAIN_SECTIONS}) on the held-out Etymology + Extracts: MeZO (SGD 1e-3, ε = 1e-3, as the paper) ` +
    'vs backprop + Adam 1e-3 and backprop + Adam with checkpointing per block; context 64, batch 16, 1,500 steps, 3 seeds.',
  data: {
    name: 'text',
    source: 'moby-dick',
    sections: DOMAIN,
    split: [0.8, 0.1, 0.1],
    context: 64,
    vocabulary: { sections: PRETRAIN_SECTIONS },
  },
  model: FINETUNE_MODEL,
  needs: [{ experiment: './mezo-pretrain.ts', out: PRETRAIN_OUT }],
  init: from(PRETRAINED),
  optimizer: { name: 'adam', lr: 1e-3 },
  rules: [
    { rule: 'mezo', options: { eps: 1e-3 }, optimizer: { name: 'sgd', lr: 1e-3 } },
    { rule: 'backprop' },
    { rule: 'backprop', options: { checkpoint: 1 } },
  ],
  seeds: [0, 1, 2],
  epochs: 1000,
  maxSteps: 1500,
  batchSize: 16,
  evalEvery: 50,
  alignEvery: 100,
  alignSamples: 8,
  memory: true,
  quick: {
    description: '--quick: the mezo-pretrain --quick model (1 block, width 32), context 32, 300 steps, 1 seed.',
    data: {
      name: 'text',
      source: 'moby-dick',
      sections: DOMAIN,
      split: [0.8, 0.1, 0.1],
      context: 32,
      vocabulary: { sections: PRETRAIN_SECTIONS },
    },
    model: FINETUNE_MODEL_QUICK,
    needs: [{ experiment: './mezo-pretrain.ts', out: PRETRAIN_OUT_QUICK }],
    init: from(PRETRAINED_QUICK),
    maxSteps: 300,
    evalEvery: 25,
    alignEvery: 50,
    seeds: [0],
  },
});
