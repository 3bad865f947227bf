// What the energy-based and zeroth-order rules pay, as charts shown only when their records are
// present: a rule's settling (trajectories `<name>.<step>` in its metrics, steps to settle, time
// per step against the baseline), zeroth-order gradient estimates against samples per step
// (`type: 'zeroth-order'` rows), and accuracy against forward passes spent (metrics.forwardPasses).
import type { TopLevelSpec } from 'vega-lite';
import { aggregate, TRAJECTORY_KEY, type Point } from './chart-data.ts';
import { bandLine, CONFIG, FACET_HEIGHT, FACET_WIDTH, HEIGHT, SCHEMA, seriesStyle, WIDTH, ZOOM, type ChartDef } from './chart-kit.ts';
import { countedTrials, seriesFigures } from './figures.ts';
import { baselineSeries as baseline, labelFor, type ResultSet } from './records.ts';
import { summarize } from './stats.ts';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const q = 'quantitative' as const;

/**
 * Per series and trajectory name, the mean over seeds of each step's value in the last
 * evaluation interval (late training): how the rule settles once it has learned something.
 */
export function settlingRows(rs: ResultSet) {
  const points: Point[] = rs.series.flatMap((s) =>
    countedTrials(s).flatMap((t) => {
      const last = t.evals.at(-1);
      return Object.entries(last?.metrics ?? {}).flatMap(([k, v]) => {
        const m = TRAJECTORY_KEY.exec(k);
        return m && num(v) !== null ? [{ series: s.label, seed: t.seed, x: Number(m[2]), y: v, panel: m[1] }] : [];
      });
    }),
  );
  return aggregate(points).sort((a, b) => (a.panel ?? '').localeCompare(b.panel ?? '') || a.x - b.x);
}

export function settlingChart(rs: ResultSet): TopLevelSpec | null {
  const rows = settlingRows(rs);
  if (!rows.length) return null;
  // Energies and state changes span decades; a log axis needs every value positive.
  const log = rows.every((r) => r.lo > 0);
  return bandLine(rs, {
    rows,
    xTitle: 'inference / settling step',
    yTitle: log ? 'value (log scale), last evaluation interval' : 'value, last evaluation interval',
    yFormat: '.4~g',
    axisFormat: '~g',
    yScale: log ? { type: 'log' } : { zero: false },
    panels: { title: 'trajectory', columns: 2, independentY: true },
  });
}

export interface SettlingCostRow {
  series: string;
  quantity: string;
  value: number;
  lo: number;
  hi: number;
  n: number;
}

const COST_QUANTITIES = ['steps to settle', 'share of steps settled', 'final energy'] as const;

/** Per settling series: steps to settle, share settled, final energy (means over training and seeds) and time per step ÷ the baseline's. */
export function settlingCostRows(rs: ResultSet): SettlingCostRow[] {
  const base = baseline(rs);
  const baseMs = base ? seriesFigures(base).msPerEpoch.mean : NaN;
  return rs.series.flatMap((s) => {
    const trials = countedTrials(s);
    const perTrial = (key: string) =>
      trials.map((t) => {
        const vs = t.evals.map((e) => num(e.metrics?.[key])).filter((v): v is number => v !== null);
        return vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : null;
      });
    const steps = perTrial('settleSteps');
    if (!steps.some((v) => v !== null)) return [];
    const row = (quantity: string, values: Array<number | null>): SettlingCostRow[] => {
      const st = summarize(values);
      return st.n ? [{ series: s.label, quantity, value: st.mean, lo: st.min, hi: st.max, n: st.n }] : [];
    };
    const ms = seriesFigures(s).msPerEpoch;
    const speed =
      base && base !== s && baseMs > 0 && ms.n
        ? [
            {
              series: s.label,
              quantity: `time per step ÷ ${base.label}`,
              value: ms.mean / baseMs,
              lo: ms.min / baseMs,
              hi: ms.max / baseMs,
              n: ms.n,
            },
          ]
        : [];
    return [
      ...row(COST_QUANTITIES[0], steps),
      ...row(COST_QUANTITIES[1], perTrial('settledShare')),
      ...row(COST_QUANTITIES[2], perTrial('finalEnergy')),
      ...speed,
    ];
  });
}

/**
 * One panel per quantity, each with an axis fit for it: the share settled always spans 0–100%
 * (a run where no step settled has one value, 0, which an axis fit to the data draws as a single
 * tick), counts and times start at 0.
 */
