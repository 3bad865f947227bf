// Vega-Lite spec builders: pure functions from a result set to a spec with its data inline.
// CHARTS lists every chart the report knows; adding one is one ChartDef. Nothing here knows a
// rule by its id: panels and exclusions follow what records declare (`estimates`, `objective`).
import type { TopLevelSpec } from 'vega-lite';
import type { AlignmentReference } from '../runner/record-types.ts';
import {
  aggregate,
  alignmentPoints,
  alignmentReferences,
  diagnosticPoints,
  errorSignalPoints,
  evalPoints,
  metricPoints,
  perEpoch,
  sortPanels,
  splitKey,
  type Band,
  type Point,
} from './chart-data.ts';
import {
  bandLine,
  CONFIG,
  perRuleRows,
  SCHEMA,
  smallMultiples,
  WIDTH,
  type BandLineOptions,
  type BandRow,
  type BuiltChart,
  type ChartDef,
} from './chart-kit.ts';
import { countedTrials } from './figures.ts';
import { OPTIONAL_CHARTS } from './optional-charts.ts';
import { paretoChart } from './pareto.ts';
import { baselineSeries as baseline, type ResultSet, type Series } from './records.ts';
import { summarize } from './stats.ts';
import { taskMetricCharts } from './task-metrics.ts';

export type { BuiltChart, ChartDef } from './chart-kit.ts';

export { SMALL_MULTIPLES_ABOVE } from './chart-kit.ts';

/** What a series' training loss measures: the task loss, or the rule's own objective. */
const objectiveOf = (s: Series) => (s.estimates === 'own-objective' ? (s.objective ?? `${s.rule}'s own objective`) : 'task loss');

/**
 * Points per rule panel, with the baseline's points copied into every other panel it can be
 * compared with (`comparable`), so each panel reads as "this rule against the baseline".
 */
function byRulePanels(rs: ResultSet, points: Point[], comparable: (s: Series) => boolean): Point[] {
  const base = baseline(rs);
  const seriesOf = new Map(rs.series.map((s) => [s.label, s]));
  const panels = [...new Set(rs.series.map((s) => s.rule))];
  const out = points.map((p) => ({ ...p, panel: seriesOf.get(p.series)!.rule }));
  if (!base) return out;
  const basePoints = points.filter((p) => p.series === base.label);
  for (const panel of panels) {
    if (panel === base.rule) continue;
    const members = rs.series.filter((s) => s.rule === panel);
    if (members.some(comparable)) out.push(...basePoints.map((p) => ({ ...p, panel })));
  }
  const rank = (p: Point) => panels.indexOf(p.panel!);
  return out.sort((a, b) => rank(a) - rank(b));
}

const allPositive = (rows: readonly BandRow[]) => rows.every((r) => r.lo > 0);

/**
 * Test error in % on a log axis, as the headline shows it: 0.6% against 1.9% is as far apart as
 * 6% against 19%, where an accuracy axis from 0.2 to 1 flattens every difference near the top.
 * A run with a perfect score (no log of 0) keeps a linear error axis from 0.
 */
export function testAccuracyChart(rs: ResultSet, band: Band = 'minmax'): TopLevelSpec | null {
  const points = evalPoints(rs, (e) => e.testAcc).map((p) => ({ ...p, y: (1 - p.y) * 100 }));
  if (!points.length) return null;
  const many = smallMultiples(rs);
  // Each panel's axis spans its own data: one slow rule must not squash the differences at the bottom.
  const rows = aggregate(many ? byRulePanels(rs, points, () => true) : points, band);
  const log = allPositive(rows);
  return bandLine(rs, {
    rows,
    xTitle: 'epoch',
    yTitle: log ? 'test error % (log scale)' : 'test error %',
    yFormat: '.3~f',
    axisFormat: log ? '~g' : '~f',
    // Not nice: powers of ten around errors of 0.6–3% would leave the curves in a corner.
    yScale: log ? { type: 'log', nice: false, padding: 8 } : { zero: true },
    ...(many ? { panels: { title: 'rule', columns: 3, independentY: true }, dashed: baseline(rs)?.label } : {}),
  });
}

