// Vega-Lite spec builders: pure functions from a result set to a spec with its data inline.
// CHARTS lists every chart the report knows; adding one is one ChartDef.
import type { TopLevelSpec } from 'vega-lite';
import { aggregate, alignmentPoints, diagnosticPoints, evalPoints, sortLayers, type Band } from './chart-data.ts';
import { bandLine, colorEncoding, CONFIG, HEIGHT, WIDTH, ZOOM, type BuiltChart, type ChartDef } from './chart-kit.ts';
import { countedTrials, seriesFigures, trialFigures } from './figures.ts';
import { OPTIONAL_CHARTS } from './optional-charts.ts';
import type { ResultSet } from './records.ts';
import { summarize } from './stats.ts';

export type { BuiltChart, ChartDef } from './chart-kit.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export function testAccuracyChart(rs: ResultSet, band: Band = 'minmax'): TopLevelSpec | null {
  const rows = aggregate(evalPoints(rs, (e) => e.testAcc), band);
  return rows.length ? bandLine(rs, { rows, xTitle: 'epoch', yTitle: 'test accuracy', yFormat: '.3f' }) : null;
}

export function trainLossChart(rs: ResultSet, band: Band = 'minmax'): TopLevelSpec | null {
  const rows = aggregate(evalPoints(rs, (e) => e.trainLoss), band);
  return rows.length ? bandLine(rs, { rows, xTitle: 'epoch', yTitle: 'train loss (mean over the epoch)', yFormat: '.3f' }) : null;
}

export function alignmentChart(rs: ResultSet, band: Band = 'minmax'): TopLevelSpec | null {
  const rows = sortLayers(aggregate(alignmentPoints(rs, 'cosine'), band));
  if (!rows.length) return null;
  return bandLine(rs, { rows, xTitle: 'epoch', yTitle: 'cosine with BP gradient', yFormat: '.2f', facet: true, yRule: 0 });
}

export function feedbackAngleChart(rs: ResultSet, band: Band = 'minmax'): TopLevelSpec | null {
  const rows = sortLayers(aggregate(diagnosticPoints(rs, /^feedbackAngleDeg$/), band));
  if (!rows.length) return null;
  return bandLine(rs, { rows, xTitle: 'epoch', yTitle: 'angle(B, W) in degrees', yFormat: '.1f', facet: true, yRule: 90 });
}

export interface MemoryPoint {
  series: string;
  n: number;
  acc: number;
  accStd: number;
  accLo: number;
  accHi: number;
  ratio: number;
  ratioLo: number;
  ratioHi: number;
  peakMiB: number;
}

export function accuracyMemoryRows(rs: ResultSet): MemoryPoint[] {
  return rs.series.flatMap((s) => {
    const f = seriesFigures(s);
    if (!f.finalTestAcc.n || !f.ratioToInference.n) return [];
    return [{
      series: s.label, n: f.finalTestAcc.n,
      acc: f.finalTestAcc.mean, accStd: Number.isFinite(f.finalTestAcc.std) ? f.finalTestAcc.std : 0,
      accLo: f.finalTestAcc.min, accHi: f.finalTestAcc.max,
      ratio: f.ratioToInference.mean, ratioLo: f.ratioToInference.min, ratioHi: f.ratioToInference.max,
      peakMiB: f.peakBytes.mean / 2 ** 20,
    }];
  });
}

export function accuracyMemoryChart(rs: ResultSet): TopLevelSpec | null {
  const rows = accuracyMemoryRows(rs);
  if (!rows.length) return null;
  const color = colorEncoding(rs);
  const q = 'quantitative' as const;
  // 1× is inference itself: the natural left edge, unless a rule streams below it.
  const lo = Math.min(1, ...rows.map((r) => r.ratioLo));
  const hi = Math.max(...rows.map((r) => r.ratioHi));
  // Headroom on the right keeps the largest point off the frame.
  const xScale = { zero: false, nice: true, domain: [lo, hi + 0.08 * Math.max(hi - lo, 0.5)] };
  const xTitle = 'peak training memory ÷ inference memory';
  const yTitle = 'final test accuracy';
  return {
    $schema: SCHEMA,
    data: { values: rows },
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        mark: { type: 'errorbar', ticks: true },
        encoding: {
          x: { field: 'ratio', type: q, title: xTitle, scale: xScale },
          y: { field: 'accLo', type: q, title: yTitle, scale: { zero: false, padding: 8 } },
          y2: { field: 'accHi' },
          color,
        },
      },
      {
        mark: { type: 'errorbar', ticks: true },
        encoding: {
          x: { field: 'ratioLo', type: q, title: xTitle, scale: xScale },
          x2: { field: 'ratioHi' },
          y: { field: 'acc', type: q, title: yTitle },
          color,
        },
      },
      {
        mark: { type: 'point', filled: true, size: 90, opacity: 0.9 },
        params: ZOOM,
        encoding: {
          x: { field: 'ratio', type: q, title: xTitle, scale: xScale },
          y: { field: 'acc', type: q, title: yTitle, scale: { zero: false, padding: 8 }, axis: { format: '.3f' } },
          color,
          tooltip: [
            { field: 'series', title: 'rule' },
            { field: 'acc', title: 'test acc (mean)', format: '.4f' },
            { field: 'accStd', title: 'test acc (std)', format: '.4f' },
            { field: 'ratio', title: 'memory ÷ inference', format: '.2f' },
            { field: 'peakMiB', title: 'peak MiB', format: '.2f' },
            { field: 'n', title: 'seeds' },
          ],
        },
      },
    ],
    config: CONFIG,
  };
}