export function settlingCostChart(rs: ResultSet): TopLevelSpec | null {
  const rows = settlingCostRows(rs);
  if (!rows.length) return null;
  const style = seriesStyle(rs, [], [...new Set(rows.map((r) => r.series))]);
  const y = { field: 'series', type: 'nominal' as const, title: null, sort: rs.series.map((s) => s.label), axis: { labelLimit: 260 } };
  const title = 'mean over training (line: seeds’ range)';
  const quantities = [...new Set(rows.map((r) => r.quantity))].sort((a, b) => rank(a) - rank(b));
  const panel = (quantity: string) => {
    const share = quantity === COST_QUANTITIES[1];
    const values = rows.filter((r) => r.quantity === quantity).flatMap((r) => [r.lo, r.hi]);
    const scale = share ? { domain: [0, 1] } : { zero: values.every((v) => v >= 0) };
    const x = { type: q, title, scale, ...(share ? { axis: { format: '~%' } } : {}) };
    return {
      title: { text: quantity, fontSize: 12 },
      width: FACET_WIDTH + 40,
      height: { step: 24 },
      transform: [{ filter: { field: 'quantity', equal: quantity } }],
      layer: [
        { mark: { type: 'rule', color: '#999' }, encoding: { y, x: { field: 'lo', ...x }, x2: { field: 'hi' } } },
        {
          mark: { type: 'point', filled: true, size: 80, opacity: 1 },
          encoding: {
            y,
            x: { field: 'value', ...x },
            color: style.color,
            shape: style.shape,
            tooltip: [
              { field: 'series', title: 'rule' },
              { field: 'quantity' },
              { field: 'value', format: '.4~g' },
              { field: 'lo', title: 'min', format: '.4~g' },
              { field: 'hi', title: 'max', format: '.4~g' },
              { field: 'n', title: 'seeds' },
            ],
          },
        },
      ],
    };
  };
  return {
    $schema: SCHEMA,
    data: { values: rows },
    concat: quantities.map(panel),
    columns: 2,
    resolve: { scale: { x: 'independent' } },
    config: CONFIG,
  } as TopLevelSpec;
}

/** Fixed quantities first, in their order; the time ratio (named after the baseline) last. */
const rank = (quantity: string) => {
  const i = (COST_QUANTITIES as readonly string[]).indexOf(quantity);
  return i < 0 ? COST_QUANTITIES.length : i;
};

export interface EstimateRow {
  series: string;
  forwardPasses: number;
  quantity: 'cosine' | 'relative variance';
  mean: number;
  lo: number;
  hi: number;
  n: number;
  parameters: number | null;
}

/** `type: 'zeroth-order'` rows: per estimator and forward passes per step, cosine (± its spread over draws) and calibrated variance, over seeds. */
export function estimateRows(rs: ResultSet): EstimateRow[] {
  const groups = new Map<string, { series: string; x: number; cos: number[]; sd: number[]; rv: number[]; d: number | null }>();
  for (const r of rs.others['zeroth-order'] ?? []) {
    const x = num(r.forwardPasses);
    if (x === null) continue;
    const series = typeof r.estimator === 'string' ? r.estimator : labelFor(rs, r.rule, r.options);
    const k = JSON.stringify([series, x]);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { series, x, cos: [], sd: [], rv: [], d: num(r.parameters) }));
    const c = num(r.cosine);
    if (c !== null) g.cos.push(c);
    const sd = num(r.cosineStd);
    if (sd !== null) g.sd.push(sd);
    const v = num(r.relativeVariance);
    if (v !== null && v > 0) g.rv.push(v);
  }
  return [...groups.values()]
    .sort((a, b) => a.series.localeCompare(b.series) || a.x - b.x)
    .flatMap((g) => {
      const out: EstimateRow[] = [];
      if (g.cos.length) {
        const c = summarize(g.cos).mean;
        const spread = g.sd.length ? summarize(g.sd).mean : 0;
        out.push({
          series: g.series,
          forwardPasses: g.x,
          quantity: 'cosine',
          mean: c,
          lo: c - spread,
          hi: c + spread,
          n: g.cos.length,
          parameters: g.d,
        });
      }
      if (g.rv.length) {
        const s = summarize(g.rv);
        out.push({
          series: g.series,
          forwardPasses: g.x,
          quantity: 'relative variance',
          mean: s.mean,
          lo: s.min,
          hi: s.max,
          n: g.rv.length,
          parameters: g.d,
        });
      }
      return out;
    });
}

