// The memory story: peak logical bytes of one training step vs width and vs depth for every
// rule (BP, BP with checkpointing, FA, DFA, FF, DNI, MeZO), checkpointing's saving and time
// cost on a deep MLP, and what MeZO reaches when trained from scratch.
//   npx tsx experiments/mezo-memory.ts [memory] [checkpoint] [accuracy]   (default: memory checkpoint)
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../algorithms/index.ts';
import { backprop } from '../algorithms/backprop.ts';
import { mezo } from '../algorithms/mezo.ts';
import {
  getRule,
  ledger,
  buildModel,
  rng,
  ruleContext,
  fromArray,
  classification,
  materialize,
  runSingleTrial,
  type AnyRule,
  type ByCategory,
  type EvalRecord,
  type RuleContext,
  type RuleOptions,
  type SummaryRecord,
  type TrialConfig,
} from '../src/index.ts';

export const OUT_DIR = 'results/mezo-memory';

export interface RuleVariant {
  /** Label in records and charts (e.g. 'backprop+checkpoint'). */
  label: string;
  rule: string;
  options: RuleOptions;
}

export const VARIANTS: RuleVariant[] = [
  { label: 'backprop', rule: 'backprop', options: {} },
  { label: 'backprop+checkpoint', rule: 'backprop', options: { checkpoint: -1 } },
  { label: 'feedback-alignment', rule: 'feedback-alignment', options: {} },
  { label: 'direct-feedback-alignment', rule: 'direct-feedback-alignment', options: {} },
  { label: 'forward-forward', rule: 'forward-forward', options: {} },
  { label: 'synthetic-gradients', rule: 'synthetic-gradients', options: {} },
  { label: 'mezo', rule: 'mezo', options: {} },
];

/** The registered rule, or this file's own import for the two this experiment ships with. */
export function findRule(id: string): AnyRule | null {
  try {
    return getRule(id);
  } catch {
    if (id === 'mezo') return mezo as unknown as AnyRule;
    if (id === 'backprop') return backprop as unknown as AnyRule;
    return null;
  }
}

export interface MemorySweepRecord {
  type: 'memory-sweep';
  sweep: 'width' | 'depth';
  rule: string;
  ruleId: string;
  options: RuleOptions;
  width: number;
  /** Number of blocks (linear layers). */
  depth: number;
  batchSize: number;
  optimizer: string;
  peakBytes: number;
  inferenceBytes: number;
  ratioToInference: number;
  /** Live bytes by category at the peak. */
  byCategory: Partial<ByCategory>;
  /** Each category's own peak. */
  peakByCategory: Partial<ByCategory>;
  /** Process figures after the step (noisy, secondary). */
  rssBytes: number;
  heapBytes: number;
}

export interface SweepOptions {
  widths: number[];
  depths: number[];
  /** Width for the depth sweep, depth for the width sweep. */
  baseWidth: number;
  baseDepth: number;
  batchSize: number;
  variants: RuleVariant[];
}

export const DEFAULT_SWEEP: SweepOptions = {
  widths: [64, 128, 256, 512, 1024],
  depths: [2, 3, 5, 9, 17, 25],
  baseWidth: 256,
  baseDepth: 3,
  batchSize: 64,
  variants: VARIANTS,
};

const sizesFor = (width: number, depth: number) => [784, ...Array(depth - 1).fill(width), 10];

/**
 * One measured training step on MNIST through the runner (rule.step + optimizer, measured by
 * the ledger; plain SGD so the optimizer adds no state and the figure is the rule's own).
 */
