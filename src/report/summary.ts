// One row per rule configuration (series): its final test accuracy with a bootstrap 95% interval,
// its difference to the experiment's reference entry seed by seed (same initial weights, same
// batches) with an interval and a probability of improvement, collapsed runs, alignment over the
// hidden layers and the output layer apart, and its cost. The report's paired table, the Pareto
// view and summary.csv all read these rows.
import { writeFile } from 'node:fs/promises';
import { rng } from '../random.ts';
import { toCsv } from './csv.ts';
import { countedTrials, trialFigures } from './figures.ts';
import { referenceSeries, type ResultSet, type Series } from './records.ts';
import { bootstrapMean, pairedComparison, summarize, type Interval, type PairedComparison } from './stats.ts';

export const SUMMARY_CSV = 'summary.csv';

export interface SummaryRow {
  series: Series;
  /** Counted (finished) trials with a final test accuracy. */
  seeds: number;
  testAcc: Interval;
  /** This series is the reference the others are compared with. */
  isReference: boolean;
  /** Against the reference, seed by seed; null for the reference itself and when the experiment has none. */
  paired: PairedComparison | null;
  /** Seeds of the counted trials whose validation accuracy collapsed; null when none recorded validation figures. */
  collapsedSeeds: number[] | null;
  /** Means over the counted trials; null where the records carry no such figure. */
  hiddenCosine: number | null;
  outputCosine: number | null;
  forwardPasses: number | null;
  forwardPassesPerStep: number | null;
  peakBytes: number | null;
  /** Wall time spent in training steps (rule step and optimizer; evaluation and alignment left out). */
  stepMs: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** A record's `cost` (forward-pass equivalents spent so far), read by name: records written before it existed have none. */
const costOf = (r: unknown): Record<string, unknown> => {
  const cost = typeof r === 'object' && r !== null ? (r as { cost?: unknown }).cost : undefined;
  return typeof cost === 'object' && cost !== null ? (cost as Record<string, unknown>) : {};
};
const meanOrNull = (xs: ReadonlyArray<number | null>): number | null => {
  const s = summarize(xs);
  return s.n ? s.mean : null;
};

/** Final test accuracy by seed over a series' counted trials. */
export function accBySeed(s: Series): Map<number, number> {
  return new Map(
    countedTrials(s).flatMap((t) => {
      const acc = trialFigures(t).finalTestAcc;
      return acc === null ? [] : [[t.seed, acc] as [number, number]];
    }),
  );
}

export function summaryRows(rs: ResultSet): SummaryRow[] {
  const ref = referenceSeries(rs);
  const refAcc = ref ? accBySeed(ref) : null;
  return rs.series.map((s) => {
    const trials = countedTrials(s);
    const figs = trials.map(trialFigures);
    const acc = accBySeed(s);
    // Each interval draws from its own named stream, keyed by the series' label: adding a series never moves another's.
    const stream = rng('summary').child(s.label);
    const marks = figs.map((f) => f.collapsed);
    const last = (t: (typeof trials)[number]) => t.evals[t.evals.length - 1];
    return {
      series: s,
      seeds: acc.size,
      testAcc: bootstrapMean([...acc.values()], stream.child('testAcc')),
      isReference: s === ref,
      paired: refAcc && s !== ref ? pairedComparison(acc, refAcc, stream.child('paired')) : null,
      collapsedSeeds: marks.some((m) => m !== null) ? trials.filter((_, i) => marks[i] === true).map((t) => t.seed) : null,
      hiddenCosine: meanOrNull(figs.map((f) => f.hiddenCosine)),
      outputCosine: meanOrNull(figs.map((f) => f.outputCosine)),
      forwardPasses: meanOrNull(trials.map((t) => num(costOf(t.summary).forwardPasses) ?? num(costOf(last(t)).forwardPasses))),
      forwardPassesPerStep: meanOrNull(trials.map((t) => num(costOf(t.summary).forwardPassesPerStep))),
      peakBytes: meanOrNull(figs.map((f) => f.peakBytes)),
      stepMs: meanOrNull(trials.map((t) => num(t.summary?.host?.stepMs) ?? num(last(t)?.host?.stepMs))),
    };
  });
}

type Value = string | number | boolean | null;

/** summary.csv's columns; the cost and alignment columns only when some row has the figure. */
export function summaryTableRows(rows: readonly SummaryRow[]): Array<Map<string, Value>> {
  const optional = ['hiddenCosine', 'outputCosine', 'forwardPasses', 'forwardPassesPerStep', 'peakBytes', 'stepMs'] as const;
  const present = optional.filter((k) => rows.some((r) => r[k] !== null));
  return rows.map((r) => {
    const p = r.paired;
    const m = new Map<string, Value>([
      ['rule', r.series.rule],
      ['series', r.series.label],
      ['seeds', r.seeds],
      ['testAcc', r.testAcc.mean],
      ['testAccCiLow', r.testAcc.lo],
      ['testAccCiHigh', r.testAcc.hi],
      ['reference', r.isReference],
      ['pairedSeeds', p ? p.n : null],
      ['diffVsBackprop', p ? p.mean : null],
      ['diffCiLow', p ? p.lo : null],
      ['diffCiHigh', p ? p.hi : null],
      ['probImprovement', p ? p.probImprovement : null],
      ['separable', p ? p.separable : null],
      ['collapsed', r.collapsedSeeds ? r.collapsedSeeds.length : null],
    ]);
    for (const k of present) m.set(k, r[k]);
    return m;
  });
}

export async function writeSummaryCsv(rs: ResultSet, path: string): Promise<void> {
  await writeFile(path, toCsv(summaryTableRows(summaryRows(rs))));
}
