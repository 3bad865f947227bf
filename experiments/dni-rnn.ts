// Synthetic gradients for recurrent nets (Jaderberg et al. 2017 §3.2): a GRU trained by full BPTT,
// by truncated BPTT at several truncation lengths, and by truncated BPTT whose cuts receive a
// synthesizer's prediction of the gradient from beyond (DNI) at the same lengths.
//   rulebench run experiments/dni-rnn.ts                          the copy task (memory beyond the cut)
//   DNI_TASK=char-lm rulebench run experiments/dni-rnn.ts         character-level LM on Moby-Dick
//   DNI_TASK=copy-gap rulebench run experiments/dni-rnn.ts        small copy task, cut every 2 steps: what the synthesizer can predict
// Copy task: 5 symbols, then DNI_DELAY blank steps (default 10), a marker, and the 5 symbols to be
// recalled; only the recall is scored, so the dependency spans length + delay = 15 steps: a
// truncation shorter than that leaves truncated BPTT no gradient path from the recall to the
// symbols, which is the gap synthetic gradients are meant to bridge.
import { defineExperiment, type ExperimentSpec, type RuleEntry } from '../src/index.ts';

const TRUNCATIONS = [2, 4, 8];

const rules = (lengths: number[]): RuleEntry[] => [
  { rule: 'backprop' },
  { rule: 'backprop', grid: { truncate: lengths } },
  { rule: 'synthetic-gradients', grid: { truncate: lengths }, options: { synthesizer: 'linear', synthLr: 1e-3 } },
];

export function dniCopy(delay: number): ExperimentSpec {
  return {
    name: `dni-rnn-copy-delay${delay}`,
    description:
      `Copy task (5 of 8 symbols, a delay of ${delay} blanks, then recall; only the recall scored): a GRU (embedding 16, hidden 64), ` +
      `full BPTT vs truncated BPTT at ${TRUNCATIONS.join(', ')} steps, with and without synthetic gradients at the cuts; Adam 3e-3, batch 32, 3,000 steps, 3 seeds.`,
    data: { name: 'copy', length: 5, delay, symbols: 8, train: 8000, test: 1000, validation: 500 },
    model: { preset: 'rnn', cell: 'gru', hidden: 64, dim: 16, init: 'xavierUniform' },
    optimizer: { name: 'adam', lr: 3e-3 },
    rules: rules(TRUNCATIONS),
    seeds: [0, 1, 2],
    epochs: 100,
    maxSteps: 3000,
    batchSize: 32,
    evalEvery: 100,
    alignEvery: 100,
    alignSamples: 8,
    memory: true,
    quick: {
      // Full BPTT solves the delay-10 copy task after 600–1,000 steps (0.42 of recalls right at 400).
      description: `--quick: the copy task with delay ${delay}, 800 steps, 1 seed.`,
      data: { name: 'copy', length: 5, delay, symbols: 8, train: 2000, test: 300, validation: 200 },
      maxSteps: 800,
      evalEvery: 100,
      alignEvery: 100,
      seeds: [0],
    },
  };
}

// A copy task small enough for two seeds on a shared CPU (3 symbols, 6 blanks, recall: a 9-step
// dependency against cuts every 2 steps), with the synthesizer's capacity (linear, MLP) and target
// (bootstrapped, or the true BPTT gradient at the cut) as the variables. The target 'backprop' row is
// a diagnostic, not DNI: it shows how much of the gradient beyond a cut a synthesizer reading only
// h can predict at all (rnn.cosTarget against the true gradient).
export function dniCopyGap(): ExperimentSpec {
  const truncate = 2;
  return {
    name: 'dni-rnn-copy-gap',
    description:
      'Copy task (3 of 8 symbols, 6 blanks, then recall; only the recall scored): a GRU (embedding 8, hidden 32), full BPTT vs truncated BPTT ' +
      `at ${truncate} steps vs DNI at the same cuts (linear and MLP synthesizers; MLP trained on the true gradient as a diagnostic); Adam 3e-3, batch 32, 600 steps, 2 seeds.`,
    data: { name: 'copy', length: 3, delay: 6, symbols: 8, train: 4000, test: 500, validation: 200 },
    model: { preset: 'rnn', cell: 'gru', hidden: 32, dim: 8, init: 'xavierUniform' },
    optimizer: { name: 'adam', lr: 3e-3 },
    rules: [
      { rule: 'backprop' },
      { rule: 'backprop', options: { truncate } },
      { rule: 'synthetic-gradients', grid: { synthesizer: ['linear', 'mlp'] }, options: { truncate, synthHidden: 64, synthLr: 1e-3 } },
      { rule: 'synthetic-gradients', options: { truncate, synthesizer: 'mlp', synthHidden: 64, synthLr: 1e-3, target: 'backprop' } },
    ],
    seeds: [0, 1],
    epochs: 100,
    maxSteps: 600,
    batchSize: 32,
    evalEvery: 100,
    alignEvery: 100,
    alignSamples: 8,
  };
}

