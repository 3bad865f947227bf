// The report's tables: per-series summary (mean ± std across seeds, with failed and diverged
// trials counted apart), alignment against its named reference, quantiles, published figures
// beside ours with their protocols compared, and the environment.
import { execFileSync } from 'node:child_process';
import { arch, cpus, platform } from 'node:os';
import {
  compareProtocol,
  referenceApplies,
  runProtocol,
  type ProtocolComparison,
  type Reference,
  type ReferenceMetric,
} from '../runner/references.ts';
import { countedTrials, seedsText, seriesFigures, trialFigures, unfinishedText } from './figures.ts';
import { escapeHtml, table, type Cell } from './html.ts';
import type { Environment, ResultSet, Series } from './records.ts';
import { quantiles, summarize, type Stats } from './stats.ts';

const DASH = '—';

function fixed(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : DASH;
}

/** "mean ± std", or just the mean for a single seed (no spread to show). */
export function pm(s: Stats, digits: number, scale = 1): string {
  if (!s.n) return DASH;
  const m = fixed(s.mean * scale, digits);
  // A spread that rounds to zero (deterministic memory, identical seeds) would only add noise.
  const sd = fixed(s.std * scale, digits);
  return Number.isFinite(s.std) && Number(sd) > 0 ? `${m} ± ${sd}` : m;
}

export function formatBytes(b: number): string {
  if (!Number.isFinite(b)) return DASH;
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) {
    b /= 1024;
    i++;
  }
  return `${b.toFixed(i === 0 ? 0 : b < 10 ? 2 : 1)} ${units[i]}`;
}

/** The series' figures with their seed counts; failed and diverged trials are counted, never averaged in. */
export function summaryTable(rs: ResultSet): string {
  const figs = rs.series.map(seriesFigures);
  const anyProblem = figs.some((f) => f.problems.length);
  const epochs = runProtocol(rs.experiment?.spec).epochs;
  const rows: Cell[][] = rs.series.map((s, i) => {
    const f = figs[i];
    const seeds = seedsText(f, epochs);
    const bytes = f.peakBytes.n
      ? formatBytes(f.peakBytes.mean) +
        (f.peakBytes.max > f.peakBytes.min ? ` (${formatBytes(f.peakBytes.min)}–${formatBytes(f.peakBytes.max)})` : '')
      : DASH;
    const first = f.problems[0];
    return [
      ruleCell(s),
      f.counted === f.planned && !f.problems.length ? seeds : { text: seeds, className: 'warn' },
      pm(f.finalTestAcc, 2, 100),
      pm(f.bestValAcc, 2, 100),
      bytes,
      f.ratioToInference.n ? `${pm(f.ratioToInference, 2)}×` : DASH,
      pm(f.msPerEpoch, 0),
      ...(anyProblem
        ? [first ? { text: `seed ${first.seed} ${first.status}: ${shorten(first.error, 90)}`, className: 'warn', title: first.error } : '']
        : []),
    ];
  });
  return table(
    [
      'rule',
      'seeds',
      'final test acc %',
      'best val acc %',
      'peak memory',
      'memory ÷ inference',
      'ms / epoch',
      ...(anyProblem ? ['first error'] : []),
    ],
    rows,
    [2, 3, 4, 5, 6],
  );
}

/** The series label, with what the experiment expects of it at this budget (e.g. near chance, and why) beneath. */
function ruleCell(s: Series): Cell {
  const expect = s.entry?.expect;
  if (!expect) return { text: s.label, className: 'rule' };
  return { html: `${escapeHtml(s.label)}<div class="expect">expected: ${escapeHtml(expect)}</div>`, className: 'rule' };
}

const shorten = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * Alignment per series against its named reference: the mean over the hidden layers first and
 * the output layer apart (most rules train the output layer with the true gradient, and it
 * would flatter them), then the parameter-weighted cosine, the mean over all layers, the error-signal cosine, with the reference's Monte Carlo error when it
 * was sampled. Rules with an objective of their own read "n/a" with that objective's name.
 */
