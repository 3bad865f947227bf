// Hand-made result directories for the paired statistics: each trial's validation curve and final
// test accuracy set by hand, an optional `cost`, and the manifest's rule entries (which one
// declares exact gradients), so every figure of summary.csv can be worked out on paper.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RuleOptions } from '../../src/rules/rule.ts';
import { tempDir } from './fixtures.ts';

export interface HandTrial {
  seed: number;
  /** Validation accuracy at each evaluation (one epoch each); null: no validation split. */
  val: Array<number | null>;
  test: number;
  status?: 'done' | 'diverged';
  /** Forward-pass equivalents spent, as the cost records carry them (absent: older records). */
  forwardPasses?: number;
  stepMs?: number;
  peakBytes?: number;
  /** Per alignment point: the cosine of each layer, in the model's order. */
  layerCosines?: number[];
}

export interface HandEntry {
  rule: string;
  options?: RuleOptions;
  exact?: boolean;
  optimizer?: unknown;
  /** The entry's distillation and adapters, as the manifest records them. */
  distill?: { temperature: number; weight: number };
  adapters?: { kind: 'lora'; rank: number };
  trials: HandTrial[];
}

function records(e: HandEntry, t: HandTrial, id: string): object[] {
  const base = { trial: id, rule: e.rule, options: e.options ?? {}, seed: t.seed, estimates: 'task-gradient', objective: null };
  const layers = (t.layerCosines ?? []).map((cosine, i) => ({ layer: `layers.${i}`, cosine, angleDeg: 0, normRatio: 1, signAgreement: 1 }));
  const stats = { cosine: 0, angleDeg: 0, normRatio: 1, signAgreement: 1 };
  const evals = t.val.map((v, epoch) => ({
    type: 'eval',
    ...base,
    epoch,
    step: (epoch + 1) * 10,
    trainLoss: 1,
    valAcc: v,
    valLoss: v === null ? null : 1 - v,
    testAcc: epoch === t.val.length - 1 ? t.test : 0.5,
    testLoss: null,
    memory: t.peakBytes ? { peakBytes: t.peakBytes, atPeak: {}, peakByCategory: {}, inferenceBytes: 1, ratioToInference: 2 } : null,
    alignment: layers.length
      ? [
          {
            step: epoch * 10,
            reference: 'task-gradient',
            referenceStdErr: null,
            layers,
            overall: stats,
            layerMean: stats,
            errorSignals: [],
            errorSignalMean: null,
          },
        ]
      : [],
    metrics: {},
    diagnostics: {},
    host: { wallMs: 1, stepMs: t.stepMs ?? 1, stepCpuMs: 1, rssBytes: 1, heapBytes: 1 },
    ...(t.forwardPasses !== undefined ? { cost: { forwardPasses: ((epoch + 1) / t.val.length) * t.forwardPasses } } : {}),
  }));
  const vals = t.val.filter((v): v is number => v !== null);
  const summary = {
    type: 'summary',
    ...base,
    status: t.status ?? 'done',
    error: t.status === 'diverged' ? 'loss is NaN' : null,
    epochs: t.val.length,
    steps: t.val.length * 10,
    finalTestAcc: t.test,
    bestValAcc: vals.length ? Math.max(...vals) : null,
    peakBytes: t.peakBytes ?? null,
    ratioToInference: null,
    alignmentReference: null,
    meanCosine: null,
    meanLayerCosine: null,
    meanErrorSignalCosine: null,
    host: { wallMs: 1, stepMs: t.stepMs ?? 1, stepCpuMs: 1, medianStepMs: null, msPerEpoch: 1 },
    ...(t.forwardPasses !== undefined
      ? { cost: { forwardPasses: t.forwardPasses, forwardPassesPerStep: t.forwardPasses / (t.val.length * 10) } }
      : {}),
  };
  return [...evals, summary];
}

/** A results directory: records/<id>.jsonl per trial and experiment.json with the entries in order. */
export async function handDir(entries: HandEntry[]): Promise<string> {
  const dir = await tempDir('rulebench-paired-');
  await mkdir(join(dir, 'records'));
  const trials: object[] = [];
  for (const [i, e] of entries.entries()) {
    for (const t of e.trials) {
      const id = `e${i}-${t.seed}`;
      trials.push({ id, rule: e.rule, options: e.options ?? {}, seed: t.seed, entry: i });
      await writeFile(
        join(dir, 'records', `${id}.jsonl`),
        records(e, t, id)
          .map((r) => JSON.stringify(r))
          .join('\n') + '\n',
      );
    }
  }
  const manifest = {
    name: 'paired-fixture',
    spec: {
      name: 'paired-fixture',
      data: { name: 'mnist', train: 1000, validation: 100 },
      model: { sizes: [784, 32, 10], activation: 'relu' },
      optimizer: { name: 'adam', lr: 0.001 },
      rules: entries.map((e) => ({
        rule: e.rule,
        options: e.options ?? {},
        grid: {},
        defaults: e.options ?? {},
        ...(e.optimizer ? { optimizer: e.optimizer } : {}),
        ...(e.exact ? { exact: true } : {}),
        ...(e.distill ? { distill: e.distill } : {}),
        ...(e.adapters ? { adapters: e.adapters } : {}),
      })),
      seeds: [0, 1, 2],
      epochs: 3,
      batchSize: 100,
    },
    trials,
    overrides: {},
    references: [],
  };
  await writeFile(join(dir, 'experiment.json'), JSON.stringify(manifest, null, 2));
  return dir;
}
