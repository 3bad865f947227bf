// The task's own figures in the report (a language model's bits per character, or whatever a
// task derives from its mean loss — lower is better): curves against steps and against training
// time, the steps and time each series needs to reach the level every series reaches, and the
// text each rule's final model generated. Metric names come from the records, never from here.
import type { TopLevelSpec } from 'vega-lite';
import type { EvalRecord } from '../runner/record-types.ts';
import { aggregate, type Point } from './chart-data.ts';
import { bandLine, type ChartDef } from './chart-kit.ts';
import { countedTrials, seriesFigures } from './figures.ts';
import { escapeHtml, table, type Cell } from './html.ts';
import type { ResultSet, Series } from './records.ts';
import { summarize } from './stats.ts';
import { pm } from './tables.ts';

/** "bitsPerChar" → "bits per char". */
export function metricTitle(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

/** Metric names the records carry, in first-seen order. */
export function taskMetricNames(rs: ResultSet): string[] {
  const names = new Set<string>();
  for (const s of rs.series)
    for (const t of s.trials) for (const e of t.evals) for (const k of Object.keys(e.testMetrics ?? {})) names.add(k);
  return [...names];
}

type Split = 'validation' | 'test';
const pick = (e: EvalRecord, split: Split, key: string): number | undefined =>
  split === 'test' ? e.testMetrics?.[key] : (e.valMetrics?.[key] ?? undefined);
/** Cumulative training time (rule step + optimizer) at an evaluation, in seconds. */
const trainSeconds = (e: EvalRecord) => (e.host?.stepMs ?? NaN) / 1000;

function points(rs: ResultSet, key: string, split: Split, x: (e: EvalRecord) => number, panel?: string): Point[] {
  return rs.series.flatMap((s) =>
    countedTrials(s).flatMap((t) =>
      t.evals.flatMap((e) => {
        const y = pick(e, split, key);
        const xv = x(e);
        return typeof y === 'number' && Number.isFinite(y) && Number.isFinite(xv)
          ? [{ series: s.label, seed: t.seed, x: xv, y, ...(panel ? { panel } : {}) }]
          : [];
      }),
    ),
  );
}

export function taskMetricStepsChart(rs: ResultSet, key: string): TopLevelSpec | null {
  const rows = aggregate([
    ...points(rs, key, 'validation', (e) => e.step, 'validation'),
    ...points(rs, key, 'test', (e) => e.step, 'test'),
  ]);
  if (!rows.length) return null;
  return bandLine(rs, { rows, xTitle: 'training step', yTitle: metricTitle(key), yFormat: '.3f', panels: { title: 'split', columns: 2 } });
}

export function taskMetricTimeChart(rs: ResultSet, key: string): TopLevelSpec | null {
  // Seeds of one series evaluate at different times: their points are not averaged, one line per seed instead would clutter; rows are per (series, seed).
  const pts = points(rs, key, 'validation', trainSeconds);
  if (!pts.length) return null;
  const rows = pts.map((p) => ({
    series: p.series,
    x: p.x,
    mean: p.y,
    std: 0,
    min: p.y,
    max: p.y,
    lo: p.y,
    hi: p.y,
    n: 1,
    panel: `seed ${p.seed}`,
  }));
  return bandLine(rs, {
    rows,
    xTitle: 'training time (s, rule step + optimizer)',
    yTitle: `validation ${metricTitle(key)}`,
    yFormat: '.3f',
    panels: { title: 'seed', columns: 3 },
  });
}

/** Chart definitions for every task metric present (one pair per name). */
export function taskMetricCharts(rs: ResultSet): ChartDef[] {
  return taskMetricNames(rs).flatMap((key): ChartDef[] => [
    {
      name: `task-${key}-steps`,
      title: `${metricTitle(key)} against steps`,
      explain: `The task’s ${metricTitle(key)} (from the mean loss; lower is better) on the validation and test parts at every evaluation: mean over seeds, band min–max.`,
      build: (r) => taskMetricStepsChart(r, key),
    },
    {
      name: `task-${key}-time`,
      title: `${metricTitle(key)} against training time`,
      explain:
        'The same validation figure against the cumulative time of the rule’s steps and the optimizer (evaluation excluded), one panel per seed: what a method’s cheaper or dearer steps buy.',
      build: (r) => taskMetricTimeChart(r, key),
    },
  ]);
}

/** The mean-over-seeds validation curve of a series: step → (value, training seconds). */
function meanCurve(s: Series, key: string): Array<{ step: number; value: number; seconds: number }> {
  const bySteps = new Map<number, { v: number[]; t: number[] }>();
  for (const t of countedTrials(s)) {
    for (const e of t.evals) {
      const v = pick(e, 'validation', key);
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const g = bySteps.get(e.step) ?? { v: [], t: [] };
      g.v.push(v);
      g.t.push(trainSeconds(e));
      bySteps.set(e.step, g);
    }
  }
  return [...bySteps].sort((a, b) => a[0] - b[0]).map(([step, g]) => ({ step, value: summarize(g.v).mean, seconds: summarize(g.t).mean }));
}

/**
 * Per series: final validation and test figures, the best validation figure, and the steps and
 * training time at which its mean curve first reaches the level every series reaches (the worst
 * of the series' bests), with peak memory ÷ inference beside them.
 */
export function taskMetricTable(rs: ResultSet, key: string): string | null {
  const curves = rs.series.map((s) => meanCurve(s, key));
  if (!curves.some((c) => c.length)) return null;
  const bests = curves.filter((c) => c.length).map((c) => Math.min(...c.map((p) => p.value)));
  const level = Math.max(...bests);
  const rows: Cell[][] = rs.series.map((s, i) => {
    const c = curves[i];
    const finals = (split: Split) =>
      summarize(
        countedTrials(s)
          .map((t) => {
            const last = [...t.evals].reverse().find((e) => typeof pick(e, split, key) === 'number');
            return last ? pick(last, split, key)! : NaN;
          })
          .filter(Number.isFinite),
      );
    const hit = c.find((p) => p.value <= level + 1e-12);
    const f = seriesFigures(s);
    return [
      { text: s.label, className: 'rule' },
      pm(finals('validation'), 3),
      pm(finals('test'), 3),
      c.length ? Math.min(...c.map((p) => p.value)).toFixed(3) : '—',
      hit ? String(hit.step) : '—',
      hit ? hit.seconds.toFixed(1) : '—',
      f.ratioToInference.n ? `${pm(f.ratioToInference, 2)}×` : '—',
    ];
  });
  const t = metricTitle(key);
  return (
    `<p class="explain">Level reached by every series: <strong>${level.toFixed(3)} ${escapeHtml(t)}</strong> (validation, mean over seeds).</p>\n` +
    table(
      [
        `rule`,
        `final validation ${t}`,
        `final test ${t}`,
        `best validation (mean curve)`,
        `steps to ${level.toFixed(3)}`,
        `training s to ${level.toFixed(3)}`,
        'peak memory ÷ inference',
      ],
      rows,
    )
  );
}

/** Each series' generated text (its first finished seed), prompt set apart. */
export function samplesHtml(rs: ResultSet): string | null {
  const blocks = rs.series.flatMap((s) => {
    const t = countedTrials(s).find((x) => x.summary?.sample);
    const sample = t?.summary?.sample;
    if (!t || !sample) return [];
    return [
      `<div class="sample"><h4>${escapeHtml(s.label)} <span class="muted">(seed ${t.seed}, temperature ${sample.temperature})</span></h4>` +
        `<pre><span class="muted">${escapeHtml(sample.prompt)}</span>${escapeHtml(sample.text)}</pre></div>`,
    ];
  });
  return blocks.length ? blocks.join('\n') : null;
}

/** The page section: a table per task metric and the samples; null when the records have neither. */
export function taskSectionBody(rs: ResultSet): string | null {
  const tables = taskMetricNames(rs)
    .map((k) => taskMetricTable(rs, k))
    .filter((x): x is string => x !== null);
  const samples = samplesHtml(rs);
  if (!tables.length && !samples) return null;
  return [
    ...tables,
    samples
      ? `<h3>Samples of generated text</h3>\n<p class="explain">Drawn from each rule’s final model, continuing the first test window (grey), from the trial’s seeded stream: the same seed draws the same text.</p>\n${samples}`
      : '',
  ].join('\n');
}
