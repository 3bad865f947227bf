// Headline figures per trial (final accuracy, memory, alignment, speed) and their statistics
// across a series' seeds. Shared by the summary tables and the charts so both agree.
import type { Series, Trial } from './records.ts';
import { summarize, type Stats } from './stats.ts';

export interface TrialFigures {
  finalTestAcc: number | null;
  bestValAcc: number | null;
  peakBytes: number | null;
  ratioToInference: number | null;
  meanCosine: number | null;
  msPerEpoch: number | null;
  diverged: boolean;
  /** False while the trial has no summary line yet (running, or cut off). */
  complete: boolean;
}

/** Training steps in one epoch: the step of the first epoch's last evaluation (one is always at its end). */
export function stepsPerEpoch(trial: Trial): number {
  const first = trial.evals.filter((e) => e.epoch === trial.evals[0]?.epoch);
  const later = trial.evals.some((e) => e.epoch > (trial.evals[0]?.epoch ?? 0));
  const end = first.length ? first[first.length - 1].step : 0;
  if (later && end > 0) return end;
  // One epoch only (or cut short): fall back to the trial's own length.
  const last = trial.evals[trial.evals.length - 1];
  return Math.max(1, last ? last.step / (last.epoch + 1) : 1);
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** From the summary line when there is one, else from the last evaluation. */
export function trialFigures(trial: Trial): TrialFigures {
  const s = trial.summary;
  const last = trial.evals[trial.evals.length - 1];
  const vals = trial.evals.map((e) => num(e.valAcc)).filter((v): v is number => v !== null);
  const cos = trial.evals.flatMap((e) => (e.alignment ?? []).map((a) => a.overall.cosine));
  const lastMs = last ? num(last.host?.stepMs) : null;
  return {
    finalTestAcc: num(s?.finalTestAcc) ?? num(last?.testAcc),
    bestValAcc: num(s?.bestValAcc) ?? (vals.length ? Math.max(...vals) : null),
    peakBytes: num(s?.peakBytes) ?? num(last?.memory?.peakBytes),
    ratioToInference: num(s?.ratioToInference) ?? num(last?.memory?.ratioToInference),
    meanCosine: num(s?.meanCosine) ?? (cos.length ? cos.reduce((a, b) => a + b, 0) / cos.length : null),
    msPerEpoch: num(s?.host?.msPerEpoch) ?? (last && lastMs !== null ? lastMs / (last.step / stepsPerEpoch(trial)) : null),
    diverged: s?.status === 'diverged',
    complete: s !== null,
  };
}

export interface SeriesFigures {
  label: string;
  trials: number;
  diverged: number;
  incomplete: number;
  finalTestAcc: Stats;
  bestValAcc: Stats;
  peakBytes: Stats;
  ratioToInference: Stats;
  meanCosine: Stats;
  msPerEpoch: Stats;
}

/**
 * The trials whose end figures count: finished ones (done or diverged). A trial still running,
 * or cut off, would mix an early accuracy into final ones; it counts only while none has finished.
 */
export function countedTrials(series: Series): Trial[] {
  const done = series.trials.filter((t) => t.summary !== null);
  return done.length ? done : series.trials;
}

export function seriesFigures(series: Series): SeriesFigures {
  const all = series.trials.map(trialFigures);
  const f = countedTrials(series).map(trialFigures);
  const stat = (k: keyof Omit<TrialFigures, 'diverged' | 'complete'>) => summarize(f.map((t) => t[k]));
  return {
    label: series.label,
    trials: all.length,
    diverged: all.filter((t) => t.diverged).length,
    incomplete: all.filter((t) => !t.complete).length,
    finalTestAcc: stat('finalTestAcc'),
    bestValAcc: stat('bestValAcc'),
    peakBytes: stat('peakBytes'),
    ratioToInference: stat('ratioToInference'),
    meanCosine: stat('meanCosine'),
    msPerEpoch: stat('msPerEpoch'),
  };
}
