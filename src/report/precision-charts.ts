// Charts for a run whose rule entries set number formats of their own (experiment.json's
// `precision` per entry, as experiments/precision.ts writes it): each low-precision series is read
// against the same rule and options without one (float32), seed by seed, one panel per format.
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, FACET_WIDTH, SCHEMA, type ChartDef } from './chart-kit.ts';
import { countedTrials, trialFigures, type TrialFigures } from './figures.ts';
import { canonicalOptions, type ResultSet, type Series } from './records.ts';
import { summarize } from './stats.ts';
import { precisionText } from '../runner/series-label.ts';

export interface PrecisionPair {
  /** The format as labels name it ("bf16", "fp16 dynamic scale"). */
  format: string;
  /** The float32 series' label: the rule and its options. */
  rule: string;
  low: Series;
  base: Series;
}

/** Every series with a precision of its own, beside its float32 twin (same rule and options, no precision), in the experiment's order. */
export function precisionPairs(rs: ResultSet): PrecisionPair[] {
  const twin = (s: Series) =>
    rs.series.find(
      (b) => b !== s && !b.entry?.precision && b.rule === s.rule && canonicalOptions(b.options) === canonicalOptions(s.options),
    );
  return rs.series.flatMap((s) => {
    const base = s.entry?.precision ? twin(s) : undefined;
    return base ? [{ format: precisionText(s.entry!.precision!), rule: base.label, low: s, base }] : [];
  });
}

export interface ChangeRow {
  format: string;
  rule: string;
  /** Mean over seeds of (low precision − float32), seed by seed; lo/hi: the fewest and most. */
  delta: number;
  lo: number;
  hi: number;
  low: number;
  base: number;
  n: number;
}

/** A figure's change from float32 per pair, over the seeds both ran (finished trials only). */
export function changeRows(rs: ResultSet, pick: (f: TrialFigures) => number | null): ChangeRow[] {
  return precisionPairs(rs).flatMap((p) => {
    const bySeed = (s: Series) => new Map(countedTrials(s).map((t) => [t.seed, pick(trialFigures(t))]));
    const low = bySeed(p.low);
    const base = bySeed(p.base);
    const seeds = [...low.keys()].filter((k) => low.get(k) !== null && typeof base.get(k) === 'number');
    if (!seeds.length) return [];
    const d = summarize(seeds.map((k) => low.get(k)! - base.get(k)!));
    return [
      {
        format: p.format,
        rule: p.rule,
        delta: d.mean,
        lo: d.min,
        hi: d.max,
        low: summarize(seeds.map((k) => low.get(k)!)).mean,
        base: summarize(seeds.map((k) => base.get(k)!)).mean,
        n: seeds.length,
      },
    ];
  });
}

export interface UnderflowRow {
  format: string;
  rule: string;
  /** The layer whose backward made the cotangents ('(outside layers)': the loss's own ops), or the parameter of the updates. */
  layer: string;
  /** Shares of entries rounded to zero from nonzero, and saturated: mean over the trial's intervals, then over seeds. */
  flushed: number;
  saturated: number;
}

/** Per pair and layer, the share of `what` (cotangents or updates) that rounding flushed to zero or saturated. */
export function underflowRows(rs: ResultSet, what: 'cotangents' | 'updates'): UnderflowRow[] {
  return precisionPairs(rs).flatMap((p) => {
    const shares = new Map<string, { flushed: number[]; saturated: number[] }>();
    for (const t of countedTrials(p.low)) {
      const perLayer = new Map<string, { flushed: number[]; saturated: number[] }>();
      for (const e of t.evals) {
        for (const [layer, v] of Object.entries(e.precision?.[what] ?? {})) {
          const g = perLayer.get(layer) ?? { flushed: [], saturated: [] };
          perLayer.set(layer, g);
          g.flushed.push(v.flushed);
          g.saturated.push(v.saturated);
        }
      }
      for (const [layer, g] of perLayer) {
        const all = shares.get(layer) ?? { flushed: [], saturated: [] };
        shares.set(layer, all);
        all.flushed.push(summarize(g.flushed).mean);
        all.saturated.push(summarize(g.saturated).mean);
      }
    }
    // A backward pass makes its cotangents from the output back: listed input first, as the model reads.
    const layers = what === 'cotangents' ? [...shares.keys()].reverse() : [...shares.keys()];
    return layers.map((layer) => ({
      format: p.format,
      rule: p.rule,
      layer,
      flushed: summarize(shares.get(layer)!.flushed).mean,
      saturated: summarize(shares.get(layer)!.saturated).mean,
    }));
  });
}

export interface LossScaleRow {
  format: string;
  rule: string;
  /** The loss scale at the last evaluation and the steps skipped for overflow by then, per seed. */
  scales: number[];
  skipped: number[];
}

/** Per pair, where each seed's loss scale ended and how many steps it skipped (from the last evaluation's `precision`). */
export function lossScaleRows(rs: ResultSet): LossScaleRow[] {
  return precisionPairs(rs).flatMap((p) => {
    const last = countedTrials(p.low).flatMap((t) => {
      const e = [...t.evals].reverse().find((x) => x.precision);
      return e?.precision ? [e.precision] : [];
    });
    return last.length
      ? [{ format: p.format, rule: p.rule, scales: last.map((x) => x.lossScale), skipped: last.map((x) => x.skippedTotal) }]
      : [];
  });
}

