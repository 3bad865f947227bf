// LoRA against full fine-tuning (Hu et al. 2021; MeZO's paper pairs MeZO with LoRA, Malladi et al.
// 2023 §3): the character-level fine-tuning of experiments/mezo-finetune.ts — the mezo-pretrain
// transformer moved to Moby-Dick's Etymology and Extracts — under backprop + Adam and MeZO, each
// training every parameter or only adapters (alpha 16) on the attention query and value
// projections of every block, the base frozen. Rates and ranks are experiments/lora-sweep.ts's
// picks on the validation split (200 steps, seed 3): Adam 3e-4 full, 1e-3 LoRA rank 16; MeZO SGD
// 1e-3 full, 3e-3 LoRA rank 16 (ε = 1e-3). The report gives bits/char against steps and the memory
// by category at the peak: adapters' parameters and optimizer state beside the frozen weights.
// 600 steps, a length two shared cores allow for 12 trials. `needs` runs mezo-pretrain first (or
// reuses its finished run).
import { defineExperiment, type AdapterSpec } from '../src/index.ts';
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
export const LORA_LAYERS = ['block*.attn.self.q', 'block*.attn.self.v'];
const LORA: AdapterSpec = { kind: 'lora', rank: 16, alpha: 16, layers: LORA_LAYERS };
const from = (template: string) => template.replace('{seed}', '0');
export const finetuneData = (context: number) => ({
  name: 'text' as const,
  source: 'moby-dick',
  sections: DOMAIN,
  split: [0.8, 0.1, 0.1] as [number, number, number],
  context,
  vocabulary: { sections: PRETRAIN_SECTIONS },
});

export default defineExperiment({
  name: 'lora-finetune',
  description:
    'Full fine-tuning vs LoRA (rank 16, alpha 16, attention q and v) of the mezo-pretrain transformer on Etymology + Extracts, ' +
    'under backprop + Adam (3e-4 full, 1e-3 LoRA) and MeZO (SGD 1e-3 full, 3e-3 LoRA; ε = 1e-3), as lora-sweep chose; context 64, batch 16, 600 steps, 3 seeds.',
  data: finetuneData(64),
  model: FINETUNE_MODEL,
  needs: [{ experiment: './mezo-pretrain.ts', out: PRETRAIN_OUT }],
  init: from(PRETRAINED),
  optimizer: { name: 'adam', lr: 3e-4 },
  rules: [
    { rule: 'backprop' },
    { rule: 'backprop', adapters: LORA, optimizer: { name: 'adam', lr: 1e-3 } },
    { rule: 'mezo', options: { eps: 1e-3 }, optimizer: { name: 'sgd', lr: 1e-3 } },
    { rule: 'mezo', options: { eps: 1e-3 }, adapters: LORA, optimizer: { name: 'sgd', lr: 3e-3 } },
  ],
  seeds: [0, 1, 2],
  epochs: 1000,
  maxSteps: 600,
  batchSize: 16,
  evalEvery: 100,
  alignEvery: 300,
  alignSamples: 8,
  memory: true,
  quick: {
    description: '--quick: the mezo-pretrain --quick model (1 block, width 32), context 32, 300 steps, 1 seed.',
    data: finetuneData(32),
    model: FINETUNE_MODEL_QUICK,
    needs: [{ experiment: './mezo-pretrain.ts', out: PRETRAIN_OUT_QUICK }],
    init: from(PRETRAINED_QUICK),
    maxSteps: 300,
    evalEvery: 25,
    alignEvery: 50,
    seeds: [0],
  },
});
