// The headline: a Pareto view of what each rule configuration reaches for what it spends. Final
// test error (log scale, 100 − accuracy) with its bootstrap 95% interval as bars, against
// forward-pass equivalents, against peak memory and against the wall time of its training
// steps, one point per configuration; a panel whose figure no record carries is left out.
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, HEIGHT, SCHEMA, seriesStyle, WIDTH, ZOOM } from './chart-kit.ts';
import type { ResultSet } from './records.ts';
import { summaryRows } from './summary.ts';

export interface ParetoRow {
  series: string;
  seeds: number;
  /** Test accuracy (mean over seeds), its error in %, and the error at the interval's ends (null: one seed, no interval). */
  acc: number;
  err: number;
  errLo: number | null;
  errHi: number | null;
  forwardPasses: number | null;
  peakMiB: number | null;
  /** Wall time of the training steps, in seconds (evaluation and alignment measurements left out). */
  stepSeconds: number | null;
}

const fin = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function paretoRows(rs: ResultSet): ParetoRow[] {
  return summaryRows(rs).flatMap((r) =>
    r.seeds
      ? [
          {
            series: r.series.label,
            seeds: r.seeds,
            acc: r.testAcc.mean,
            err: (1 - r.testAcc.mean) * 100,
            errLo: fin((1 - r.testAcc.hi) * 100),
            errHi: fin((1 - r.testAcc.lo) * 100),
            forwardPasses: r.forwardPasses,
            peakMiB: r.peakBytes === null ? null : r.peakBytes / 2 ** 20,
            stepSeconds: r.stepMs === null ? null : r.stepMs / 1000,
          },
        ]
      : [],
  );
}

const PANELS = [
  // Forward passes span decades (a zeroth-order rule's two per step against backprop's three): log.
  { field: 'forwardPasses', title: 'forward-pass equivalents spent (log scale)', log: true, format: '~s' },
  { field: 'peakMiB', title: 'peak training memory (MiB)', log: false, format: '~g' },
  { field: 'stepSeconds', title: 'wall time of the training steps (s)', log: false, format: ',~r' },
] as const;

export function paretoChart(rs: ResultSet): TopLevelSpec | null {
  const rows = paretoRows(rs);
  if (!rows.length) return null;
  const style = seriesStyle(
    rs,
    [],
    rows.map((r) => r.series),
  );
  const q = 'quantitative' as const;
  // Not nice: powers of ten around errors of 2–12% would leave the points in a corner. A perfect
  // score has no log; the axis is then linear from 0.
  const log = rows.every((r) => r.err > 0 && (r.errLo === null || r.errLo > 0));
  const yTitle = log ? 'final test error % (log scale), 95% interval' : 'final test error %, 95% interval';
  const yScale = log ? { type: 'log' as const, nice: false, padding: 14 } : { zero: true };
  const y = { field: 'err', type: q, title: yTitle, scale: yScale, axis: { format: '~g' } };
  const tooltip = [
    { field: 'series', title: 'rule' },
    { field: 'acc', title: 'test accuracy (mean)', format: '.4f' },
    { field: 'forwardPasses', title: 'forward-pass equivalents', format: ',.0f' },
    { field: 'peakMiB', title: 'peak MiB', format: '.2f' },
    { field: 'stepSeconds', title: 'training-step wall time (s)', format: '.1f' },
    { field: 'seeds', title: 'seeds' },
  ];
  const panels = PANELS.filter((p) => rows.some((r) => r[p.field] !== null)).map((p, i) => {
    // Time starts at zero (padding would push the axis below it); memory and forward passes keep
    // padding so that no point sits on the frame.
    const zero = p.field === 'stepSeconds';
    const xScale = p.log ? { type: 'log' as const, nice: false, padding: 12 } : { zero, nice: true, padding: zero ? 0 : 12 };
    const x = { field: p.field, type: q, title: p.title, scale: xScale, axis: { format: p.format } };
    return {
      width: (WIDTH - 80) / 2,
      height: HEIGHT + 40,
      transform: [{ filter: `isValid(datum.${p.field})` }],
      layer: [
        {
          transform: [{ filter: 'isValid(datum.errLo)' }],
          mark: { type: 'errorbar' as const, ticks: true },
          encoding: { x, y: { field: 'errLo', type: q, title: yTitle, scale: yScale }, y2: { field: 'errHi' }, color: style.color },
        },
        {
          mark: { type: 'point' as const, filled: true, size: 110, opacity: 0.95 },
          // One zoomable panel: two selections of one name in a concat would clash.
          ...(i === 0 ? { params: ZOOM } : {}),
          encoding: { x, y, color: style.color, shape: style.shape, tooltip },
        },
      ],
    };
  });
  if (!panels.length) return null;
  return {
    $schema: SCHEMA,
    data: { values: rows },
    // Two panels a row: three side by side would squeeze each below a readable width.
    concat: panels,
    columns: 2,
    spacing: 24,
    resolve: { scale: { y: 'shared', color: 'shared', shape: 'shared' } },
    config: CONFIG,
  } as TopLevelSpec;
}