export function measureStep(
  rule: AnyRule,
  v: RuleVariant,
  width: number,
  depth: number,
  batchSize: number,
): Omit<MemorySweepRecord, 'sweep'> {
  const config: TrialConfig = {
    experiment: 'mezo-memory',
    rule: rule.id,
    options: v.options,
    seed: 0,
    data: { name: 'mnist', train: batchSize * 2, test: 50 },
    model: { sizes: sizesFor(width, depth), activation: 'relu' },
    optimizer: { name: 'sgd', lr: 0.01 },
    batchSize,
    epochs: 1,
    maxSteps: 1,
    evalEvery: 1,
    alignEvery: 0,
    alignSamples: 16,
    memory: true,
    debug: false,
  };
  let ev: EvalRecord | null = null;
  runSingleTrial(config, rule, {
    id: `${v.label}-${width}x${depth}`,
    onRecord: (r) => {
      if (r.type === 'eval' && !ev) ev = r;
    },
  });
  const e = ev as EvalRecord | null;
  if (!e?.memory) throw new Error(`mezo-memory: no memory record for ${v.label} at width ${width}, depth ${depth}`);
  return {
    type: 'memory-sweep',
    rule: v.label,
    ruleId: rule.id,
    options: v.options,
    width,
    depth,
    batchSize,
    optimizer: 'sgd',
    peakBytes: e.memory.peakBytes,
    inferenceBytes: e.memory.inferenceBytes,
    ratioToInference: e.memory.ratioToInference,
    byCategory: e.memory.atPeak,
    peakByCategory: e.memory.peakByCategory,
    rssBytes: e.host.rssBytes,
    heapBytes: e.host.heapBytes,
  };
}

export function memorySweep(opts: SweepOptions = DEFAULT_SWEEP, log: (s: string) => void = () => {}): MemorySweepRecord[] {
  const rows: MemorySweepRecord[] = [];
  for (const v of opts.variants) {
    const rule = findRule(v.rule);
    if (!rule) {
      log(`skip ${v.label}: rule "${v.rule}" is not registered (algorithms/index.ts)`);
      continue;
    }
    for (const width of opts.widths) rows.push({ sweep: 'width', ...measureStep(rule, v, width, opts.baseDepth, opts.batchSize) });
    for (const depth of opts.depths) rows.push({ sweep: 'depth', ...measureStep(rule, v, opts.baseWidth, depth, opts.batchSize) });
    log(`measured ${v.label}`);
  }
  return rows;
}

export interface CheckpointTimingRecord {
  type: 'checkpoint-timing';
  depth: number;
  width: number;
  batchSize: number;
  checkpoint: number;
  savedActivationBytes: number;
  peakBytes: number;
  msPerStep: number;
  /** Relative to checkpoint 0. */
  savedRatio: number;
  timeRatio: number;
  /** Gradients bit-identical to plain BP. */
  identical: boolean;
}

/** Saved-activation bytes and time per step (median of `reps`) on a deep MLP, per segment length. */
export function checkpointTiming(depth = 20, width = 256, batchSize = 128, ks = [0, 1, 2, 4, -1], reps = 7): CheckpointTimingRecord[] {
  const sizes = [784, ...Array(depth - 1).fill(width), 10];
  const model = buildModel({ sizes, activation: 'relu' });
  const params = model.init(rng(0).child('init'));
  const r = rng(0).child('data');
  const xs = Float32Array.from({ length: batchSize * 784 }, () => r.uniform());
  const labels = Int32Array.from({ length: batchSize }, () => r.int(10));
  const task = classification(10);
  const paramBytes = params.reduce((a, p) => a + p.bytes, 0);
  const out: CheckpointTimingRecord[] = [];
  let ref: Float32Array[] | null = null;
  for (const k of ks) {
    const ctx = ruleContext({
      model,
      task,
      params,
      step: 0,
      rule: backprop as unknown as AnyRule,
      options: { checkpoint: k },
      rng: rng(1),
      dropout: rng(1),
    }) as RuleContext<{ checkpoint: number; truncate: number }>;
    const step = () => backprop.step(ctx, null, { x: fromArray(xs, [batchSize, 784]), labels, size: batchSize });
    const { result, memory } = ledger().measure(step);
    const grads = materialize(result.updates).map((g) => Float32Array.from(g.data));
    ref ??= grads;
    const identical = grads.every((g, i) => g.every((v, j) => Object.is(v, ref![i][j])));
    step(); // warm-up
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      step();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    out.push({
      type: 'checkpoint-timing',
      depth,
      width,
      batchSize,
      checkpoint: k,
      savedActivationBytes: memory.peakByCategory['saved-activation'],
      peakBytes: memory.peakBytes - memory.startBytes + paramBytes,
      msPerStep: times[Math.floor(reps / 2)],
      savedRatio: 1,
      timeRatio: 1,
      identical,
    });
  }
  for (const rec of out) {
    rec.savedRatio = rec.savedActivationBytes / out[0].savedActivationBytes;
    rec.timeRatio = rec.msPerStep / out[0].msPerStep;
  }
  for (const p of params) p.release();
  return out;
}

