// Fabricated but realistic result directories for the report tests: the record shapes the
// runner writes (src/runner/trial.ts), plus the optional kinds and the usual damage.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuleOptions } from '../../src/rules/rule.ts';
import type { EvalRecord, SummaryRecord, TrialRecord } from '../../src/runner/trial.ts';
import { emptyByCategory } from '../../src/tensor/ledger.ts';

const LAYERS = ['layer0', 'layer1', 'layer2'];
export const STEPS_PER_EPOCH = 50;
export const EPOCHS = 4;
export const SEEDS = [0, 1, 2];

interface FakeSeries {
  rule: string;
  options: RuleOptions;
  /** Final accuracy, start cosine → end cosine for hidden layers, time factor vs BP. */
  acc: number;
  cos: [number, number];
  slow: number;
  feedback: boolean;
}

export const FAKE_SERIES: FakeSeries[] = [
  { rule: 'backprop', options: {}, acc: 0.95, cos: [1, 1], slow: 1, feedback: false },
  { rule: 'feedback-alignment', options: { variant: 'fa', init: 'xavierUniform' }, acc: 0.9, cos: [0.02, 0.45], slow: 1.3, feedback: true },
  { rule: 'feedback-alignment', options: { variant: 'usf', init: 'xavierUniform' }, acc: 0.93, cos: [0.6, 0.75], slow: 1.5, feedback: true },
];

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

export function fakeTrial(s: FakeSeries, seed: number, trialId: string): TrialRecord[] {
  const out: TrialRecord[] = [];
  const inference = 120_000;
  const peak = s.rule === 'backprop' ? 400_000 : 430_000;
  let accLast = 0;
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const step = (epoch + 1) * STEPS_PER_EPOCH;
    const t = (epoch + 1) / EPOCHS;
    const testAcc = s.acc * (1 - 0.5 * Math.exp(-3 * t)) + 0.005 * jitter(seed, epoch);
    accLast = testAcc;
    const alignment: EvalRecord['alignment'] = [];
    for (let a = epoch * STEPS_PER_EPOCH; a < step; a += 10) {
      const f = a / (EPOCHS * STEPS_PER_EPOCH);
      const hidden = s.cos[0] + (s.cos[1] - s.cos[0]) * f + 0.02 * jitter(seed, a);
      const layers = LAYERS.map((layer, i) => {
        const cosine = i === LAYERS.length - 1 ? 1 : Math.min(1, hidden);
        return { layer, cosine, angleDeg: (Math.acos(cosine) * 180) / Math.PI, normRatio: 1 + 0.1 * i, signAgreement: 0.5 + cosine / 2, zeroShare: 0 };
      });
      const c = (layers[0].cosine + layers[1].cosine + 1) / 3;
      const overall = { cosine: c, angleDeg: (Math.acos(c) * 180) / Math.PI, normRatio: 1, signAgreement: 0.5 + c / 2, zeroShare: 0 };
      alignment.push({
        step: a, reference: 'task-gradient', referenceStdErr: null, layers, overall, layerMean: overall,
        errorSignals: LAYERS.slice(0, -1).map((layer) => ({ layer, cosine: Math.min(1, hidden) })), errorSignalMean: Math.min(1, hidden),
      });
    }
    const diagnostics: Record<string, number> = {};
    for (const layer of LAYERS) diagnostics[`${layer}.gradNorm`] = 0.5 * 10 ** -(LAYERS.length - 1 - LAYERS.indexOf(layer)) * (1 + 0.1 * jitter(seed, epoch));
    if (s.feedback) {
      for (const layer of LAYERS.slice(1)) {
        diagnostics[`${layer}.feedbackAngleDeg`] = (s.options.variant === 'usf' ? 40 : 90 - 20 * t) + jitter(seed, epoch);
        diagnostics[`${layer}.feedbackNormRatio`] = 1;
      }
    }
    const atPeak = { ...emptyByCategory(), param: 100_000, grad: 100_000, 'saved-activation': peak - 200_000 };
    out.push({
      type: 'eval', trial: trialId, rule: s.rule, options: s.options, seed, epoch, step,
      trainLoss: 2.3 * Math.exp(-2 * t) * (1.05 - s.acc) * 8 + 0.01 * jitter(seed, epoch + 10),
      valAcc: testAcc - 0.003, valLoss: 0.4, testAcc, testLoss: 0.35,
      memory: { peakBytes: peak, atPeak, peakByCategory: atPeak, inferenceBytes: inference, ratioToInference: peak / inference },
      estimates: 'task-gradient', objective: null, alignment, metrics: {}, diagnostics,
      host: { wallMs: 900 * (epoch + 1) * s.slow, stepMs: 600 * (epoch + 1) * s.slow * (1 + 0.05 * jitter(seed, 3)), rssBytes: 2e8, heapBytes: 1e8 },
    });
  }
  const summary: SummaryRecord = {
    type: 'summary', trial: trialId, rule: s.rule, options: s.options, seed, status: 'done', error: null,
    epochs: EPOCHS, steps: EPOCHS * STEPS_PER_EPOCH, finalTestAcc: accLast, bestValAcc: accLast - 0.003,
    peakBytes: peak, ratioToInference: peak / inference, estimates: 'task-gradient', objective: null, alignmentReference: 'task-gradient',
    meanCosine: (s.cos[0] + s.cos[1]) / 2, meanLayerCosine: (s.cos[0] + s.cos[1]) / 2, meanErrorSignalCosine: (s.cos[0] + s.cos[1]) / 2,
    host: { wallMs: 900 * EPOCHS * s.slow, stepMs: 600 * EPOCHS * s.slow, msPerEpoch: 600 * s.slow * (1 + 0.05 * jitter(seed, 3)) },
  };
  out.push(summary);
  return out;
}

