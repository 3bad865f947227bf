// The small sweep that chose experiments/lora-finetune.ts's settings, per rule and per kind of
// fine-tuning, on the validation split alone (test figures are never read for the choice): the
// learning rate of full fine-tuning, and the rate and rank of LoRA (alpha fixed at 16, as Hu et al.
// 2021 fix alpha rather than tune it), three rates a kind (a third, lower one added once the first
// two picked the lower), 200 steps on one seed (3, outside lora-finetune's 0–2).
// The pick is the lowest final validation bits/char; docs/results.md lists the sweep and its picks.
import { defineExperiment, type AdapterSpec } from '../src/index.ts';
import { FINETUNE_MODEL, FINETUNE_MODEL_QUICK, PRETRAIN_OUT, PRETRAIN_OUT_QUICK, PRETRAINED, PRETRAINED_QUICK } from './mezo-pretrain.ts';
import { finetuneData, LORA_LAYERS } from './lora-finetune.ts';

const lora = (rank: number): AdapterSpec => ({ kind: 'lora', rank, alpha: 16, layers: LORA_LAYERS });
const from = (template: string) => template.replace('{seed}', '0');
const RANKS = [4, 16];
const MEZO = { rule: 'mezo', options: { eps: 1e-3 } };
const rules = [
  ...[3e-4, 1e-3, 3e-3].map((lr) => ({ rule: 'backprop', optimizer: { name: 'adam' as const, lr } })),
  ...RANKS.flatMap((rank) =>
    [1e-3, 3e-3, 1e-2].map((lr) => ({ rule: 'backprop', adapters: lora(rank), optimizer: { name: 'adam' as const, lr } })),
  ),
  ...[3e-4, 1e-3, 3e-3].map((lr) => ({ ...MEZO, optimizer: { name: 'sgd' as const, lr } })),
  ...RANKS.flatMap((rank) => [3e-3, 1e-2, 3e-2].map((lr) => ({ ...MEZO, adapters: lora(rank), optimizer: { name: 'sgd' as const, lr } }))),
];

export default defineExperiment({
  name: 'lora-sweep',
  description:
    'The sweep behind lora-finetune: full fine-tuning (backprop + Adam 3e-4, 1e-3 or 3e-3; MeZO SGD 3e-4, 1e-3 or 3e-3) and LoRA on attention q and v ' +
    '(rank 4 or 16, alpha 16; Adam 1e-3, 3e-3 or 1e-2; MeZO SGD 3e-3, 1e-2 or 3e-2), ε = 1e-3; context 64, batch 16, 200 steps, seed 3; chosen on validation bits/char.',
  data: finetuneData(64),
  model: FINETUNE_MODEL,
  needs: [{ experiment: './mezo-pretrain.ts', out: PRETRAIN_OUT }],
  init: from(PRETRAINED),
  optimizer: { name: 'adam', lr: 1e-3 },
  rules,
  seeds: [3],
  epochs: 1000,
  maxSteps: 200,
  batchSize: 16,
  evalEvery: 200,
  alignEvery: 0,
  memory: false,
  quick: {
    description: '--quick: the mezo-pretrain --quick model (1 block, width 32), context 32, 100 steps.',
    data: finetuneData(32),
    model: FINETUNE_MODEL_QUICK,
    needs: [{ experiment: './mezo-pretrain.ts', out: PRETRAIN_OUT_QUICK }],
    init: from(PRETRAINED_QUICK),
    maxSteps: 100,
    evalEvery: 100,
  },
});
