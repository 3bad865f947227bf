// Shared pieces of the Vega-Lite specs: one colour per series across every chart, the
// mean-line-plus-band layering, and the chart registry type.
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
  /** Facet (layer name) when the chart has one. */
  layer?: string;
}

// Tableau 10: distinguishable and colour-blind tolerant for the first few series.
const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac', '#eeca3b'];

export const WIDTH = 760;
export const HEIGHT = 300;
export const FACET_WIDTH = 250;
export const FACET_HEIGHT = 200;

export const CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 360 },
  header: { labelFontSize: 12, titleFontSize: 12 },
};

/** The same series keeps the same colour in every chart: the domain is every series, in order. */
export function colorEncoding(rs: ResultSet) {
  const labels = rs.series.map((s) => s.label);
  return {
    field: 'series',
    type: 'nominal' as const,
    title: 'rule',
    scale: { domain: labels, range: labels.map((_, i) => PALETTE[i % PALETTE.length]) },
    // symbolOpacity: the legend would otherwise borrow the faint band's opacity.
    legend: { orient: 'bottom' as const, direction: 'vertical' as const, columns: Math.min(3, Math.max(1, labels.length)), symbolOpacity: 1 },
  };
}

/** Interval selection bound to the scales: drag to pan, wheel to zoom, double-click to reset. */
export const ZOOM = [{ name: 'grid', select: { type: 'interval' as const }, bind: 'scales' as const }];

export interface BandLineOptions {
  rows: BandRow[];
  xTitle: string;
  yTitle: string;
  yFormat: string;
  /** Facet by the rows' `layer` column. */
  facet?: boolean;
  yScale?: { type?: 'linear' | 'log'; zero?: boolean; domain?: [number, number] };
  /** Axis label format when it should differ from the tooltip's `yFormat` (log axes). */
  axisFormat?: string;
  /** Reference line (e.g. cosine 0, angle 90°). */
  yRule?: number;
}

/** Mean line with points (tooltips) over a shaded spread band, optionally one panel per layer. */
export function bandLine(rs: ResultSet, o: BandLineOptions): TopLevelSpec {
  // Whole epochs as ticks once there are a few; fractional ticks read as noise.
  const xMax = Math.max(0, ...o.rows.map((r) => r.x));
  const x = { field: 'x', type: 'quantitative' as const, title: o.xTitle, axis: xMax >= 2 ? { tickMinStep: 1 } : {} };
  const color = colorEncoding(rs);
  // padding keeps a line that sits on the domain's edge (cosine 1 for backprop) off the frame.
  const yScale = o.yScale?.type === 'log' ? o.yScale : { zero: false, padding: 6, ...o.yScale };
  const tooltip = [
    { field: 'series', title: 'rule' },
    ...(o.facet ? [{ field: 'layer', title: 'layer' }] : []),
    { field: 'x', title: o.xTitle, format: '.3~f' },
    { field: 'mean', title: 'mean', format: o.yFormat },
    { field: 'std', title: 'std', format: o.yFormat },
    { field: 'min', title: 'min', format: o.yFormat },
    { field: 'max', title: 'max', format: o.yFormat },
    { field: 'n', title: 'seeds' },
  ];
  const layers = [
    {
      mark: { type: 'area' as const, opacity: 0.18 },
      encoding: {
        x,
        y: { field: 'lo', type: 'quantitative' as const, title: o.yTitle, scale: yScale },
        y2: { field: 'hi' },
        // Same encoding as the line: layers with differing legends would disable the legend.
        color,
      },
    },
    {
      mark: { type: 'line' as const, strokeWidth: 2, point: { filled: true, size: 22 } },
      params: ZOOM,
      encoding: {
        x,
        y: { field: 'mean', type: 'quantitative' as const, title: o.yTitle, scale: yScale, axis: { format: o.axisFormat ?? o.yFormat } },
        color,
        tooltip,
      },
    },
    ...(o.yRule !== undefined
      ? [{ mark: { type: 'rule' as const, strokeDash: [4, 4], color: '#999' }, encoding: { y: { datum: o.yRule, type: 'quantitative' as const } } }]
      : []),
  ];
  if (o.facet) {
    const panels = new Set(o.rows.map((r) => r.layer)).size;
    const columns = Math.min(4, panels);
    return {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values: o.rows },
      // Panels in the rows' order ("overall" first, then layers from input to output).
      facet: { field: 'layer', type: 'nominal', title: null, sort: [...new Set(o.rows.map((r) => r.layer ?? ''))] },
      columns,
      spec: { width: columns > 3 ? FACET_WIDTH - 50 : FACET_WIDTH, height: FACET_HEIGHT, layer: layers },
      config: CONFIG,
    };
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: o.rows },
    width: WIDTH,
    height: HEIGHT,
    layer: layers,
    config: CONFIG,
  };
}
