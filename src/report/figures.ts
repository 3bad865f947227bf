// Headline figures per trial (final accuracy, memory, alignment, speed) and their statistics
// across a series' seeds, with the trials' outcomes (done, diverged, failed, unfinished). Shared
// by the tables and the charts so both count the same trials.
import type { AlignmentReference, TrialStatus } from '../runner/record-types.ts';
import { runProtocol } from '../runner/references.ts';
import type { Series, Trial } from './records.ts';
import { summarize, type Stats } from './stats.ts';

export interface TrialFigures {
  finalTestAcc: number | null;
  bestValAcc: number | null;
  peakBytes: number | null;
  ratioToInference: number | null;
  meanCosine: number | null;
  meanLayerCosine: number | null;
  meanErrorSignalCosine: number | null;
  /** Mean Monte Carlo standard error of the reference over the trial's alignment points (null: exact or none). */
  referenceStdErr: number | null;
  /** Mean over alignment points of the mean cosine over the hidden layers (every layer but the last); null with one layer. */
  hiddenCosine: number | null;
  /** Mean over alignment points of the output layer's cosine (the last in the records' layer order, the model's). */
  outputCosine: number | null;
  alignmentReference: AlignmentReference | null;
  msPerEpoch: number | null;
  /** 'running' while a trial has no summary line yet (still running, or cut off). */
  status: TrialStatus | 'running';
  /** Epochs with an evaluation so far (the last evaluation's epoch + 1; 0: none yet). */
  epochsReached: number;
  error: string | null;
  /** Validation accuracy ended more than COLLAPSE_DROP below its own peak; null without validation figures. */
  collapsed: boolean | null;
}

/** A drop of 5 points (accuracies are fractions) from the peak validation accuracy to the last marks a collapsed run. */
export const COLLAPSE_DROP = 0.05;

/** Whether a run's validation accuracy ends more than COLLAPSE_DROP below its own peak (null: no validation figures). */
export function collapsed(valAccs: ReadonlyArray<number | null>): boolean | null {
  const vals = valAccs.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return vals.length ? vals[vals.length - 1] < Math.max(...vals) - COLLAPSE_DROP : null;
}

/**
 * Training steps in one epoch: the step of the first epoch's last evaluation (one is always at its
 * end). A trial that never finished an epoch (cut short by maxSteps, as a quick run of a long
 * protocol is) takes `planned`, the epoch the resolved spec describes, when known.
 */
export function stepsPerEpoch(trial: Trial, planned?: number): number {
  const first = trial.evals.filter((e) => e.epoch === trial.evals[0]?.epoch);
  const later = trial.evals.some((e) => e.epoch > (trial.evals[0]?.epoch ?? 0));
  const end = first.length ? first[first.length - 1].step : 0;
  if (later && end > 0) return end;
  if (planned !== undefined && planned >= end) return planned;
  // One epoch only (or cut short): fall back to the trial's own length.
  const last = trial.evals[trial.evals.length - 1];
  return Math.max(1, last ? last.step / (last.epoch + 1) : 1);
}

