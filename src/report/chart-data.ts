// Turns records into chart rows: per-seed points on an epoch axis, then one row per
// (series, panel, x) with the mean and its spread across seeds. Only the trials whose figures
// count (figures.ts: countedTrials) feed a curve.
import type { AlignmentReference, EvalRecord } from '../runner/record-types.ts';
import type { BandRow } from './chart-kit.ts';
import { countedTrials, plannedStepsPerEpoch, stepsPerEpoch } from './figures.ts';
import type { ResultSet, Series } from './records.ts';
import { summarize } from './stats.ts';

export type Band = 'minmax' | 'std';

export interface Point {
  series: string;
  seed: number;
  /** Epochs of training completed (fractional between epoch ends). */
  x: number;
  y: number;
  panel?: string;
  /** Carried to the row as the mean over seeds (e.g. a reference's Monte Carlo error). */
  stdErr?: number | null;
}

// Seeds of one series share a step schedule, so their x values match up to float noise.
const xKey = (x: number) => Math.round(x * 1e6) / 1e6;

/** Mean and spread across seeds for each (series, panel, x). Rows keep the points' order. */
export function aggregate(points: readonly Point[], band: Band = 'minmax'): BandRow[] {
  const groups = new Map<string, { series: string; panel?: string; x: number; ys: number[]; errs: number[] }>();
  for (const p of points) {
    if (!Number.isFinite(p.y)) continue;
    const x = xKey(p.x);
    const k = JSON.stringify([p.series, p.panel ?? null, x]);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { series: p.series, panel: p.panel, x, ys: [], errs: [] }));
    g.ys.push(p.y);
    if (typeof p.stdErr === 'number' && Number.isFinite(p.stdErr)) g.errs.push(p.stdErr);
  }
  return [...groups.values()].map((g) => {
    const s = summarize(g.ys);
    const std = Number.isFinite(s.std) ? s.std : 0;
    const row: BandRow = {
      series: g.series,
      x: g.x,
      mean: s.mean,
      std,
      min: s.min,
      max: s.max,
      lo: band === 'std' ? s.mean - std : s.min,
      hi: band === 'std' ? s.mean + std : s.max,
      n: s.n,
    };
    if (g.panel !== undefined) row.panel = g.panel;
    if (g.errs.length) row.stdErr = summarize(g.errs).mean;
    return row;
  });
}

/** Points per curve (series × panel) above which a chart shows one point per epoch. */
export const MAX_CURVE_POINTS = 60;

/**
 * Many measurements per epoch over many epochs (alignment every 200 steps for 100 epochs) draw
 * solid blocks: when any curve has more than MAX_CURVE_POINTS points, each seed's points within
 * an epoch become one (their mean, at their mean position), so the spread is across seeds again.
 */
export function perEpoch(points: readonly Point[]): Point[] {
  const curve = new Map<string, Set<number>>();
  for (const p of points) {
    const k = JSON.stringify([p.series, p.panel ?? null]);
    (curve.get(k) ?? curve.set(k, new Set()).get(k)!).add(xKey(p.x));
  }
  if (Math.max(0, ...[...curve.values()].map((xs) => xs.size)) <= MAX_CURVE_POINTS) return [...points];
  const bins = new Map<string, { p: Point; xs: number[]; ys: number[]; errs: number[] }>();
  for (const p of points) {
    if (!Number.isFinite(p.y)) continue;
    // Epoch e holds the points after its start, up to and including its end (x = e + 1).
    const k = JSON.stringify([p.series, p.panel ?? null, p.seed, Math.max(0, Math.ceil(xKey(p.x)) - 1)]);
    let b = bins.get(k);
    if (!b) bins.set(k, (b = { p, xs: [], ys: [], errs: [] }));
    b.xs.push(p.x);
    b.ys.push(p.y);
    if (typeof p.stdErr === 'number' && Number.isFinite(p.stdErr)) b.errs.push(p.stdErr);
  }
  const mean = (v: number[]) => v.reduce((a, c) => a + c, 0) / v.length;
  return [...bins.values()].map(({ p, xs, ys, errs }) => ({
    ...p,
    x: mean(xs),
    y: mean(ys),
    ...(errs.length ? { stdErr: mean(errs) } : {}),
  }));
}

/** Every counted trial of every series with its steps-per-epoch, for building points. */
function each<T>(
  rs: ResultSet,
  fn: (s: Series, seed: number, spe: number, e: EvalRecord) => T[],
  filter: (s: Series) => boolean = () => true,
): T[] {
  const planned = plannedStepsPerEpoch(rs.experiment?.spec);
  return rs.series.filter(filter).flatMap((s) =>
    countedTrials(s).flatMap((t) => {
      const spe = stepsPerEpoch(t, planned);
      return t.evals.flatMap((e) => fn(s, t.seed, spe, e));
    }),
  );
}

