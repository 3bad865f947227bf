// Charts shown only when their records are present: estimator bias/variance, memory sweeps over
// width or depth, per-layer gradient norms, dead-unit share. Each reads fields defensively.
import type { TopLevelSpec } from 'vega-lite';
import { aggregate, diagnosticPoints, perEpoch, sortPanels } from './chart-data.ts';
import { COST_CHARTS } from './cost-charts.ts';
import { PIPELINE_CHARTS } from './pipeline-charts.ts';
import { PRECISION_CHARTS } from './precision-charts.ts';
import { STEP_MEMORY_CHARTS } from './step-memory-charts.ts';
import { bandLine, CONFIG, FACET_WIDTH, HEIGHT, perRuleRows, SCHEMA, seriesStyle, WIDTH, ZOOM, type ChartDef } from './chart-kit.ts';
import { labelFor, seriesKey, type OtherRecord, type ResultSet } from './records.ts';
import { summarize } from './stats.ts';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

export interface EstimatorRow {
  estimator: string;
  quantity: string;
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

/** Record field → panel title. biasSq is what experiments/estimators.ts writes; bias/mse are accepted too. */
const ESTIMATOR_QUANTITIES: Array<[field: string, title: string]> = [
  ['biasSq', 'bias² (‖mean − exact‖²)'],
  ['bias', 'bias'],
  ['variance', 'variance'],
  ['mse', 'mean squared error'],
];

/**
 * `type: 'estimator'` rows: per estimator and quantity, the mean over seeds. Rows come per layer
 * plus an "overall" one; only the overall figure is plotted when it exists.
 */
export function estimatorRows(rs: ResultSet): EstimatorRow[] {
  const all = rs.others.estimator ?? [];
  const rows = all.some((r) => r.layer === 'overall') ? all.filter((r) => r.layer === 'overall') : all;
  const groups = new Map<string, number[]>();
  for (const r of rows) {
    const base = str(r.estimator) ?? str(r.name) ?? labelFor(rs, r.rule, r.options);
    const t = num(r.temperature);
    const name = t === null ? base : `${base} τ=${t}`;
    for (const [field, title] of ESTIMATOR_QUANTITIES) {
      const v = num(r[field]);
      // A log axis shows the spread between estimators; exact zeros have no place on it.
      if (v === null || v <= 0) continue;
      const k = JSON.stringify([name, title]);
      groups.set(k, [...(groups.get(k) ?? []), v]);
    }
  }
  return [...groups].map(([k, vs]) => {
    const [estimator, quantity] = JSON.parse(k) as [string, string];
    const s = summarize(vs);
    return { estimator, quantity, mean: s.mean, lo: s.min, hi: s.max, n: s.n };
  });
}

/** Dot plot on log axes: estimator variances differ by orders of magnitude, which bars would hide. */
export function estimatorChart(rs: ResultSet): TopLevelSpec | null {
  const rows = estimatorRows(rs);
  if (!rows.length) return null;
  const y = { field: 'estimator', type: 'nominal' as const, title: null, axis: { labelLimit: 220 } };
  const x = {
    field: 'mean',
    type: 'quantitative' as const,
    title: 'mean over seeds (log scale)',
    scale: { type: 'log' as const },
    axis: { format: '~g' },
  };
  return {
    $schema: SCHEMA,
    data: { values: rows },
    facet: { field: 'quantity', type: 'nominal', title: null, sort: ESTIMATOR_QUANTITIES.map(([, t]) => t) },
    columns: 2,
    spec: {
      width: FACET_WIDTH + 60,
      height: { step: 22 },
      layer: [
        {
          mark: { type: 'rule', color: '#999' },
          encoding: { y, x: { field: 'lo', type: 'quantitative', title: x.title, scale: x.scale }, x2: { field: 'hi' } },
        },
        {
          mark: { type: 'point', filled: true, size: 70, color: '#4c78a8', opacity: 1 },
          encoding: {
            y,
            x,
            tooltip: [
              { field: 'estimator' },
              { field: 'quantity' },
              { field: 'mean', format: '.4g' },
              { field: 'lo', title: 'min', format: '.4g' },
              { field: 'hi', title: 'max', format: '.4g' },
              { field: 'n', title: 'samples' },
            ],
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent' } },
    config: CONFIG,
  };
}

export interface SweepRow {
  series: string;
  x: number;
  peakMiB: number;
  lo: number;
  hi: number;
  ratio: number | null;
  /** The other swept dimension when it varies too (drawn as separate lines). */
  other: string;
}

/** A sweep row's series: the training series it matches (by rule id), else the row's own label. */
function sweepLabel(rs: ResultSet, r: OtherRecord): string {
  const id = str(r.ruleId) ?? r.rule;
  const match = id ? rs.series.find((s) => s.key === seriesKey(id, r.options ?? {})) : undefined;
  return match?.label ?? str(r.rule) ?? labelFor(rs, id, r.options);
}

/** `type: 'memory-sweep'` rows against one dimension ('width' or 'depth'). */
export function sweepRows(rs: ResultSet, dim: 'width' | 'depth'): SweepRow[] {
  const otherDim = dim === 'width' ? 'depth' : 'width';
  const groups = new Map<string, { series: string; x: number; other: string; bytes: number[]; ratios: number[] }>();
  for (const r of rs.others['memory-sweep'] ?? []) {
    // Rows say which sweep they belong to (experiments/mezo-memory.ts); older rows may not.
    if (typeof r.sweep === 'string' && r.sweep !== dim) continue;
    const x = num(r[dim]);
    const bytes = num(r.peakBytes);
    if (x === null || bytes === null) continue;
    const series = sweepLabel(rs, r);
    const o = num(r[otherDim]);
    const other = o === null ? '' : `${otherDim} ${o}`;
    const k = JSON.stringify([series, x, other]);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { series, x, other, bytes: [], ratios: [] }));
    g.bytes.push(bytes);
    const ratio = num(r.ratioToInference);
    if (ratio !== null) g.ratios.push(ratio);
  }
  const rows = [...groups.values()];
  // A dimension that never varies has no curve to draw.
  if (new Set(rows.map((g) => g.x)).size < 2) return [];
  return rows
    .sort((a, b) => a.x - b.x)
    .map((g) => {
      const s = summarize(g.bytes);
      return {
        series: g.series,
        x: g.x,
        peakMiB: s.mean / 2 ** 20,
        lo: s.min / 2 ** 20,
        hi: s.max / 2 ** 20,
        ratio: g.ratios.length ? summarize(g.ratios).mean : null,
        other: g.other,
      };
    });
}

function sweepChart(rs: ResultSet, dim: 'width' | 'depth'): TopLevelSpec | null {
  const rows = sweepRows(rs, dim);
  if (!rows.length) return null;
  // Sweep-only rules (not in the training records) still get a colour and a shape.
  const drawn = [...new Set(rows.map((r) => r.series))];
  const style = seriesStyle(rs, drawn, drawn);
  const varies = new Set(rows.map((r) => r.other)).size > 1;
  return {
    $schema: SCHEMA,
    data: { values: rows },
    width: WIDTH,
    height: HEIGHT,
    mark: { type: 'line', strokeWidth: 2, point: { filled: true, size: 40 } },
    params: ZOOM,
    encoding: {
      x: { field: 'x', type: 'quantitative', title: dim === 'width' ? 'width (the sweep’s width parameter)' : 'depth (weight layers)' },
      y: { field: 'peakMiB', type: 'quantitative', title: 'peak training memory (MiB)' },
      color: style.color,
      shape: style.shape,
      ...(varies ? { strokeDash: { field: 'other', type: 'nominal' as const, title: null } } : {}),
      tooltip: [
        { field: 'series', title: 'rule' },
        { field: 'x', title: dim },
        { field: 'peakMiB', title: 'peak MiB', format: '.3f' },
        { field: 'ratio', title: 'memory ÷ inference', format: '.2f' },
        { field: 'other', title: 'other' },
      ],
    },
    config: CONFIG,
  };
}

export const memoryWidthChart = (rs: ResultSet) => sweepChart(rs, 'width');
export const memoryDepthChart = (rs: ResultSet) => sweepChart(rs, 'depth');

/** Per-layer diagnostic rows: one point per epoch when measured densely, a row of panels per rule when there are many series. */
const layerRows = (rs: ResultSet, pattern: RegExp) => perRuleRows(rs, sortPanels(aggregate(perEpoch(diagnosticPoints(rs, pattern)))));

export function gradientNormChart(rs: ResultSet): TopLevelSpec | null {
  const rows = layerRows(rs, /^(grad|gradient|update)Norm$/).filter((r) => r.lo > 0 && r.hi > 0);
  if (!rows.length) return null;
  return bandLine(rs, {
    rows,
    xTitle: 'epoch',
    yTitle: 'gradient norm (log scale)',
    yFormat: '.3e',
    axisFormat: '~g',
    panels: { title: 'layer' },
    yScale: { type: 'log' },
  });
}

export function deadUnitChart(rs: ResultSet): TopLevelSpec | null {
  const rows = layerRows(rs, /^dead(Relu|Unit)?(Share|Fraction)$/i);
  if (!rows.length) return null;
  // A share is never below 0%. Percentages without a fixed precision take as many decimals as
  // the tick step needs, so ticks stay distinct ("0.25%", "0.5%") where ".0%" printed "1%, 1%, 0%".
  return bandLine(rs, {
    rows,
    xTitle: 'epoch',
    yTitle: 'share of dead units',
    yFormat: '.3~%',
    axisFormat: '~%',
    panels: { title: 'layer' },
    yScale: { zero: true },
  });
}

export const OPTIONAL_CHARTS: ChartDef[] = [
  {
    name: 'estimators',
    title: 'Gradient estimators: bias and variance',
    explain:
      'Against the exact gradient of the expected loss (enumerated on a tiny net); log axes, lower is better, and the two usually trade off. Lines span seeds.',
    build: estimatorChart,
  },
  {
    name: 'memory-vs-width',
    title: 'Peak memory vs width',
    explain: 'Peak training memory as hidden layers widen; the slope shows how each rule’s memory scales.',
    build: memoryWidthChart,
  },
  {
    name: 'memory-vs-depth',
    title: 'Peak memory vs depth',
    explain: 'Peak training memory as layers are added: rules that store every activation grow linearly, streaming ones stay flat.',
    build: memoryDepthChart,
  },
  {
    name: 'gradient-norms',
    title: 'Per-layer gradient norms',
    explain: 'Log scale: norms falling by orders of magnitude toward the input mean vanishing gradients; rising means exploding.',
    build: gradientNormChart,
  },
  {
    name: 'dead-units',
    title: 'Dead ReLU share',
    explain: 'Share of hidden units that output zero for the whole batch; a rising share means capacity is being lost.',
    build: deadUnitChart,
  },
  // Settling of energy-based rules, zeroth-order estimates and forward passes (cost-charts.ts).
  ...COST_CHARTS,
  // A step split into pipeline stages, from measured per-layer costs (pipeline-charts.ts).
  ...PIPELINE_CHARTS,
  // Memory along one step's logical clock (step-memory-charts.ts).
  ...STEP_MEMORY_CHARTS,
  // Entries at number formats of their own against float32 (precision-charts.ts).
  ...PRECISION_CHARTS,
];