export function trainLossChart(rs: ResultSet, band: Band = 'minmax'): TopLevelSpec | null {
  const points = evalPoints(rs, (e) => e.trainLoss);
  if (!points.length) return null;
  const seriesOf = new Map(rs.series.map((s) => [s.label, s]));
  const base = baseline(rs);
  const objectives = new Set(rs.series.map(objectiveOf));
  let rows: BandRow[];
  let panels: BandLineOptions['panels'];
  if (smallMultiples(rs)) {
    // A panel per rule; the baseline joins only panels whose loss measures the same objective.
    const tagged = byRulePanels(rs, points, (s) => base !== undefined && objectiveOf(s) === objectiveOf(base));
    rows = aggregate(
      tagged.map((p) => {
        const s = seriesOf.get(p.series)!;
        return s.estimates === 'own-objective' ? { ...p, panel: `${p.panel} (own objective)` } : p;
      }),
      band,
    );
    panels = { title: 'rule', columns: 3, independentY: true };
  } else if (objectives.size > 1) {
    rows = aggregate(
      points.map((p) => ({ ...p, panel: objectiveOf(seriesOf.get(p.series)!) })),
      band,
    );
    panels = { title: 'objective', columns: 2, independentY: true };
  } else rows = aggregate(points, band);
  // Losses are positive: a log axis keeps late, small differences visible and never dips below 0.
  const log = allPositive(rows);
  return bandLine(rs, {
    rows,
    xTitle: 'epoch',
    yTitle: log ? 'train loss (log scale)' : 'train loss',
    yFormat: '.3f',
    axisFormat: log ? '~g' : '.3f',
    yScale: log ? { type: 'log' } : { zero: true },
    panels,
    dashed: smallMultiples(rs) ? base?.label : undefined,
  });
}

export const REFERENCE_TITLES: Record<AlignmentReference, string> = {
  'task-gradient': 'against the task gradient (backprop on the same batch, parameters and dropout masks)',
  'expected-gradient': 'against the expected gradient ∇E[L] of the stochastic network (exact or sampled)',
  'local-gradient': "against the exact gradient of the rule's local losses (each block's own, its input held fixed)",
};

/** One faceted block per reference, stacked, each titled with what it was compared with. */
function perReference(
  rs: ResultSet,
  pointsFor: (r: AlignmentReference) => Point[],
  o: Omit<BandLineOptions, 'rows' | 'panels'>,
  band: Band,
  stdErr = false,
): TopLevelSpec | null {
  const byRef = alignmentReferences(rs)
    .map((ref) => ({ ref, rows: perRuleRows(rs, sortPanels(aggregate(perEpoch(pointsFor(ref)), band))) }))
    .filter((b) => b.rows.length);
  if (!byRef.length) return null;
  // One legend for the stack: every block lists every series drawn in any of them.
  const legend = [...new Set(byRef.flatMap((b) => b.rows.map((r) => r.series)))];
  const blocks = byRef.map(({ ref, rows }) => {
    const spec = bandLine(rs, {
      ...o,
      rows,
      legend,
      panels: { title: 'layer', columns: 4 },
      stdErrTitle: stdErr && ref === 'expected-gradient' ? 'reference MC std err' : undefined,
    }) as unknown as Record<string, unknown>;
    delete spec.$schema;
    delete spec.config;
    return { ...spec, title: { text: `Reference: ${ref} — ${REFERENCE_TITLES[ref]}`, anchor: 'start' as const, fontSize: 13 } };
  });
  return { $schema: SCHEMA, vconcat: blocks, spacing: 28, config: CONFIG } as TopLevelSpec;
}

export function alignmentChart(rs: ResultSet, band: Band = 'minmax'): TopLevelSpec | null {
  return perReference(
    rs,
    (ref) => alignmentPoints(rs, ref, 'cosine'),
    { xTitle: 'epoch', yTitle: 'cosine with the reference', yFormat: '.3f', axisFormat: '.2f', yRule: 0 },
    band,
    true,
  );
}