/** One point per evaluation: `pick` chooses the figure (null skips it); `panel` names its panel. */
export function evalPoints(rs: ResultSet, pick: (e: EvalRecord) => number | null | undefined, panel?: (s: Series) => string): Point[] {
  return each(rs, (s, seed, spe, e) => {
    const y = pick(e);
    if (typeof y !== 'number' || !Number.isFinite(y)) return [];
    const p: Point = { series: s.label, seed, x: e.step / spe, y };
    if (panel) p.panel = panel(s);
    return [p];
  });
}

export type AlignmentMeasure = 'cosine' | 'angleDeg' | 'normRatio' | 'signAgreement';

export const OVERALL = 'all parameters (weighted)';
export const LAYER_MEAN = 'mean over layers';

/**
 * Alignment points against one reference: per layer path, plus the parameter-weighted overall
 * figure and the unweighted mean over layers. Rules with an objective of their own have none.
 */
export function alignmentPoints(rs: ResultSet, reference: AlignmentReference, measure: AlignmentMeasure = 'cosine'): Point[] {
  return each(
    rs,
    (s, seed, spe, e) =>
      (e.alignment ?? [])
        .filter((a) => a.reference === reference)
        .flatMap((a) => {
          const at = { series: s.label, seed, x: a.step / spe };
          return [
            { ...at, y: a.overall[measure], panel: OVERALL, stdErr: a.referenceStdErr },
            ...(a.layerMean ? [{ ...at, y: a.layerMean[measure], panel: LAYER_MEAN }] : []),
            ...a.layers.map((l) => ({ ...at, y: l[measure], panel: l.layer })),
          ];
        }),
    (s) => s.estimates !== 'own-objective',
  );
}

/** References that alignment points name, in a fixed order. */
export function alignmentReferences(rs: ResultSet): AlignmentReference[] {
  const seen = new Set(
    each(
      rs,
      (_s, _seed, _spe, e) => (e.alignment ?? []).map((a) => a.reference),
      (s) => s.estimates !== 'own-objective',
    ),
  );
  return (['task-gradient', 'expected-gradient', 'local-gradient'] as const).filter((r) => seen.has(r));
}

/** Error-signal cosines (signal delivered to a layer's pre-activation vs BP's δ), per layer plus their mean. */
export function errorSignalPoints(rs: ResultSet, reference: AlignmentReference): Point[] {
  return each(
    rs,
    (s, seed, spe, e) =>
      (e.alignment ?? [])
        .filter((a) => a.reference === reference && a.errorSignals?.length)
        .flatMap((a) => {
          const at = { series: s.label, seed, x: a.step / spe };
          return [
            ...(typeof a.errorSignalMean === 'number' ? [{ ...at, y: a.errorSignalMean, panel: LAYER_MEAN }] : []),
            ...a.errorSignals.map((l) => ({ ...at, y: l.cosine, panel: l.layer })),
          ];
        }),
    (s) => s.estimates !== 'own-objective',
  );
}

/** Split `<module path>.<name>` at its last dot: paths contain dots ("features.0"), names do not. */
export function splitKey(key: string): { path: string; name: string } {
  const dot = key.lastIndexOf('.');
  return dot < 0 ? { path: '', name: key } : { path: key.slice(0, dot), name: key.slice(dot + 1) };
}

/** Per-layer diagnostics keyed `<path>.<name>` whose name matches `pattern` (e.g. /^feedbackAngleDeg$/); panel = path. */
export function diagnosticPoints(rs: ResultSet, pattern: RegExp): Point[] {
  return each(rs, (s, seed, spe, e) =>
    Object.entries(e.diagnostics ?? {}).flatMap(([k, v]) => {
      const { path, name } = splitKey(k);
      if (!path || !pattern.test(name) || typeof v !== 'number') return [];
      return [{ series: s.label, seed, x: e.step / spe, y: v, panel: path }];
    }),
  );
}

/**
 * A trajectory within a step, `<name>.<step>` (a rule's energy at each inference step): drawn
 * against the step by the settling chart, not one panel per step among the rule's metrics.
 */
export const TRAJECTORY_KEY = /^([A-Za-z][A-Za-z0-9_-]*)\.(\d+)$/;

/** A rule's own metrics (`metrics` of its records), one panel per metric key (trajectories aside). */
export function metricPoints(rs: ResultSet, rule: string): Point[] {
  return each(
    rs,
    (s, seed, spe, e) =>
      Object.entries(e.metrics ?? {}).flatMap(([k, v]) =>
        typeof v === 'number' && Number.isFinite(v) && !TRAJECTORY_KEY.test(k)
          ? [{ series: s.label, seed, x: e.step / spe, y: v, panel: k }]
          : [],
      ),
    (s) => s.rule === rule,
  );
}

/** Panels in a fixed order: the named ones first, then the rest by first appearance (model order). */
export function sortPanels(rows: BandRow[], first: readonly string[] = [OVERALL, LAYER_MEAN]): BandRow[] {
  const order = [...new Set(rows.map((r) => r.panel ?? ''))];
  const rank = (p: string) => (first.includes(p) ? first.indexOf(p) - first.length : order.indexOf(p));
  return [...rows].sort((a, b) => rank(a.panel ?? '') - rank(b.panel ?? ''));
}