export interface AccuracyRecord {
  type: 'mezo-accuracy';
  rule: string;
  task: string;
  steps: number;
  batchSize: number;
  optimizer: string;
  lr: number;
  options: RuleOptions;
  params: number;
  finalTestAcc: number;
  finalTrainLoss: number;
  meanCosine: number | null;
  /** √(2/(πd)): the expected |cosine| of one Gaussian SPSA direction with the gradient. */
  expectedCosine: number;
  wallMs: number;
}

interface AccuracyCase {
  task: string;
  data: TrialConfig['data'];
  sizes: number[];
  activation: string;
}

export const ACCURACY_CASES: AccuracyCase[] = [
  {
    task: 'blobs',
    data: { name: 'blobs', train: 2000, test: 500, classes: 4, features: 12, spread: 0.6 },
    sizes: [12, 24, 24, 4],
    activation: 'tanh',
  },
  {
    task: 'teacher-student',
    data: { name: 'teacher-student', train: 2000, test: 500, features: 10, hidden: 20, outFeatures: 1 },
    sizes: [10, 32, 1],
    activation: 'tanh',
  },
  { task: 'mnist', data: { name: 'mnist', train: 10000, test: 2000 }, sizes: [784, 64, 10], activation: 'relu' },
];

/** MeZO and BP from scratch within the same step budget; alignment with BP measured along the way. */
export function mezoAccuracy(steps: number, cases = ACCURACY_CASES, log: (s: string) => void = () => {}): AccuracyRecord[] {
  const out: AccuracyRecord[] = [];
  const runs: Array<{ rule: AnyRule; optimizer: string; lr: number; options: RuleOptions }> = [
    { rule: mezo as unknown as AnyRule, optimizer: 'sgd', lr: 0.01, options: {} },
    { rule: mezo as unknown as AnyRule, optimizer: 'adam', lr: 0.001, options: {} },
    { rule: backprop as unknown as AnyRule, optimizer: 'sgd', lr: 0.05, options: {} },
  ];
  for (const c of cases) {
    for (const run of runs) {
      let lastEval: EvalRecord | null = null;
      const summary: SummaryRecord = runSingleTrial(
        {
          experiment: 'mezo-accuracy',
          rule: run.rule.id,
          options: run.options,
          seed: 0,
          data: c.data,
          model: { sizes: c.sizes, activation: c.activation, init: 'xavierUniform' },
          optimizer: { name: run.optimizer, lr: run.lr } as TrialConfig['optimizer'],
          batchSize: 64,
          epochs: 100000,
          maxSteps: steps,
          evalEvery: steps,
          alignEvery: Math.max(1, Math.floor(steps / 50)),
          alignSamples: 16,
          memory: false,
          debug: false,
        },
        run.rule,
        {
          id: `${c.task}-${run.rule.id}-${run.optimizer}`,
          onRecord: (r) => {
            if (r.type === 'eval') lastEval = r;
          },
        },
      );
      const d = buildModel({ sizes: c.sizes })
        .paramShapes()
        .reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
      const rec: AccuracyRecord = {
        type: 'mezo-accuracy',
        rule: run.rule.id,
        task: c.task,
        steps: summary.steps,
        batchSize: 64,
        optimizer: run.optimizer,
        lr: run.lr,
        options: run.options,
        params: d,
        finalTestAcc: summary.finalTestAcc,
        finalTrainLoss: (lastEval as EvalRecord | null)?.trainLoss ?? NaN,
        meanCosine: summary.meanCosine,
        expectedCosine: Math.sqrt(2 / (Math.PI * d)),
        wallMs: summary.host.wallMs,
      };
      out.push(rec);
      log(
        `${c.task} ${run.rule.id}/${run.optimizer}: acc ${rec.finalTestAcc.toFixed(3)} loss ${rec.finalTrainLoss.toFixed(4)} cos ${rec.meanCosine?.toFixed(4)} (√(2/πd) ${rec.expectedCosine.toFixed(4)}) ${(rec.wallMs / 1000).toFixed(1)} s`,
      );
    }
  }
  return out;
}