/** Two panels on log-x axes: cosine with the true gradient (band: ± one std over draws) and the calibrated variance (log y). */
export function zerothOrderChart(rs: ResultSet): TopLevelSpec | null {
  const rows = estimateRows(rs);
  if (!rows.length) return null;
  const drawn = [...new Set(rows.map((r) => r.series))];
  const style = seriesStyle(rs, drawn, drawn);
  const x = {
    field: 'forwardPasses',
    type: q,
    title: 'forward passes per step (samples)',
    scale: { type: 'log' as const, nice: false },
    axis: { format: '~g' },
  };
  const tooltip = [
    { field: 'series', title: 'estimator' },
    { field: 'forwardPasses', title: 'forward passes' },
    { field: 'mean', format: '.4~g' },
    { field: 'lo', format: '.4~g' },
    { field: 'hi', format: '.4~g' },
    { field: 'parameters', title: 'parameters' },
    { field: 'n', title: 'rows' },
  ];
  const panel = (quantity: EstimateRow['quantity'], title: string, log: boolean) => ({
    width: (WIDTH - 80) / 2,
    height: HEIGHT,
    transform: [{ filter: `datum.quantity === '${quantity}'` }],
    layer: [
      {
        mark: { type: 'area' as const, opacity: 0.15 },
        encoding: {
          x,
          y: { field: 'lo', type: q, title, scale: log ? { type: 'log' as const } : { zero: true } },
          y2: { field: 'hi' },
          color: style.color,
        },
      },
      {
        mark: { type: 'line' as const, strokeWidth: 2 },
        encoding: {
          x,
          y: { field: 'mean', type: q, title, scale: log ? { type: 'log' as const } : { zero: true }, axis: { format: '~g' } },
          color: style.color,
        },
      },
      {
        mark: { type: 'point' as const, filled: true, size: 40, opacity: 1 },
        ...(quantity === 'cosine' ? { params: ZOOM } : {}),
        encoding: { x, y: { field: 'mean', type: q, title }, color: style.color, shape: style.shape, tooltip },
      },
    ],
  });
  return {
    $schema: SCHEMA,
    data: { values: rows },
    hconcat: [
      panel('cosine', 'cosine with the true gradient (band: ±1 std over draws)', false),
      panel('relative variance', 'variance ÷ ‖g‖², scale-calibrated (log)', true),
    ],
    spacing: 24,
    resolve: { scale: { color: 'shared', shape: 'shared' } },
    config: CONFIG,
  } as TopLevelSpec;
}

/**
 * Test accuracy against forward passes spent, for series whose steps report `forwardPasses`
 * (zeroth-order rules): the fair axis when a step's cost is its number of loss evaluations.
 */
export function forwardPassRows(rs: ResultSet) {
  const points: Point[] = rs.series.flatMap((s) =>
    countedTrials(s).flatMap((t) => {
      let spent = 0;
      let prevStep = 0;
      return t.evals.flatMap((e) => {
        const f = num(e.metrics?.forwardPasses);
        if (f === null) return [];
        spent += (e.step - prevStep) * f;
        prevStep = e.step;
        return num(e.testAcc) === null ? [] : [{ series: s.label, seed: t.seed, x: spent, y: e.testAcc }];
      });
    }),
  );
  return aggregate(points);
}

export function forwardPassChart(rs: ResultSet): TopLevelSpec | null {
  const rows = forwardPassRows(rs);
  if (!rows.length) return null;
  const drawn = [...new Set(rows.map((r) => r.series))];
  const style = seriesStyle(rs, drawn, drawn);
  const x = {
    field: 'x',
    type: q,
    title: 'forward passes spent (log scale)',
    scale: { type: 'log' as const, nice: false },
    axis: { format: '~s' },
  };
  const y = { type: q, title: 'test accuracy', scale: { zero: false, padding: 6 } };
  return {
    $schema: SCHEMA,
    data: { values: rows },
    width: WIDTH,
    height: FACET_HEIGHT + 100,
    layer: [
      { mark: { type: 'area', opacity: 0.15 }, encoding: { x, y: { field: 'lo', ...y }, y2: { field: 'hi' }, color: style.color } },
      // No fixed precision: labels take as many decimals as the tick step needs (a run at chance
      // spans 0.085–0.1, which two decimals print as 0.09, 0.09, 0.10, 0.10).
      { mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y: { field: 'mean', ...y, axis: { format: '~f' } }, color: style.color } },
      {
        mark: { type: 'point', filled: true, size: 36, opacity: 1 },
        params: ZOOM,
        encoding: {
          x,
          y: { field: 'mean', ...y },
          color: style.color,
          shape: style.shape,
          tooltip: [
            { field: 'series', title: 'rule' },
            { field: 'x', title: 'forward passes', format: ',.0f' },
            { field: 'mean', title: 'test accuracy', format: '.4f' },
            { field: 'n', title: 'seeds' },
          ],
        },
      },
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

export const COST_CHARTS: ChartDef[] = [
  {
    name: 'settling',
    title: 'Settling: energy and state change per inference step',
    explain:
      'For rules that relax before they learn (predictive coding, equilibrium propagation): each step of the relaxation in the last evaluation interval, mean over seeds. A curve still falling at its last step had not settled.',
    build: settlingChart,
  },
  {
    name: 'settling-cost',
    title: 'What the relaxation costs',
    explain:
      'Steps until the relaxation settles (its own tolerance), the share of training steps that settled within their budget, the final energy, and time per step as a multiple of the baseline’s (the experiment’s reference, else its first rule).',
    build: settlingCostChart,
  },
  {
    name: 'zeroth-order-estimates',
    title: 'Zeroth-order gradient estimates vs samples per step',
    explain:
      'At fixed parameters, many draws of each estimator against the true gradient: its cosine with it (higher is better) and its variance once its scale is calibrated along it (lower is better; SPSA’s theory is 2(d + 1)/passes).',
    build: zerothOrderChart,
  },
  {
    name: 'accuracy-vs-forward-passes',
    title: 'Accuracy against forward passes spent',
    explain: 'Zeroth-order rules pay per loss evaluation, so forward passes are the fair axis between them (log scale; bands span seeds).',
    build: forwardPassChart,
  },
];