export interface WallTimeRow {
  series: string;
  ratio: number;
  lo: number;
  hi: number;
  msPerEpoch: number;
  n: number;
  baseline: string;
}

/** ms per epoch of each seed over the mean of the baseline (backprop, else the first series). */
export function wallTimeRows(rs: ResultSet): WallTimeRow[] {
  const base = rs.series.find((s) => s.rule === 'backprop') ?? rs.series[0];
  if (!base) return [];
  const baseMs = seriesFigures(base).msPerEpoch.mean;
  if (!(baseMs > 0)) return [];
  return rs.series.flatMap((s) => {
    const ms = countedTrials(s).map((t) => trialFigures(t).msPerEpoch);
    const r = summarize(ms.map((m) => (m === null ? null : m / baseMs)));
    if (!r.n) return [];
    return [{ series: s.label, ratio: r.mean, lo: r.min, hi: r.max, msPerEpoch: summarize(ms).mean, n: r.n, baseline: base.label }];
  });
}

export function wallTimeChart(rs: ResultSet): TopLevelSpec | null {
  const rows = wallTimeRows(rs);
  if (!rows.length) return null;
  const color = colorEncoding(rs);
  const y = { field: 'series', type: 'nominal' as const, title: null, sort: rs.series.map((s) => s.label), axis: { labelLimit: 320 } };
  const xTitle = `time per epoch ÷ ${rows[0].baseline}`;
  return {
    $schema: SCHEMA,
    data: { values: rows },
    width: WIDTH - 200,
    height: { step: 28 },
    layer: [
      {
        mark: { type: 'bar', opacity: 0.85 },
        encoding: {
          y,
          x: { field: 'ratio', type: 'quantitative', title: xTitle, scale: { zero: true } },
          color: { ...color, legend: null },
          tooltip: [
            { field: 'series', title: 'rule' },
            { field: 'ratio', title: `÷ ${rows[0].baseline}`, format: '.2f' },
            { field: 'msPerEpoch', title: 'ms per epoch', format: '.1f' },
            { field: 'n', title: 'seeds' },
          ],
        },
      },
      { mark: { type: 'errorbar', ticks: true, color: '#333' }, encoding: { y, x: { field: 'lo', type: 'quantitative', title: xTitle }, x2: { field: 'hi' } } },
      {
        mark: { type: 'text', align: 'left', baseline: 'middle', dx: 8, fontSize: 11 },
        encoding: { y, x: { field: 'hi', type: 'quantitative' }, text: { field: 'ratio', type: 'quantitative', format: '.2f' } },
      },
      { mark: { type: 'rule', strokeDash: [4, 4], color: '#666' }, encoding: { x: { datum: 1, type: 'quantitative' } } },
    ],
    config: CONFIG,
  };
}

export const CORE_CHARTS: ChartDef[] = [
  {
    name: 'test-accuracy', title: 'Test accuracy',
    explain: 'Line: mean over seeds; band: min–max across seeds. Look at the gap to backprop and whether it closes with training.',
    build: (rs) => testAccuracyChart(rs),
  },
  {
    name: 'train-loss', title: 'Training loss',
    explain: 'Mean loss over each epoch’s batches. A rule whose loss falls while test accuracy stalls is fitting, not learning features.',
    build: (rs) => trainLossChart(rs),
  },
  {
    name: 'accuracy-vs-memory', title: 'Final accuracy vs peak memory',
    explain: 'Peak training memory (logical ledger) as a multiple of a forward pass at inference; bars span seeds. Up and to the left is better.',
    build: accuracyMemoryChart,
  },
  {
    name: 'alignment', title: 'Gradient alignment with backprop',
    explain: 'Cosine between each rule’s update and the true BP gradient on the same batch, per layer (1 = same direction, 0 = orthogonal). FA-family rules should climb above 0.',
    build: (rs) => alignmentChart(rs),
  },
  {
    name: 'feedback-angle', title: 'Angle between feedback B and forward W',
    explain: 'For rules with feedback matrices: 90° means B and W are unrelated. Fixed random B stays near 90° while W comes to align with it; sign-symmetric variants start low.',
    build: (rs) => feedbackAngleChart(rs),
  },
  {
    name: 'wall-time', title: 'Wall time per epoch',
    explain: 'Time spent in the rule’s step and the optimizer per epoch, relative to backprop (dashed line = 1×); evaluation and alignment measurement are excluded.',
    build: wallTimeChart,
  },
];

export const CHARTS: ChartDef[] = [...CORE_CHARTS, ...OPTIONAL_CHARTS];

/** Every chart whose records are present, in report order. */
export function buildCharts(rs: ResultSet, defs: readonly ChartDef[] = CHARTS): BuiltChart[] {
  return defs.flatMap((d) => {
    const spec = d.build(rs);
    return spec ? [{ name: d.name, title: d.title, explain: d.explain, spec }] : [];
  });
}