/** Steps per epoch the resolved spec describes (training images ÷ batch size, rounded up), when it says both. */
export function plannedStepsPerEpoch(spec: unknown): number | undefined {
  const train = runProtocol(spec).split.train;
  const batch = typeof spec === 'object' && spec !== null ? (spec as { batchSize?: unknown }).batchSize : undefined;
  return train !== undefined && train > 0 && typeof batch === 'number' && batch > 0 ? Math.ceil(train / batch) : undefined;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** A time of zero is what a trial that never trained reports: no figure, not a fast one. */
const positive = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
const meanOf = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** From the summary line when there is one, else from the evaluations so far. */
export function trialFigures(trial: Trial): TrialFigures {
  const s = trial.summary;
  const last = trial.evals[trial.evals.length - 1];
  const vals = trial.evals.map((e) => num(e.valAcc)).filter((v): v is number => v !== null);
  const points = trial.evals.flatMap((e) => e.alignment ?? []);
  const lastMs = last ? positive(last.host?.stepMs) : null;
  const errs = points.map((a) => num(a.referenceStdErr)).filter((v): v is number => v !== null);
  return {
    finalTestAcc: num(s?.finalTestAcc) ?? num(last?.testAcc),
    bestValAcc: num(s?.bestValAcc) ?? (vals.length ? Math.max(...vals) : null),
    peakBytes: num(s?.peakBytes) ?? num(last?.memory?.peakBytes),
    ratioToInference: num(s?.ratioToInference) ?? num(last?.memory?.ratioToInference),
    meanCosine: num(s?.meanCosine) ?? meanOf(points.map((a) => a.overall.cosine).filter(Number.isFinite)),
    meanLayerCosine:
      num(s?.meanLayerCosine) ?? meanOf(points.flatMap((a) => (a.layerMean ? [a.layerMean.cosine] : [])).filter(Number.isFinite)),
    meanErrorSignalCosine:
      num(s?.meanErrorSignalCosine) ?? meanOf(points.flatMap((a) => (num(a.errorSignalMean) === null ? [] : [a.errorSignalMean!]))),
    referenceStdErr: meanOf(errs),
    hiddenCosine: meanOf(
      points.flatMap((a) => (a.layers.length > 1 ? [meanOf(a.layers.slice(0, -1).map((l) => l.cosine))!] : [])).filter(Number.isFinite),
    ),
    outputCosine: meanOf(points.flatMap((a) => (a.layers.length ? [a.layers[a.layers.length - 1].cosine] : [])).filter(Number.isFinite)),
    alignmentReference: s?.alignmentReference ?? points[0]?.reference ?? null,
    msPerEpoch: positive(s?.host?.msPerEpoch) ?? (last && lastMs !== null ? lastMs / (last.step / stepsPerEpoch(trial)) : null),
    status: s?.status ?? 'running',
    epochsReached: last ? last.epoch + 1 : 0,
    error: s?.error ?? null,
    collapsed: collapsed(trial.evals.map((e) => e.valAcc)),
  };
}

export interface TrialProblem {
  seed: number;
  trial: string;
  status: 'failed' | 'diverged';
  error: string;
}

export interface SeriesFigures {
  label: string;
  /** Trials planned by the experiment (or seen, when it is unknown). */
  planned: number;
  /** Trials whose figures count (see countedTrials). */
  counted: number;
  done: number;
  diverged: number;
  failed: number;
  /** Started but without a summary line (running, or cut off). */
  running: number;
  /** Fewest and most epochs reached by those unfinished trials (null: none). */
  runningEpochs: [number, number] | null;
  /** Failed and diverged trials, by seed, each with its error. */
  problems: TrialProblem[];
  finalTestAcc: Stats;
  bestValAcc: Stats;
  peakBytes: Stats;
  ratioToInference: Stats;
  meanCosine: Stats;
  meanLayerCosine: Stats;
  meanErrorSignalCosine: Stats;
  hiddenCosine: Stats;
  outputCosine: Stats;
  referenceStdErr: Stats;
  msPerEpoch: Stats;
}

/**
 * The trials whose figures count: finished ones ('done'). A failed trial has no figures, a
 * diverged one stopped early (its accuracy is not a final one), and a running one would mix an
 * early accuracy into final ones; running trials count only while nothing else exists, so a
 * report taken during a sweep still shows its curves.
 */
export function countedTrials(series: Series): Trial[] {
  const done = series.trials.filter((t) => t.summary?.status === 'done');
  if (done.length) return done;
  return series.trials.every((t) => t.summary === null) ? series.trials : [];
}

const epochRange = (xs: number[]): [number, number] | null => (xs.length ? [Math.min(...xs), Math.max(...xs)] : null);

export function seriesFigures(series: Series): SeriesFigures {
  const all = series.trials.map(trialFigures);
  const f = countedTrials(series).map(trialFigures);
  const stat = (
    k:
      | 'finalTestAcc'
      | 'bestValAcc'
      | 'peakBytes'
      | 'ratioToInference'
      | 'meanCosine'
      | 'meanLayerCosine'
      | 'meanErrorSignalCosine'
      | 'hiddenCosine'
      | 'outputCosine'
      | 'referenceStdErr'
      | 'msPerEpoch',
  ) => summarize(f.map((t) => t[k]));
  const problems = series.trials.flatMap((t, i): TrialProblem[] => {
    const st = all[i].status;
    return st === 'failed' || st === 'diverged'
      ? [{ seed: t.seed, trial: t.trial, status: st, error: all[i].error ?? '(no error recorded)' }]
      : [];
  });
  return {
    label: series.label,
    planned: Math.max(series.planned, series.trials.length),
    counted: f.length,
    done: all.filter((t) => t.status === 'done').length,
    diverged: all.filter((t) => t.status === 'diverged').length,
    failed: all.filter((t) => t.status === 'failed').length,
    running: all.filter((t) => t.status === 'running').length,
    runningEpochs: epochRange(all.filter((t) => t.status === 'running').map((t) => t.epochsReached)),
    problems,
    finalTestAcc: stat('finalTestAcc'),
    bestValAcc: stat('bestValAcc'),
    peakBytes: stat('peakBytes'),
    ratioToInference: stat('ratioToInference'),
    meanCosine: stat('meanCosine'),
    meanLayerCosine: stat('meanLayerCosine'),
    meanErrorSignalCosine: stat('meanErrorSignalCosine'),
    hiddenCosine: stat('hiddenCosine'),
    outputCosine: stat('outputCosine'),
    referenceStdErr: stat('referenceStdErr'),
    msPerEpoch: stat('msPerEpoch'),
  };
}

/** "epoch 31 of 300", "epoch 3–5": how far unfinished trials got, out of the planned epochs when known. */
export function epochsReachedText([lo, hi]: [number, number], planned?: number): string {
  return `epoch ${lo}${hi > lo ? `–${hi}` : ''}${planned ? ` of ${planned}` : ''}`;
}

/** How far a series got when its figures rest on unfinished trials only ("epoch 31 of 300"); null otherwise. */
export function unfinishedText(f: SeriesFigures, plannedEpochs?: number): string | null {
  return f.counted > 0 && f.counted === f.running && f.runningEpochs ? epochsReachedText(f.runningEpochs, plannedEpochs) : null;
}

/**
 * "3", "2 of 3 (1 failed)", "1 of 3 (1 diverged, 1 running or cut off)", "1 of 1 (unfinished, at
 * epoch 31 of 300)": what the figures rest on.
 */
export function seedsText(f: SeriesFigures, plannedEpochs?: number): string {
  const notes = [
    f.failed ? `${f.failed} failed` : '',
    f.diverged ? `${f.diverged} diverged` : '',
    f.running && f.counted !== f.running ? `${f.running} running or cut off` : '',
    f.planned > f.done + f.failed + f.diverged + f.running ? `${f.planned - f.done - f.failed - f.diverged - f.running} not started` : '',
  ].filter(Boolean);
  const at = unfinishedText(f, plannedEpochs);
  if (f.counted === f.planned && !notes.length && !at) return String(f.counted);
  const base = at ? `${f.counted} of ${f.planned} (unfinished, at ${at})` : `${f.counted} of ${f.planned}`;
  return notes.length ? `${base} (${notes.join(', ')})` : base;
}
