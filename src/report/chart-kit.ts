// Shared pieces of the Vega-Lite specs: one colour and one shape per series across every chart
// (20 colours, so a run of many configurations never repeats a hue; shapes by rule), the
// mean-line-plus-band layering with optional panels and per-rule rows, and the chart registry type.
import type { TopLevelSpec } from 'vega-lite';
import type { ResultSet } from './records.ts';

/** A chart the report can show; `build` returns null when its records are absent. */
export interface ChartDef {
  name: string;
  title: string;
  /** One line on what to look for. */
  explain: string;
  build(rs: ResultSet): TopLevelSpec | null;
}

export interface BuiltChart {
  name: string;
  title: string;
  explain: string;
  spec: TopLevelSpec;
}

/** One row of a seed-aggregated curve: mean with its spread across seeds. */
export interface BandRow {
  series: string;
  x: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  /** The band's edges (min–max, or mean ± std). */
  lo: number;
  hi: number;
  /** Seeds behind this point. */
  n: number;
  /** Panel (layer path, objective, rule family) when the chart has several. */
  panel?: string;
  /** Row of panels (the series' rule) when a chart has one row per rule. */
  row?: string;
  /** Extra tooltip figure (e.g. the reference's Monte Carlo standard error). */
  stdErr?: number | null;
}

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

// Tableau 10, then ten tones that stay apart from it and from each other on white: twenty series
// (the default experiment has 18) each get a hue of their own; shapes (one per rule) add a second cue.
export const PALETTE = [
  '#4c78a8',
  '#f58518',
  '#54a24b',
  '#e45756',
  '#72b7b2',
  '#b279a2',
  '#eeca3b',
  '#ff9da6',
  '#9d755d',
  '#79706e',
  '#1b1b1b',
  '#8f9d1f',
  '#17becf',
  '#6a3d9a',
  '#b15928',
  '#1f3f7a',
  '#c51b7d',
  '#00a087',
  '#fdbf6f',
  '#a6cee3',
];
const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'triangle-right', 'triangle-left'];

export const WIDTH = 760;
export const HEIGHT = 300;
export const FACET_WIDTH = 250;
export const FACET_HEIGHT = 200;

export const CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 360 },
  header: { labelFontSize: 12, titleFontSize: 12, labelFontWeight: 'bold' as const },
};

/**
 * Series style: colour by position in the experiment, shape by rule, both with one legend.
 * Every chart uses the whole domain (a series keeps its colour everywhere) but its legend lists
 * only the series it draws (`present`).
 */
export function seriesStyle(rs: ResultSet, extra: readonly string[] = [], present?: readonly string[]) {
  const labels = [...rs.series.map((s) => s.label), ...extra.filter((l) => !rs.series.some((s) => s.label === l))];
  const rules = [...new Set(rs.series.map((s) => s.rule))];
  const shapeOf = (label: string) => {
    const s = rs.series.find((x) => x.label === label);
    return SHAPES[(s ? rules.indexOf(s.rule) : rules.length + extra.indexOf(label)) % SHAPES.length];
  };
  // symbolOpacity: the legend would otherwise borrow the faint band's opacity.
  const shown = present ? labels.filter((l) => present.includes(l)) : labels;
  const legend = {
    orient: 'bottom' as const,
    direction: 'vertical' as const,
    columns: Math.min(3, Math.max(1, shown.length)),
    symbolOpacity: 1,
    symbolStrokeWidth: 2,
    ...(present ? { values: shown } : {}),
  };
  const base = { field: 'series', type: 'nominal' as const, title: 'rule' };
  return {
    labels,
    color: { ...base, scale: { domain: labels, range: labels.map((_, i) => PALETTE[i % PALETTE.length]) }, legend },
    shape: { ...base, scale: { domain: labels, range: labels.map(shapeOf) }, legend },
  };
}

/** Above this many series (of more than one rule), curves get one panel, or one row of panels, per rule. */
export const SMALL_MULTIPLES_ABOVE = 6;