export function alignmentTable(rs: ResultSet): string {
  const rows: Cell[][] = rs.series.flatMap((s): Cell[][] => {
    const f = seriesFigures(s);
    if (s.estimates === 'own-objective') {
      const na = { text: `n/a — own objective: ${s.objective ?? 'not named'}`, className: 'muted' };
      return [
        [{ text: s.label, className: 'rule' }, { text: s.estimates, className: 'nowrap' }, na, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', ''],
      ];
    }
    const refs = [
      ...new Set(
        countedTrials(s)
          .map((t) => trialFigures(t).alignmentReference)
          .filter((r) => r !== null),
      ),
    ];
    if (!refs.length)
      return [
        [
          { text: s.label, className: 'rule' },
          { text: s.estimates, className: 'nowrap' },
          { text: 'not measured', className: 'muted' },
          DASH,
          DASH,
          DASH,
          DASH,
          DASH,
          '',
        ],
      ];
    const stdErr = f.referenceStdErr.n ? `± ${fixed(f.referenceStdErr.mean, 4)} (sampled)` : 'exact';
    return [
      [
        { text: s.label, className: 'rule' },
        { text: s.estimates, className: 'nowrap' },
        { text: refs.join(', '), className: 'nowrap' },
        pm(f.hiddenCosine, 3),
        pm(f.outputCosine, 3),
        pm(f.meanCosine, 3),
        pm(f.meanLayerCosine, 3),
        pm(f.meanErrorSignalCosine, 3),
        stdErr,
      ],
    ];
  });
  return table(
    [
      'rule',
      'its updates estimate',
      'reference',
      'cosine, hidden layers (mean)',
      'cosine, output layer',
      'cosine, all parameters (weighted)',
      'cosine, mean over layers',
      'error-signal cosine (mean over layers)',
      'reference MC std err',
    ],
    rows,
    [3, 4, 5, 6, 7],
  );
}

/** Failed and diverged trials, each with its error (what the summary table counts). */
export function problemTable(rs: ResultSet): string | null {
  const rows: Cell[][] = rs.series.flatMap((s) =>
    seriesFigures(s).problems.map((p): Cell[] => [
      { text: s.label, className: 'rule' },
      String(p.seed),
      { text: p.status, className: 'warn' },
      p.error,
      p.trial,
    ]),
  );
  return rows.length ? table(['rule', 'seed', 'status', 'error', 'trial'], rows) : null;
}

const PROBS = [0, 0.25, 0.5, 0.75, 1];
/** Fewer seeds than this have no quantiles worth a table: min, median and max are the values. */
export const QUANTILE_MIN_SEEDS = 3;

export function quantileTable(rs: ResultSet): string | null {
  const measures: Array<{ name: string; digits: number; scale: number; pick: (f: ReturnType<typeof trialFigures>) => number | null }> = [
    { name: 'final test acc %', digits: 2, scale: 100, pick: (f) => f.finalTestAcc },
    { name: 'cosine, all parameters', digits: 3, scale: 1, pick: (f) => f.meanCosine },
    { name: 'ms / epoch', digits: 0, scale: 1, pick: (f) => f.msPerEpoch },
  ];
  const rows: Cell[][] = [];
  for (const s of rs.series) {
    const figs = countedTrials(s).map(trialFigures);
    for (const m of measures) {
      const vals = figs.map(m.pick).filter((v) => v !== null);
      if (vals.length < QUANTILE_MIN_SEEDS) continue;
      rows.push([{ text: s.label, className: 'rule' }, m.name, ...quantiles(vals, PROBS).map((q) => fixed(q * m.scale, m.digits))]);
    }
  }
  return rows.length ? table(['rule', 'measure', 'min', '25%', 'median', '75%', 'max'], rows, [2, 3, 4, 5, 6]) : null;
}

/** Our accuracies (fractions) in a reference's unit. */
export function inReferenceUnit(metric: ReferenceMetric, accs: readonly (number | null)[]): Stats {
  return summarize(accs.map((a) => (a === null ? null : metric === 'error %' ? (1 - a) * 100 : a * 100)));
}

export interface ReproductionRow {
  ref: Reference;
  series: Series | null;
  comparison: ProtocolComparison | null;
  ours: Stats | null;
  /** How far the run got when ours rests on unfinished trials only ("epoch 31 of 300"); null once finished. */
  unfinished: string | null;
}

/** Every reference beside each series it applies to, with its protocol compared to the run's. */
export function reproductionRows(rs: ResultSet, refs: readonly Reference[]): ReproductionRow[] {
  const spec = rs.experiment?.spec;
  return refs.flatMap((ref): ReproductionRow[] => {
    const matches = rs.series.filter((s) => referenceApplies(ref, s.rule, s.options));
    if (!matches.length) return [{ ref, series: null, comparison: compareProtocol(ref, runProtocol(spec)), ours: null, unfinished: null }];
    return matches.map((s) => {
      const run = runProtocol(spec, s.entry?.optimizer);
      const comparison = compareProtocol(ref, run);
      const pick =
        comparison.ours === 'best-validation'
          ? (t: ReturnType<typeof trialFigures>) => t.bestValAcc
          : (t: ReturnType<typeof trialFigures>) => t.finalTestAcc;
      return {
        ref,
        series: s,
        comparison,
        ours: inReferenceUnit(
          ref.metric,
          countedTrials(s).map((t) => pick(trialFigures(t))),
        ),
        unfinished: unfinishedText(seriesFigures(s), run.epochs),
      };
    });
  });
}

function protocolCell(c: ProtocolComparison | null): Cell {
  if (!c) return DASH;
  const unstated = c.unstated.length ? `<div class="muted">not stated in the source: ${escapeHtml(c.unstated.join(', '))}</div>` : '';
  if (c.matches) return { html: `<span class="ok">matches</span>${unstated}`, className: 'protocol' };
  const items = c.differences.map((d) => `<li>${escapeHtml(d)}</li>`).join('');
  return { html: `<span class="warn">differs (published vs ours):</span><ul>${items}</ul>${unstated}`, className: 'protocol' };
}

/**
 * Two tables: published figures whose stated protocol matches the run's (comparable), and the
 * rest, kept as context with every difference named. Every row says which it is.
 */
export function reproductionTables(rs: ResultSet, refs: readonly Reference[]): { matching: string | null; context: string | null } {
  const rows = reproductionRows(rs, refs);
  const head = ['source (where read)', 'rule', 'published', 'ours (mean ± std)', 'seeds', 'protocol'];
  const toCells = (r: ReproductionRow): Cell[] => [
    {
      html: `${escapeHtml(r.ref.source)}<div class="muted small">${escapeHtml(r.ref.location)}${r.ref.note ? ` · ${escapeHtml(r.ref.note)}` : ''}</div>`,
      className: 'source',
    },
    r.series ? { text: r.series.label, className: 'rule-wrap' } : { text: `${r.ref.rule} (not run)`, className: 'muted' },
    { html: `${escapeHtml(`${r.ref.value} ${r.ref.metric}`)}<div class="muted small">${escapeHtml(r.ref.dataset)}</div>` },
    r.ours && r.ours.n
      ? `${pm(r.ours, 2)}${r.comparison?.ours === 'best-validation' ? ' (best val)' : ''}${r.unfinished ? ` (unfinished: ${r.unfinished})` : ''}`
      : DASH,
    r.ours ? String(r.ours.n) : '',
    protocolCell(r.comparison),
  ];
  const matching = rows.filter((r) => r.series && r.comparison?.matches);
  const context = rows.filter((r) => !matching.includes(r));
  return {
    matching: matching.length ? table(head, matching.map(toCells), [2, 3, 4]) : null,
    context: context.length ? table(head, context.map(toCells), [2, 3, 4]) : null,
  };
}

function gitCommit(): string | undefined {
  try {
    return (
      execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 })
        .toString()
        .trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/** As the runner recorded it; fields it did not record are taken now and marked so. */
export function environmentTable(recorded: Environment | undefined): string {
  const cpu = cpus();
  const now = {
    node: process.version,
    cpu: cpu.length ? `${cpu[0].model.trim()} × ${cpu.length}` : 'unknown',
    platform: `${platform()} ${arch()}`,
    commit: gitCommit() ?? 'unknown',
  };
  const atReport = { text: 'at report time', className: 'muted' };
  const row = (name: string, k: keyof typeof now, value?: string): Cell[] =>
    value ? [name, value, 'recorded with the run'] : [name, now[k], atReport];
  const r = recorded ?? {};
  const rows: Cell[][] = [
    row('Node', 'node', r.node),
    row('CPU', 'cpu', r.cpu && (r.cores ? `${r.cpu.trim()} × ${r.cores}` : r.cpu)),
    row('platform', 'platform', r.platform),
    row('git commit', 'commit', r.commit),
  ];
  if (r.backend) rows.push(['kernel backend', r.backend, 'recorded with the run']);
  return table(['', 'value', 'source'], rows);
}
