// A character-level language model on Moby-Dick, every rule that is defined on it, bits per
// character (validation and test) against steps, 3 seeds. Two models, one per run:
//   rulebench run experiments/char-lm.ts                       a small pre-LN transformer
//   CHAR_LM_MODEL=gru rulebench run experiments/char-lm.ts     a GRU
// The transformer takes backprop (plain, and checkpointed per block), feedback alignment on its
// dense maps (q/k/v/o and the MLPs: fa and usf), DFA (per-position projections) and MeZO; the GRU
// takes full BPTT, truncated BPTT, synthetic gradients at the same truncation and MeZO. Rules not
// defined on these models (forward-forward, the stochastic-unit rules; FA/DFA on a recurrent net)
// refuse them before training — `rulebench run` names the module.
import { defineExperiment, type ExperimentSpec, type ModelSpec, type RuleEntry } from '../src/index.ts';

export const CHAR_LM_MODELS: Record<'transformer' | 'gru', ModelSpec> = {
  transformer: { preset: 'transformer', blocks: 2, dim: 64, heads: 4, init: 'xavierUniform' },
  gru: { preset: 'rnn', cell: 'gru', hidden: 128, dim: 32, init: 'xavierUniform' },
};

const TRUNCATE = 8;

export const CHAR_LM_RULES: Record<'transformer' | 'gru', RuleEntry[]> = {
  transformer: [
    { rule: 'backprop' },
    { rule: 'backprop', options: { checkpoint: 1 } },
    { rule: 'feedback-alignment', grid: { variant: ['fa', 'usf'] } },
    { rule: 'direct-feedback-alignment' },
    // Zeroth-order from scratch: plain SGD as the paper, at a rate that stays stable.
    { rule: 'mezo', optimizer: { name: 'sgd', lr: 2e-4 } },
  ],
  gru: [
    { rule: 'backprop' },
    { rule: 'backprop', options: { truncate: TRUNCATE } },
    { rule: 'synthetic-gradients', options: { truncate: TRUNCATE } },
    { rule: 'mezo', optimizer: { name: 'sgd', lr: 2e-4 } },
  ],
};

const which = process.env.CHAR_LM_MODEL === 'gru' ? 'gru' : 'transformer';

export const charLm = (model: 'transformer' | 'gru'): ExperimentSpec => ({
  name: `char-lm-${model}`,
  description:
    `Character-level LM on Moby-Dick (contiguous 90/5/5 split, vocabulary of the training part + unknown), a ${model === 'gru' ? 'GRU (hidden 128)' : '2-block pre-LN transformer (width 64, 4 heads)'}, ` +
    'context 64, batch 32, Adam 3e-3 with cosine decay, 1,500 steps, every applicable rule, 3 seeds; bits per character on 200 validation and test windows.',
  data: { name: 'text', source: 'moby-dick', context: 64, evalWindows: 200 },
  model: CHAR_LM_MODELS[model],
  optimizer: { name: 'adam', lr: 3e-3, schedule: { kind: 'cosine', totalSteps: 1500 } },
  rules: CHAR_LM_RULES[model],
  seeds: [0, 1, 2],
  epochs: 1,
  maxSteps: 1500,
  batchSize: 32,
  evalEvery: 100,
  alignEvery: 100,
  alignSamples: 8,
  memory: true,
  quick: {
    // 300 steps: at 150, backprop's transformer was still at a context-free model's 4.1 bits/char.
    description: `--quick: a smaller ${model} (width 32), chapters 1–20, context 32, 300 steps, 1 seed.`,
    data: { name: 'text', source: 'moby-dick', sections: 'chapter_1..chapter_20', context: 32, evalWindows: 40 },
    model:
      model === 'gru'
        ? { preset: 'rnn', cell: 'gru', hidden: 64, dim: 16, init: 'xavierUniform' }
        : { preset: 'transformer', blocks: 1, dim: 32, heads: 4, init: 'xavierUniform' },
    optimizer: { name: 'adam', lr: 3e-3, schedule: { kind: 'cosine', totalSteps: 300 } },
    maxSteps: 300,
    batchSize: 16,
    evalEvery: 50,
    alignEvery: 50,
    seeds: [0],
  },
});

export default defineExperiment(charLm(which));