// The same task with the synthesizer's rate as the variable: at 1e-3 it trails its moving target
// (cosine 0.1–0.3 above); this runs a linear synthesizer at 1e-2 beside truncated BPTT.
export function dniCopyGapRate(): ExperimentSpec {
  const truncate = 2;
  const base = dniCopyGap();
  return {
    ...base,
    name: 'dni-rnn-copy-gap-rate',
    description:
      'Copy task (3 of 8 symbols, 6 blanks, then recall; only the recall scored): a GRU (embedding 8, hidden 32), ' +
      `truncated BPTT at ${truncate} steps vs DNI at the same cuts with a linear synthesizer at rate 1e-2 (and, as a diagnostic, the same synthesizer trained on the true gradient); Adam 3e-3, batch 32, 600 steps, 2 seeds.`,
    rules: [
      { rule: 'backprop', options: { truncate } },
      {
        rule: 'synthetic-gradients',
        grid: { target: ['bootstrap', 'backprop'] },
        options: { truncate, synthesizer: 'linear', synthHidden: 64, synthLr: 1e-2 },
      },
    ],
  };
}

// Longer: does DNI at rate 1e-2 pull away from truncation once truncation has plateaued?
export function dniCopyGapLong(): ExperimentSpec {
  const truncate = 2;
  return {
    ...dniCopyGap(),
    name: 'dni-rnn-copy-gap-long',
    description:
      'Copy task (3 of 8 symbols, 6 blanks, then recall; only the recall scored): a GRU (embedding 8, hidden 32), ' +
      `truncated BPTT at ${truncate} steps vs DNI at the same cuts with a linear synthesizer at rate 1e-2; Adam 3e-3, batch 32, 1,200 steps, 2 seeds.`,
    rules: [
      { rule: 'backprop', options: { truncate } },
      { rule: 'synthetic-gradients', options: { truncate, synthesizer: 'linear', synthHidden: 64, synthLr: 1e-2 } },
    ],
    maxSteps: 1200,
  };
}

export function dniCharLm(): ExperimentSpec {
  return {
    name: 'dni-rnn-char-lm',
    description:
      `Character-level LM on Moby-Dick, context 64: a GRU (embedding 32, hidden 128), full BPTT vs truncated BPTT at ${TRUNCATIONS.join(', ')} steps with and without synthetic gradients; ` +
      'Adam 3e-3 with cosine decay, batch 32, 1,500 steps, 3 seeds.',
    data: { name: 'text', source: 'moby-dick', context: 64, evalWindows: 200 },
    model: { preset: 'rnn', cell: 'gru', hidden: 128, dim: 32, init: 'xavierUniform' },
    optimizer: { name: 'adam', lr: 3e-3, schedule: { kind: 'cosine', totalSteps: 1500 } },
    rules: rules(TRUNCATIONS),
    seeds: [0, 1, 2],
    epochs: 1,
    maxSteps: 1500,
    batchSize: 32,
    evalEvery: 100,
    alignEvery: 100,
    alignSamples: 8,
    memory: true,
    quick: {
      // 300 steps: at 150, full BPTT was still at a context-free model's 4.4 bits/char.
      description: '--quick: chapters 1–20, context 32, a GRU with hidden 64, 300 steps, 1 seed.',
      data: { name: 'text', source: 'moby-dick', sections: 'chapter_1..chapter_20', context: 32, evalWindows: 40 },
      model: { preset: 'rnn', cell: 'gru', hidden: 64, dim: 16, init: 'xavierUniform' },
      optimizer: { name: 'adam', lr: 3e-3, schedule: { kind: 'cosine', totalSteps: 300 } },
      // Chapters 1–20 hold 178 batches: the second pass makes up the 300 steps.
      epochs: 2,
      maxSteps: 300,
      evalEvery: 50,
      alignEvery: 50,
      seeds: [0],
    },
  };
}

const delay = Number(process.env.DNI_DELAY ?? 10);
const task = process.env.DNI_TASK ?? 'copy';
const specs: Record<string, () => ExperimentSpec> = {
  copy: () => dniCopy(delay),
  'copy-gap': dniCopyGap,
  'copy-gap-rate': dniCopyGapRate,
  'copy-gap-long': dniCopyGapLong,
  'char-lm': dniCharLm,
};
if (!specs[task]) {
  console.error(`DNI_TASK: expected one of ${Object.keys(specs).join(', ')}, got "${task}"`);
  process.exit(2);
}
export default defineExperiment(specs[task]());