export function smallMultiples(rs: ResultSet): boolean {
  return rs.series.length > SMALL_MULTIPLES_ABOVE && new Set(rs.series.map((s) => s.rule)).size > 1;
}

/** With many series, each row goes to its rule's row of panels (per-layer charts); otherwise rows are left as they are. */
export function perRuleRows(rs: ResultSet, rows: BandRow[]): BandRow[] {
  if (!smallMultiples(rs)) return rows;
  const ruleOf = new Map(rs.series.map((s) => [s.label, s.rule]));
  return rows.map((r) => ({ ...r, row: ruleOf.get(r.series) ?? r.series }));
}

/** Interval selection bound to the scales: drag to pan, wheel to zoom, double-click to reset. */
export const ZOOM = [{ name: 'grid', select: { type: 'interval' as const }, bind: 'scales' as const }];

export interface YScale {
  type?: 'linear' | 'log';
  zero?: boolean;
  nice?: boolean;
  /** Pixels kept free beyond the data at both ends. */
  padding?: number;
  domain?: [number, number];
}

export interface BandLineOptions {
  rows: BandRow[];
  xTitle: string;
  yTitle: string;
  yFormat: string;
  yScale?: YScale;
  /** Axis label format when it should differ from the tooltip's `yFormat`. */
  axisFormat?: string;
  /** Reference line (e.g. cosine 0, angle 90°). */
  yRule?: number;
  /** One panel per distinct `panel` value, in the rows' order (a grid with a row per `row` value when rows carry one). */
  panels?: { title: string; columns?: number; independentY?: boolean };
  /** Series to draw dashed and thin (the baseline repeated in every panel). */
  dashed?: string;
  /** Tooltip title for `stdErr`, when rows carry it. */
  stdErrTitle?: string;
  /** Series the legend lists (default: those in `rows`); stacked blocks share one legend. */
  legend?: readonly string[];
}

/** Whole epochs as ticks once there are a few; fractional ticks read as noise. */
function xEncoding(rows: readonly BandRow[], title: string) {
  const xMax = Math.max(0, ...rows.map((r) => r.x));
  return { field: 'x', type: 'quantitative' as const, title, axis: xMax >= 2 ? { tickMinStep: 1 } : {} };
}

/** Points per curve above which markers shrink: a hundred epochs of full-size markers merge into a block. */
const DENSE_CURVE = 40;

/** The most points any one curve (series × panel × row) of `rows` has. */
function longestCurve(rows: readonly BandRow[]): number {
  const n = new Map<string, number>();
  for (const r of rows) {
    const k = `${r.series}\u0000${r.panel ?? ''}\u0000${r.row ?? ''}`;
    n.set(k, (n.get(k) ?? 0) + 1);
  }
  return Math.max(0, ...n.values());
}

/**
 * Mean line with shaped points (tooltips) over a shaded spread band, optionally one panel per
 * `panel`, and one row of panels per `row` when the rows carry one (per-rule small multiples).
 */