export interface FixtureOptions {
  /** Append half a JSON line to the last file, as a crash mid-write leaves it. */
  torn?: boolean;
  /** Add estimator and memory-sweep rows and an unknown record kind. */
  optional?: boolean;
  experiment?: boolean;
}

/**
 * A temp dir laid out like the runner's output: `records/<trial>.jsonl` per finished trial, a
 * torn `records/<trial>.partial.jsonl`, extra record kinds at the top level, experiment.json.
 */
export async function makeFixtureDir(opts: FixtureOptions = { torn: true, optional: true, experiment: true }): Promise<string> {
  const dir = await tempDir();
  await mkdir(join(dir, 'records'));
  for (const [i, s] of FAKE_SERIES.entries()) {
    for (const seed of SEEDS) {
      const lines = fakeTrial(s, seed, `t${i}-${seed}`).map((r) => JSON.stringify(r));
      if (opts.optional && i === 0 && seed === 0) lines.push(JSON.stringify({ type: 'progress-heartbeat', at: 1 }));
      await writeFile(join(dir, 'records', `t${i}-${seed}.jsonl`), lines.join('\n') + '\n');
    }
  }
  if (opts.torn) {
    // A trial killed mid-write: one whole line, then half of the next.
    const [a, b] = fakeTrial(FAKE_SERIES[2], 9, 't2-9');
    await writeFile(join(dir, 'records', 't2-9.partial.jsonl'), JSON.stringify(a) + '\n' + JSON.stringify(b).slice(0, 80));
  }
  if (opts.optional) {
    // Shapes as experiments/estimators.ts and experiments/mezo-memory.ts write them.
    const rows: object[] = [];
    const estimators: Array<[string, number | undefined, number, number]> = [
      ['reinforce', undefined, 1e-4, 2.5], ['straight-through', undefined, 0.3, 0.05], ['gumbel-softmax', 0.5, 0.1, 0.2],
    ];
    for (const [estimator, temperature, biasSq, variance] of estimators) {
      for (const layer of ['layer0', 'layer1', 'overall']) {
        rows.push({
          type: 'estimator', estimator, ...(temperature !== undefined ? { temperature } : {}), layer,
          cosine: 0.9, relError: 0.1, variance: variance * (layer === 'overall' ? 1 : 0.5), msPerSample: 0.2,
          biasSq: biasSq * (layer === 'overall' ? 1 : 0.5), noiseFloor: 1e-5, draws: 1000,
        });
      }
    }
    for (const s of FAKE_SERIES.slice(0, 2)) {
      for (const [sweep, width, depth] of [['width', 64, 3], ['width', 128, 3], ['width', 256, 3], ['depth', 256, 2], ['depth', 256, 3], ['depth', 256, 5]] as const) {
        const peakBytes = width * depth * (s.feedback ? 1100 : 1000);
        rows.push({
          type: 'memory-sweep', sweep, rule: s.rule, ruleId: s.rule, options: s.options, width, depth, batchSize: 64, optimizer: 'sgd',
          peakBytes, inferenceBytes: peakBytes / 3, ratioToInference: 3,
        });
      }
    }
    await writeFile(join(dir, 'extras.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
  if (opts.experiment) {
    await writeFile(join(dir, 'experiment.json'), JSON.stringify({
      name: 'fixture-compare',
      description: 'Backprop against two feedback-alignment variants (fabricated records).',
      spec: { name: 'fixture-compare', data: { name: 'mnist', train: 6000 }, model: { sizes: [784, 64, 64, 10] }, note: 'tricky </script><!-- text & "quotes"' },
      references: [
        { source: 'Sanfiz & Akrout 2021 (BioTorch), LeNet', dataset: 'mnist', metric: 'test error %', value: 1.7, note: 'FA', rule: 'feedback-alignment' },
        { source: 'LeCun et al. 1998', dataset: 'mnist', metric: 'test accuracy %', value: 98.4, note: '</script> in a note', rule: 'backprop' },
        { source: 'Nobody 2099', dataset: 'cifar10', metric: 'test error %', value: 10, rule: 'mezo' },
      ],
      environment: { node: 'v20.0.0-fixture', platform: 'linux x64', cpu: 'Fixture CPU', cores: 2, commit: null, backend: 'reference' },
    }, null, 2));
  }
  return dir;
}