/** Write JSON lines atomically (temp file + rename). */
export function writeJsonl(path: string, rows: readonly object[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  renameSync(tmp, path);
}

const kb = (b: number) => (b / 1024).toFixed(0);

function main(): void {
  const args = process.argv.slice(2);
  const parts = new Set(args.length ? args : ['memory', 'checkpoint']);
  const log = (s: string) => console.log(s);
  if (parts.has('memory')) {
    const rows = memorySweep(DEFAULT_SWEEP, log);
    writeJsonl(join(OUT_DIR, 'records.jsonl'), rows);
    console.log(
      `\nPeak logical bytes of one training step (MNIST, batch ${DEFAULT_SWEEP.batchSize}, relu MLP, SGD) — KiB, ratio to inference`,
    );
    for (const sweep of ['width', 'depth'] as const) {
      const keys = sweep === 'width' ? DEFAULT_SWEEP.widths : DEFAULT_SWEEP.depths;
      console.log(
        `\n${sweep === 'width' ? `width (depth ${DEFAULT_SWEEP.baseDepth})` : `depth (width ${DEFAULT_SWEEP.baseWidth})`}`.padEnd(28) +
          keys.map((k) => String(k).padStart(16)).join(''),
      );
      const labels = [...new Set(rows.map((r) => r.rule))];
      const inf = keys.map((k) => rows.find((r) => r.sweep === sweep && (sweep === 'width' ? r.width : r.depth) === k)!.inferenceBytes);
      console.log('inference'.padEnd(28) + inf.map((b) => kb(b).padStart(16)).join(''));
      for (const l of labels) {
        const cells = keys.map((k) => {
          const r = rows.find((x) => x.rule === l && x.sweep === sweep && (sweep === 'width' ? x.width : x.depth) === k)!;
          return `${kb(r.peakBytes)} ${r.ratioToInference.toFixed(2)}×`.padStart(16);
        });
        console.log(l.padEnd(28) + cells.join(''));
      }
    }
    console.log(`\nwrote ${rows.length} rows to ${join(OUT_DIR, 'records.jsonl')}`);
  }
  if (parts.has('checkpoint')) {
    const rows = checkpointTiming();
    writeJsonl(join(OUT_DIR, 'checkpointing.jsonl'), rows);
    console.log('\nGradient checkpointing, 20-layer relu MLP (784-256×19-10), batch 128');
    console.log(
      'k'.padEnd(6) +
        'saved KiB'.padStart(12) +
        'saved×'.padStart(9) +
        'peak KiB'.padStart(12) +
        'ms/step'.padStart(10) +
        'time×'.padStart(8) +
        '  identical',
    );
    for (const r of rows) {
      console.log(
        String(r.checkpoint === -1 ? '√n' : r.checkpoint).padEnd(6) +
          kb(r.savedActivationBytes).padStart(12) +
          r.savedRatio.toFixed(2).padStart(9) +
          kb(r.peakBytes).padStart(12) +
          r.msPerStep.toFixed(0).padStart(10) +
          r.timeRatio.toFixed(2).padStart(8) +
          `  ${r.identical}`,
      );
    }
  }
  if (parts.has('accuracy')) {
    const steps = Number(process.env.MEZO_STEPS ?? 3000);
    const rows = mezoAccuracy(steps, ACCURACY_CASES, log);
    writeJsonl(join(OUT_DIR, 'accuracy.jsonl'), rows);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