export function bandLine(rs: ResultSet, o: BandLineOptions): TopLevelSpec {
  const x = xEncoding(o.rows, o.xTitle);
  const drawn = o.legend ?? [...new Set(o.rows.map((r) => r.series))];
  const style = seriesStyle(rs, drawn, drawn);
  // padding keeps a line that sits on the domain's edge (cosine 1 for backprop) off the frame;
  // an axis from zero (a share, a loss) has none, which would push it below 0.
  const yScale = o.yScale?.type === 'log' ? o.yScale : { zero: false, padding: o.yScale?.zero ? 0 : 6, ...o.yScale };
  const dense = longestCurve(o.rows) > DENSE_CURVE;
  const tooltip = [
    { field: 'series', title: 'rule' },
    ...(o.panels ? [{ field: 'panel', title: o.panels.title }] : []),
    { field: 'x', title: o.xTitle, format: '.3~f' },
    { field: 'mean', title: 'mean', format: o.yFormat },
    { field: 'std', title: 'std', format: o.yFormat },
    { field: 'min', title: 'min', format: o.yFormat },
    { field: 'max', title: 'max', format: o.yFormat },
    ...(o.stdErrTitle ? [{ field: 'stdErr', title: o.stdErrTitle, format: '.2~g' }] : []),
    { field: 'n', title: 'seeds' },
  ];
  const dash = o.dashed
    ? { strokeDash: { condition: { test: `datum.series === ${JSON.stringify(o.dashed)}`, value: [5, 3] }, value: [1, 0] } }
    : {};
  const layers = [
    {
      mark: { type: 'area' as const, opacity: 0.15 },
      encoding: {
        x,
        y: { field: 'lo', type: 'quantitative' as const, title: o.yTitle, scale: yScale },
        y2: { field: 'hi' },
        // Same colour encoding everywhere: layers with differing legends would disable the legend.
        color: style.color,
      },
    },
    {
      mark: { type: 'line' as const, strokeWidth: 2 },
      encoding: {
        x,
        y: { field: 'mean', type: 'quantitative' as const, title: o.yTitle, scale: yScale, axis: { format: o.axisFormat ?? o.yFormat } },
        color: style.color,
        ...dash,
      },
    },
    {
      mark: { type: 'point' as const, filled: true, size: dense ? 10 : 36, opacity: 1 },
      params: ZOOM,
      encoding: {
        x,
        y: { field: 'mean', type: 'quantitative' as const, title: o.yTitle, scale: yScale },
        color: style.color,
        shape: style.shape,
        tooltip,
      },
    },
    ...(o.yRule !== undefined
      ? [
          {
            mark: { type: 'rule' as const, strokeDash: [4, 4], color: '#999' },
            encoding: { y: { datum: o.yRule, type: 'quantitative' as const } },
          },
        ]
      : []),
  ];
  const rowOrder = [...new Set(o.rows.flatMap((r) => (r.row === undefined ? [] : [r.row])))];
  if (o.panels && rowOrder.length) {
    // A grid: one row per rule, one column per panel; every cell shares the axes, so rows compare.
    // The measure is named once, beside the rows, rather than on every row's axis.
    const order = [...new Set(o.rows.map((r) => r.panel ?? ''))];
    // Cells share the page's width with the rows' labels.
    const width = Math.max(110, Math.floor((WIDTH - 40) / order.length) - 20);
    const untitled = layers.map((l) =>
      'encoding' in l && 'y' in l.encoding ? { ...l, encoding: { ...l.encoding, y: { ...l.encoding.y, title: null } } } : l,
    );
    return {
      $schema: SCHEMA,
      data: { values: o.rows },
      facet: {
        row: {
          field: 'row',
          type: 'nominal',
          title: o.yTitle,
          sort: rowOrder,
          header: { labelAngle: 0, labelAlign: 'left', labelLimit: 190, titleFontWeight: 'normal' },
        },
        column: { field: 'panel', type: 'nominal', title: null, sort: order, header: { labelLimit: width } },
      },
      spec: { width, height: 90, layer: untitled },
      ...(o.panels.independentY ? { resolve: { scale: { y: 'independent' as const } } } : {}),
      config: CONFIG,
    } as TopLevelSpec;
  }
  if (o.panels) {
    const order = [...new Set(o.rows.map((r) => r.panel ?? ''))];
    const columns = Math.min(o.panels.columns ?? 4, order.length);
    return {
      $schema: SCHEMA,
      data: { values: o.rows },
      facet: { field: 'panel', type: 'nominal', title: null, sort: order },
      columns,
      spec: { width: columns > 3 ? FACET_WIDTH - 50 : columns === 1 ? WIDTH : FACET_WIDTH, height: FACET_HEIGHT, layer: layers },
      // Wrapped panels each get their own x axis: shared ones would hang under empty cells.
      resolve: {
        ...(o.panels.independentY ? { scale: { y: 'independent' as const } } : {}),
        ...(order.length > columns ? { axis: { x: 'independent' as const } } : {}),
      },
      config: CONFIG,
    } as TopLevelSpec;
  }
  return { $schema: SCHEMA, data: { values: o.rows }, width: WIDTH, height: HEIGHT, layer: layers, config: CONFIG } as TopLevelSpec;
}
