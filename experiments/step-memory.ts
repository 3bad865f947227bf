// Memory over one training step, per rule: the ledger's live bytes by category along the step's
// logical clock (every tensor's birth and last use are stamped on it), for a stacked-area chart —
// backprop's activations piling up through the forward pass and draining through the backward,
// checkpointing's recomputation, MeZO's flat line. Deterministic: a rerun writes the same records.
//   npx tsx experiments/step-memory.ts [--out DIR]        (default results/step-memory)
//   npx tsx src/cli.ts report results/step-memory         (its chart: report.html)
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import '../algorithms/index.ts';
import {
  writeScriptRecords,
  getRule,
  memoryTimelineObserver,
  runSingleTrial,
  type ByCategory,
  type DataConfig,
  type RuleOptions,
  type TrialConfig,
} from '../src/index.ts';
import { useBackendFromEnv } from '../src/kernels-api.ts';

export interface StepMemorySetup {
  data: DataConfig;
  sizes: number[];
  batchSize: number;
  /** Points on the step's clock. */
  bins: number;
  variants: Array<{ label: string; rule: string; options: RuleOptions }>;
}

export const SETUP: StepMemorySetup = {
  data: { name: 'blobs', train: 512 * 2, test: 64, classes: 10, features: 256, spread: 0.6 },
  sizes: [256, 256, 256, 256, 256, 256, 10],
  // Batch 512: each layer's activations (512 KiB) outweigh its weights (256 KiB), as in training at scale.
  batchSize: 512,
  bins: 120,
  variants: [
    { label: 'backprop', rule: 'backprop', options: {} },
    { label: 'backprop checkpoint=-1', rule: 'backprop', options: { checkpoint: -1 } },
    { label: 'feedback-alignment', rule: 'feedback-alignment', options: {} },
    { label: 'direct-feedback-alignment', rule: 'direct-feedback-alignment', options: {} },
    { label: 'synthetic-gradients', rule: 'synthetic-gradients', options: {} },
    { label: 'forward-forward', rule: 'forward-forward', options: {} },
    { label: 'mezo', rule: 'mezo', options: {} },
  ],
};

/** One moment of a rule's step: live bytes by category. */
export interface TimelineRecord {
  type: 'memory-timeline';
  rule: string;
  at: number;
  bytes: ByCategory;
}

/** A rule's step as a whole: its peak and what was live at it. */
export interface StepPeakRecord {
  type: 'step-memory';
  rule: string;
  ruleId: string;
  options: RuleOptions;
  startBytes: number;
  peakBytes: number;
  atPeak: ByCategory;
  peakByCategory: ByCategory;
}

/** The timeline of the second step (the first may set up state) of each variant, plain SGD (no optimizer state). */
export function stepMemory(setup: StepMemorySetup, log: (s: string) => void = () => {}): Array<TimelineRecord | StepPeakRecord> {
  const out: Array<TimelineRecord | StepPeakRecord> = [];
  for (const v of setup.variants) {
    const rule = getRule(v.rule);
    const obs = memoryTimelineObserver(1, setup.bins);
    const config: TrialConfig = {
      experiment: 'step-memory',
      rule: rule.id,
      options: v.options,
      seed: 0,
      data: setup.data,
      model: { sizes: setup.sizes, activation: 'relu' },
      optimizer: { name: 'sgd', lr: 0.01 },
      batchSize: setup.batchSize,
      epochs: 1_000_000,
      maxSteps: 2,
      evalEvery: 0,
      alignEvery: 0,
      alignSamples: 16,
      memory: false,
      debug: false,
    } as TrialConfig;
    runSingleTrial(config, rule, { id: `step-memory-${v.label}`, observers: [obs] });
    const m = obs.memory();
    out.push({
      type: 'step-memory',
      rule: v.label,
      ruleId: rule.id,
      options: v.options,
      startBytes: m.startBytes,
      peakBytes: m.peakBytes,
      atPeak: m.atPeak,
      peakByCategory: m.peakByCategory,
    });
    for (const p of m.timeline!) out.push({ type: 'memory-timeline', rule: v.label, at: p.at, bytes: p.bytes });
    log(
      `${v.label}: peak ${(m.peakBytes / 2 ** 20).toFixed(2)} MiB, saved activations at most ${(m.peakByCategory['saved-activation'] / 2 ** 20).toFixed(2)} MiB`,
    );
  }
  return out;
}

async function main(): Promise<void> {
  let values: { out?: string };
  try {
    ({ values } = parseArgs({ options: { out: { type: 'string' } } }));
  } catch (e) {
    console.error(`step-memory: ${(e as Error).message}`);
    process.exit(2);
  }
  const out = values.out ?? 'results/step-memory';
  await useBackendFromEnv();
  const rows = stepMemory(SETUP, (s) => console.log(s));
  const file = writeScriptRecords(out, rows, {
    name: 'step-memory',
    description: `Live bytes by ledger category over one training step (the second), per rule: ${SETUP.sizes.join('-')} ReLU MLP, batch ${SETUP.batchSize}, plain SGD.`,
    spec: SETUP,
  });
  console.log(`wrote ${rows.length} records to ${file}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
