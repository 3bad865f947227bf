// The tuning page's charts, from tune.json: each configuration's validation score by trial, the
// best so far per entry as the trials are spent, and the score against the learning rate.
import type { TopLevelSpec } from 'vega-lite';
import type { TuneFile } from '../runner/tune/tune-file.ts';
import { CONFIG, HEIGHT, PALETTE, SCHEMA, WIDTH, ZOOM, type BuiltChart } from './chart-kit.ts';

interface Point {
  entry: string;
  /** The entry's n-th trial in plan order (rung by rung, configurations in order). */
  trial: number;
  rung: number;
  config: number;
  score: number | null;
  optimizer: string;
  lr: number | null;
  options: string;
}

/** One point per (configuration, rung) with a score, in the order the plan runs them. */
export function tunePoints(f: TuneFile): Point[] {
  return f.entries.flatMap((e) => {
    const rows = e.trace.flatMap((c) => c.rungs.map((r) => ({ c, r })));
    rows.sort((a, b) => a.r.rung - b.r.rung || a.c.config - b.c.config);
    return rows.map(({ c, r }, i) => ({
      entry: e.key,
      trial: i + 1,
      rung: r.rung,
      config: c.config,
      score: r.score,
      optimizer: String((c.optimizer as { name?: string }).name),
      lr: typeof c.optimizer.lr === 'number' ? c.optimizer.lr : null,
      options:
        Object.entries(c.options)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(' ') || '(none)',
    }));
  });
}

function color(f: TuneFile) {
  const domain = f.entries.map((e) => e.key);
  return {
    field: 'entry',
    type: 'nominal' as const,
    title: 'entry',
    scale: { domain, range: domain.map((_, i) => PALETTE[i % PALETTE.length]) },
    legend: { orient: 'bottom' as const, columns: Math.min(3, Math.max(1, domain.length)) },
  };
}

const metricTitle = (f: TuneFile) => (f.metric === 'valLoss' ? 'validation loss' : 'validation accuracy');
const tooltip = [
  { field: 'entry' },
  { field: 'rung' },
  { field: 'config', title: 'configuration' },
  { field: 'score', format: '.4~f' },
  { field: 'optimizer' },
  { field: 'lr', title: 'learning rate', format: '.3~g' },
  { field: 'options' },
];

export function scoreByTrialChart(f: TuneFile): TopLevelSpec | null {
  const rows = tunePoints(f).filter((p) => p.score !== null);
  if (!rows.length) return null;
  return {
    $schema: SCHEMA,
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values: rows },
    mark: { type: 'point', filled: true, size: 50 },
    params: ZOOM,
    encoding: {
      x: { field: 'trial', type: 'quantitative', title: 'trial of the entry (rung by rung)' },
      y: { field: 'score', type: 'quantitative', title: metricTitle(f), scale: { zero: false } },
      color: color(f),
      shape: { field: 'rung', type: 'nominal', title: 'rung' },
      tooltip,
    },
  } as TopLevelSpec;
}

export function bestSoFarChart(f: TuneFile): TopLevelSpec | null {
  const sign = f.metric === 'valLoss' ? -1 : 1;
  const rows: Array<{ entry: string; trial: number; best: number }> = [];
  const byEntry = new Map<string, Point[]>();
  for (const p of tunePoints(f)) byEntry.set(p.entry, [...(byEntry.get(p.entry) ?? []), p]);
  for (const [entry, ps] of byEntry) {
    let best: number | null = null;
    for (const p of ps) {
      if (p.score !== null && (best === null || sign * p.score > sign * best)) best = p.score;
      if (best !== null) rows.push({ entry, trial: p.trial, best });
    }
  }
  if (!rows.length) return null;
  return {
    $schema: SCHEMA,
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values: rows },
    mark: { type: 'line', interpolate: 'step-after', point: true },
    params: ZOOM,
    encoding: {
      x: { field: 'trial', type: 'quantitative', title: 'trials spent by the entry' },
      y: { field: 'best', type: 'quantitative', title: `best ${metricTitle(f)} so far`, scale: { zero: false } },
      color: color(f),
      tooltip: [{ field: 'entry' }, { field: 'trial' }, { field: 'best', format: '.4~f' }],
    },
  } as TopLevelSpec;
}

export function learningRateChart(f: TuneFile): TopLevelSpec | null {
  const rows = tunePoints(f).filter((p) => p.rung === 0 && p.score !== null && p.lr !== null);
  if (!rows.length) return null;
  return {
    $schema: SCHEMA,
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values: rows },
    mark: { type: 'point', filled: true, size: 50 },
    params: ZOOM,
    encoding: {
      x: { field: 'lr', type: 'quantitative', title: 'learning rate', scale: { type: 'log' } },
      y: { field: 'score', type: 'quantitative', title: `${metricTitle(f)} at the first rung`, scale: { zero: false } },
      color: color(f),
      shape: { field: 'optimizer', type: 'nominal', title: 'optimizer' },
      tooltip,
    },
  } as TopLevelSpec;
}

export function buildTuneCharts(f: TuneFile): BuiltChart[] {
  const defs = [
    {
      name: 'tune-score-by-trial',
      title: 'Score by trial',
      explain: `Each configuration's ${metricTitle(f)} at each rung it reached (later rungs train the survivors longer). Diverged configurations have no score.`,
      build: scoreByTrialChart,
    },
    {
      name: 'tune-best-so-far',
      title: 'Best so far per entry',
      explain:
        'The best score found as the entry spends its trials, rung by rung: where it flattens, more configurations would have bought little.',
      build: bestSoFarChart,
    },
    {
      name: 'tune-learning-rate',
      title: 'Sensitivity to the learning rate',
      explain:
        'First-rung score against the learning rate drawn (shape: optimizer family); a narrow peak means a rule that needs its rate tuned.',
      build: learningRateChart,
    },
  ];
  return defs.flatMap((d) => {
    const spec = d.build(f);
    return spec ? [{ name: d.name, title: d.title, explain: d.explain, spec }] : [];
  });
}
