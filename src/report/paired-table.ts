// The report's headline table: summary.csv's rows as a reader takes them in — accuracy with its
// interval, the difference to the reference entry seed by seed with its interval ("not separable
// at N seeds" where it holds zero), the probability of improvement, collapsed runs, the hidden
// layers' alignment with the output layer apart, and what each configuration spent.
import { escapeHtml, table, type Cell } from './html.ts';
import type { ResultSet } from './records.ts';
import type { Interval } from './stats.ts';
import { referenceSeries } from './records.ts';
import { summaryRows, type SummaryRow } from './summary.ts';
import { formatBytes } from './tables.ts';

const DASH = '—';
const pct = (x: number, digits = 2) => (Number.isFinite(x) ? (x * 100).toFixed(digits) : DASH);
const signed = (x: number) => (x > 0 ? '+' : x < 0 ? '−' : '±') + pct(Math.abs(x));
const seedsWord = (n: number) => `${n} seed${n === 1 ? '' : 's'}`;

/** "97.12 [96.90, 97.30]", or the mean alone when there is no interval. */
function withInterval(i: Interval, fmt: (x: number) => string): string {
  if (!i.n) return DASH;
  return Number.isFinite(i.lo) ? `${fmt(i.mean)} [${fmt(i.lo)}, ${fmt(i.hi)}]` : fmt(i.mean);
}

function diffCell(r: SummaryRow): Cell {
  if (r.isReference) return { text: 'reference', className: 'muted' };
  const p = r.paired;
  if (!p) return DASH;
  if (!p.n) return { text: 'no paired seed', className: 'muted' };
  const text = withInterval(p, signed);
  const note = p.separable ? '' : `<div class="muted small">not separable at ${seedsWord(p.n)}</div>`;
  return { html: `${escapeHtml(text)}${note}`, className: p.separable ? 'nowrap' : 'nowrap not-separable' };
}

function collapsedCell(r: SummaryRow): Cell {
  if (!r.collapsedSeeds) return { text: 'no validation', className: 'muted' };
  if (!r.collapsedSeeds.length) return '0';
  return {
    text: `${r.collapsedSeeds.length} of ${r.seeds} (seed${r.collapsedSeeds.length > 1 ? 's' : ''} ${r.collapsedSeeds.join(', ')})`,
    className: 'warn collapsed',
  };
}

const fixed = (v: number | null, digits: number) => (v === null ? DASH : v.toFixed(digits));
const compact = (v: number | null) => (v === null ? DASH : v.toLocaleString('en-US', { notation: 'compact', maximumFractionDigits: 2 }));

export function pairedTable(rs: ResultSet): string {
  const rows = summaryRows(rs);
  const ref = referenceSeries(rs);
  const has = (k: 'hiddenCosine' | 'outputCosine' | 'forwardPasses' | 'peakBytes' | 'stepMs') => rows.some((r) => r[k] !== null);
  const columns: Array<{ head: string; cell: (r: SummaryRow) => Cell; show: boolean }> = [
    { head: 'cosine, hidden layers (mean)', cell: (r) => fixed(r.hiddenCosine, 3), show: has('hiddenCosine') },
    { head: 'cosine, output layer', cell: (r) => fixed(r.outputCosine, 3), show: has('outputCosine') },
    { head: 'forward-pass equivalents', cell: (r) => compact(r.forwardPasses), show: has('forwardPasses') },
    { head: 'peak memory', cell: (r) => (r.peakBytes === null ? DASH : formatBytes(r.peakBytes)), show: has('peakBytes') },
    { head: 'training-step time (s)', cell: (r) => fixed(r.stepMs === null ? null : r.stepMs / 1000, 1), show: has('stepMs') },
  ];
  const optional = columns.filter((c) => c.show);
  const head = [
    'rule',
    'seeds',
    'test acc % [95% interval]',
    `Δ vs ${ref?.label ?? 'reference'} (points) [95% interval]`,
    'P(improvement)',
    'collapsed',
    ...optional.map((c) => c.head),
  ];
  const body: Cell[][] = rows.map((r) => [
    { text: r.series.label, className: 'rule' },
    String(r.seeds),
    withInterval(r.testAcc, (x) => pct(x)),
    diffCell(r),
    r.paired && r.paired.n ? r.paired.probImprovement.toFixed(2) : DASH,
    collapsedCell(r),
    ...optional.map((c) => c.cell(r)),
  ]);
  return table(
    head,
    body,
    head.map((_, i) => i).filter((i) => i === 1 || i === 2 || i === 4 || i >= 6),
  );
}