const formatOrder = (rows: ReadonlyArray<{ format: string }>) => [...new Set(rows.map((r) => r.format))];
const ruleOrder = (rows: ReadonlyArray<{ rule: string }>) => [...new Set(rows.map((r) => r.rule))];

/** One panel per format: a bar per rule from zero to its mean change, a line over the seeds' range. */
function changeChart(rows: ChangeRow[], title: string, format: string): TopLevelSpec | null {
  if (!rows.length) return null;
  const y = { field: 'rule', type: 'nominal' as const, title: null, sort: ruleOrder(rows), axis: { labelLimit: 300 } };
  const x = { field: 'delta', type: 'quantitative' as const, title, axis: { format } };
  return {
    $schema: SCHEMA,
    data: { values: rows },
    facet: { field: 'format', type: 'nominal', title: null, sort: formatOrder(rows) },
    columns: 3,
    spec: {
      width: FACET_WIDTH - 40,
      height: { step: 14 },
      layer: [
        {
          mark: { type: 'bar', color: '#4c78a8' },
          encoding: {
            y,
            x,
            tooltip: [
              { field: 'rule' },
              { field: 'format' },
              { field: 'delta', title: 'change (mean)', format },
              { field: 'lo', title: 'fewest', format },
              { field: 'hi', title: 'most', format },
              { field: 'base', title: 'float32', format: '.3f' },
              { field: 'low', title: 'this format', format: '.3f' },
              { field: 'n', title: 'seeds' },
            ],
          },
        },
        { mark: { type: 'rule', color: '#333' }, encoding: { y, x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
        { mark: { type: 'rule', color: '#999' }, encoding: { x: { datum: 0, type: 'quantitative' } } },
      ],
    },
    config: CONFIG,
  } as TopLevelSpec;
}

/** One heatmap per format: rules down, layers across, the flushed share as colour (square-root scale, so small shares show). */
function underflowChart(rows: UnderflowRow[], what: string): TopLevelSpec | null {
  if (!rows.length) return null;
  return {
    $schema: SCHEMA,
    data: { values: rows },
    facet: { field: 'format', type: 'nominal', title: null, sort: formatOrder(rows) },
    columns: 1,
    spec: {
      width: { step: 34 },
      height: { step: 14 },
      mark: { type: 'rect', stroke: '#fff' },
      encoding: {
        y: { field: 'rule', type: 'nominal', title: null, sort: ruleOrder(rows), axis: { labelLimit: 300 } },
        x: { field: 'layer', type: 'nominal', title: what, sort: null, axis: { labelAngle: -40 } },
        color: {
          field: 'flushed',
          type: 'quantitative',
          title: 'share flushed to zero',
          scale: { type: 'sqrt', scheme: 'oranges', domainMin: 0 },
          legend: { format: '.1~%' },
        },
        tooltip: [
          { field: 'rule' },
          { field: 'format' },
          { field: 'layer', title: what },
          { field: 'flushed', title: 'flushed to zero', format: '.3~%' },
          { field: 'saturated', title: 'saturated', format: '.3~%' },
        ],
      },
    },
    resolve: { axis: { x: 'independent' } },
    config: CONFIG,
  } as TopLevelSpec;
}

export const PRECISION_CHARTS: ChartDef[] = [
  {
    name: 'precision-accuracy',
    title: 'Test accuracy change against float32, per format',
    explain:
      'Each rule at a lower-precision format minus the same rule in float32, seed by seed (bar: the mean; line: the fewest and most); below zero, the format cost accuracy.',
    build: (rs) =>
      changeChart(
        changeRows(rs, (f) => f.finalTestAcc),
        'change in final test accuracy',
        '+.1%',
      ),
  },
  {
    name: 'precision-alignment',
    title: 'Alignment change against float32, per format',
    explain:
      'Mean cosine between the rule’s update and backprop’s float32 gradient, at the format minus in float32: how far rounding turns the update away from the gradient.',
    build: (rs) =>
      changeChart(
        changeRows(rs, (f) => f.meanCosine),
        'change in mean cosine with the float32 gradient',
        '+.3f',
      ),
  },
  {
    name: 'precision-underflow-cotangents',
    title: 'Cotangents flushed to zero, by layer and format',
    explain:
      'The share of the cotangent entries each layer’s backward made (its input’s and parameters’ gradients; “(outside layers)”: the loss’s own, the logits’ gradient among them) that were nonzero but rounded to zero at the backward format and loss scale, mean over the run; saturation in the tooltip. Rules without a backward pass have none.',
    build: (rs) => underflowChart(underflowRows(rs, 'cotangents'), 'cotangents made by'),
  },
  {
    name: 'precision-underflow-updates',
    title: 'Updates flushed to zero, by parameter and format',
    explain:
      'The share of each parameter’s update entries that rounding flushed to zero (scaled by the loss scale, as cotangents are): updates too small for the format are lost.',
    build: (rs) => underflowChart(underflowRows(rs, 'updates'), 'update of'),
  },
];
