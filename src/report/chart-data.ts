// Turns records into chart rows: per-seed points on an epoch axis, then one row per
// (series, layer, x) with the mean and its spread across seeds.
import type { EvalRecord } from '../runner/trial.ts';
import type { BandRow } from './chart-kit.ts';
import { stepsPerEpoch } from './figures.ts';
import type { ResultSet } from './records.ts';
import { summarize } from './stats.ts';

export type Band = 'minmax' | 'std';

export interface Point {
  series: string;
  seed: number;
  /** Epochs of training completed (fractional between epoch ends). */
  x: number;
  y: number;
  layer?: string;
}

// Seeds of one series share a step schedule, so their x values match up to float noise.
const xKey = (x: number) => Math.round(x * 1e6) / 1e6;

/** Mean and spread across seeds for each (series, layer, x). Rows keep the series order. */
export function aggregate(points: readonly Point[], band: Band = 'minmax'): BandRow[] {
  const groups = new Map<string, { series: string; layer?: string; x: number; ys: number[] }>();
  for (const p of points) {
    if (!Number.isFinite(p.y)) continue;
    const x = xKey(p.x);
    const k = JSON.stringify([p.series, p.layer ?? null, x]);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { series: p.series, layer: p.layer, x, ys: [] }));
    g.ys.push(p.y);
  }
  return [...groups.values()].map((g) => {
    const s = summarize(g.ys);
    const std = Number.isFinite(s.std) ? s.std : 0;
    const row: BandRow = {
      series: g.series, x: g.x, mean: s.mean, std, min: s.min, max: s.max,
      lo: band === 'std' ? s.mean - std : s.min,
      hi: band === 'std' ? s.mean + std : s.max,
      n: s.n,
    };
    if (g.layer !== undefined) row.layer = g.layer;
    return row;
  });
}

/** One point per evaluation: `pick` chooses the figure (null skips it). */
export function evalPoints(rs: ResultSet, pick: (e: EvalRecord) => number | null | undefined): Point[] {
  return rs.series.flatMap((s) =>
    s.trials.flatMap((t) => {
      const spe = stepsPerEpoch(t);
      return t.evals.flatMap((e) => {
        const y = pick(e);
        return typeof y === 'number' && Number.isFinite(y) ? [{ series: s.label, seed: t.seed, x: e.step / spe, y }] : [];
      });
    }),
  );
}

export type AlignmentMeasure = 'cosine' | 'angleDeg' | 'normRatio' | 'signAgreement';

/** One point per alignment sample and layer, plus an "overall" layer. */
export function alignmentPoints(rs: ResultSet, measure: AlignmentMeasure = 'cosine'): Point[] {
  return rs.series.flatMap((s) =>
    s.trials.flatMap((t) => {
      const spe = stepsPerEpoch(t);
      return t.evals.flatMap((e) =>
        (e.alignment ?? []).flatMap((a) => [
          ...a.layers.map((l) => ({ series: s.label, seed: t.seed, x: a.step / spe, y: l[measure], layer: l.layer })),
          { series: s.label, seed: t.seed, x: a.step / spe, y: a.overall[measure], layer: 'overall' },
        ]),
      );
    }),
  );
}

/** Per-layer diagnostics named `<layer>.<name>` whose name matches `pattern` (e.g. /feedbackAngleDeg$/). */
export function diagnosticPoints(rs: ResultSet, pattern: RegExp): Point[] {
  return rs.series.flatMap((s) =>
    s.trials.flatMap((t) => {
      const spe = stepsPerEpoch(t);
      return t.evals.flatMap((e) =>
        Object.entries(e.diagnostics ?? {}).flatMap(([k, v]) => {
          const dot = k.lastIndexOf('.');
          if (dot < 0 || !pattern.test(k.slice(dot + 1)) || typeof v !== 'number') return [];
          return [{ series: s.label, seed: t.seed, x: e.step / spe, y: v, layer: k.slice(0, dot) }];
        }),
      );
    }),
  );
}

/** Layer panels in model order, "overall" first: sort is by first appearance otherwise. */
export function sortLayers(rows: BandRow[]): BandRow[] {
  const order = [...new Set(rows.map((r) => r.layer ?? ''))];
  const rank = (l: string) => (l === 'overall' ? -1 : order.indexOf(l));
  return [...rows].sort((a, b) => rank(a.layer ?? '') - rank(b.layer ?? ''));
}