export function errorSignalChart(rs: ResultSet, band: Band = 'minmax'): TopLevelSpec | null {
  return perReference(
    rs,
    (ref) => errorSignalPoints(rs, ref),
    { xTitle: 'epoch', yTitle: 'cosine with BP’s δ', yFormat: '.3f', axisFormat: '.2f', yRule: 0 },
    band,
  );
}

export function feedbackAngleChart(rs: ResultSet, band: Band = 'minmax'): TopLevelSpec | null {
  const rows = sortPanels(aggregate(diagnosticPoints(rs, /^feedbackAngleDeg$/), band));
  if (!rows.length) return null;
  return bandLine(rs, { rows, xTitle: 'epoch', yTitle: 'angle(B, W) in degrees', yFormat: '.1f', panels: { title: 'layer' }, yRule: 90 });
}

const CATEGORY_ORDER = ['param', 'grad', 'optimizer', 'rule-state', 'saved-activation', 'transient', 'other', 'frozen'];

/** Bytes live at each series' peak step, by ledger category (mean over counted seeds). */
export function memoryBreakdownRows(rs: ResultSet): Array<{ series: string; category: string; MiB: number; order: number }> {
  return rs.series.flatMap((s) => {
    const lasts = countedTrials(s)
      .map((t) => [...t.evals].reverse().find((e) => e.memory)?.memory)
      .filter((m) => m);
    if (!lasts.length) return [];
    const cats = [...new Set(lasts.flatMap((m) => Object.keys(m!.atPeak)))];
    return cats.flatMap((c) => {
      const MiB = summarize(lasts.map((m) => (m!.atPeak as unknown as Record<string, number>)[c])).mean / 2 ** 20;
      const order = CATEGORY_ORDER.indexOf(c);
      return MiB > 0 ? [{ series: s.label, category: c, MiB, order: order < 0 ? CATEGORY_ORDER.length : order }] : [];
    });
  });
}

/** Stacked bars: what fills memory at the peak (parameters, saved activations, rule state, ...), for any model. */
export function memoryBreakdownChart(rs: ResultSet): TopLevelSpec | null {
  const rows = memoryBreakdownRows(rs);
  if (!rows.length) return null;
  const categories = [...new Set([...CATEGORY_ORDER, ...rows.map((r) => r.category)])].filter((c) => rows.some((r) => r.category === c));
  return {
    $schema: SCHEMA,
    data: { values: rows },
    width: WIDTH - 220,
    height: { step: 22 },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'series', type: 'nominal', title: null, sort: rs.series.map((s) => s.label), axis: { labelLimit: 320 } },
      x: { field: 'MiB', type: 'quantitative', title: 'MiB live at the peak training step', stack: 'zero' },
      color: {
        field: 'category',
        type: 'nominal',
        title: 'ledger category',
        scale: { domain: categories, scheme: 'tableau10' },
        legend: { orient: 'bottom', columns: 4 },
      },
      order: { field: 'order', type: 'quantitative' },
      tooltip: [{ field: 'series', title: 'rule' }, { field: 'category' }, { field: 'MiB', format: '.3f' }],
    },
    config: CONFIG,
  } as TopLevelSpec;
}

/** One chart per rule that reports metrics of its own: a panel per metric, each on its own axis. */
export function ruleMetricCharts(rs: ResultSet, band: Band = 'minmax'): BuiltChart[] {
  const rules = [...new Set(rs.series.map((s) => s.rule))];
  return rules.flatMap((rule) => {
    const rows = aggregate(metricPoints(rs, rule), band);
    if (!rows.length) return [];
    // Panels by metric name, then by module path in model order, so per-layer metrics sit together.
    const keys = [...new Set(rows.map((r) => r.panel!))];
    const names = [...new Set(keys.map((k) => splitKey(k).name))];
    const rank = (k: string) => names.indexOf(splitKey(k).name) * keys.length + keys.indexOf(k);
    const sorted = [...rows].sort((a, b) => rank(a.panel!) - rank(b.panel!));
    const spec = bandLine(rs, {
      rows: sorted,
      xTitle: 'epoch',
      yTitle: 'mean over the interval',
      yFormat: '.4~g',
      axisFormat: '~g',
      panels: { title: 'metric', columns: 4, independentY: true },
    });
    return [
      {
        name: `metrics-${rule.replace(/[^A-Za-z0-9_-]/g, '_')}`,
        title: `${rule}: its own metrics`,
        explain: `Every number ${rule} reports from its steps (records’ metrics), averaged over each evaluation interval; per-layer metrics are named <module path>.<metric>.`,
        spec,
      },
    ];
  });
}

export const CORE_CHARTS: ChartDef[] = [
  {
    name: 'headline',
    title: 'What each rule reaches for what it spends',
    explain:
      'One point per rule configuration: its final test error (log scale; 100 − accuracy, mean over seeds; bars: the bootstrap 95% interval of the mean) against the forward-pass equivalents it spent, its peak training memory (the logical ledger) and the wall time of its training steps (rule step and optimizer). Down and to the left is better; a panel whose figure the records do not carry is left out.',
    build: paretoChart,
  },
  {
    name: 'test-accuracy',
    title: 'Test error',
    explain:
      'Test error in % (100 − accuracy) on a log scale, as in the headline, so the differences near the top stay visible; lower is better. Line: mean over seeds; band: min–max across seeds. With many rules, one panel per rule with the baseline (dashed: the experiment’s reference, the rule that declares exact gradients, else its first rule) in each; every panel’s axis spans its own data.',
    build: (rs) => testAccuracyChart(rs),
  },
  {
    name: 'train-loss',
    title: 'Training loss',
    explain:
      'Mean loss over each epoch’s batches. A rule that optimizes an objective of its own (named in the alignment table) gets its own panel: its loss is not the task loss and must not share an axis with it.',
    build: (rs) => trainLossChart(rs),
  },
  {
    name: 'alignment',
    title: 'Gradient alignment',
    explain:
      'Cosine between each rule’s update and the reference named above each block, on the same batch: over all parameters (weighted by size), the mean over layers (each layer counts once), and per layer. 1 = same direction, 0 = orthogonal. Rules with an objective of their own have no reference and are left out.',
    build: (rs) => alignmentChart(rs),
  },
  {
    name: 'error-signals',
    title: 'Error-signal alignment',
    explain:
      'Per hidden layer: cosine between the signal a rule delivers to the layer’s pre-activation and backprop’s δ there (Lillicrap et al. 2016). Rules that deliver no such signal are absent.',
    build: (rs) => errorSignalChart(rs),
  },
  {
    name: 'feedback-angle',
    title: 'Angle between feedback B and forward W',
    explain:
      'For rules with feedback matrices: 90° means B and W are unrelated. Fixed random B stays near 90° while W comes to align with it; sign-symmetric variants start low.',
    build: (rs) => feedbackAngleChart(rs),
  },
  {
    name: 'memory-breakdown',
    title: 'What fills memory at the peak',
    explain:
      'Bytes live at each rule’s peak training step, by the ledger’s categories (mean over seeds): saved activations are what backprop pays for, rule state what feedback matrices or synthesizers cost.',
    build: memoryBreakdownChart,
  },
];

export const CHARTS: ChartDef[] = [...CORE_CHARTS, ...OPTIONAL_CHARTS];

/** Every chart whose records are present, in report order; each rule's own metrics come last. */
export function buildCharts(rs: ResultSet, defs: readonly ChartDef[] = CHARTS): BuiltChart[] {
  const build = (d: ChartDef): BuiltChart[] => {
    const spec = d.build(rs);
    return spec ? [{ name: d.name, title: d.title, explain: d.explain, spec }] : [];
  };
  // A task's own figures (bits per character) lead: they are what such a run is about.
  return [
    ...(defs === CHARTS ? taskMetricCharts(rs).flatMap(build) : []),
    ...defs.flatMap(build),
    ...(defs === CHARTS ? ruleMetricCharts(rs) : []),
  ];
}
