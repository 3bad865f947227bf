// The distillation section: each distilled student beside the same student trained on the labels
// alone — the series of one rule, options, optimizer and adapters whose entries differ only in
// whether they distil — with the difference paired seed by seed. Entries are read from the
// manifest (their `distill`), never from rule ids.
import { rng } from '../random.ts';
import { escapeHtml, table, type Cell } from './html.ts';
import { canonicalOptions, type ResultSet, type Series } from './records.ts';
import { bootstrapMean, pairedComparison, type Interval, type PairedComparison } from './stats.ts';
import { accBySeed } from './summary.ts';

export interface DistillRow {
  labels: Series;
  distilled: Series;
  temperature: number;
  weight: number;
  labelsAcc: Interval;
  distilledAcc: Interval;
  /** distilled − labels on each seed both finished. */
  paired: PairedComparison;
}

/** What a student is apart from its targets: rule, options and adapters (the optimizer may be tuned per target). */
const studentKey = (s: Series) => `${s.rule} ${canonicalOptions(s.options)} ${JSON.stringify(s.entry?.adapters ?? null)}`;

/**
 * One row per distilled series that has a label-trained twin, in the experiment's order: the twin
 * with the same optimizer, else the only one (its rate may have been chosen for the labels apart).
 */
export function distillRows(rs: ResultSet): DistillRow[] {
  return rs.series.flatMap((d): DistillRow[] => {
    const spec = d.entry?.distill;
    if (!spec) return [];
    const twins = rs.series.filter((s) => s.entry && !s.entry.distill && studentKey(s) === studentKey(d));
    const optimizer = (s: Series) => JSON.stringify(s.entry?.optimizer ?? null);
    const labels = twins.find((s) => optimizer(s) === optimizer(d)) ?? (twins.length === 1 ? twins[0] : undefined);
    if (!labels) return [];
    const stream = rng('distill').child(d.label);
    const acc = accBySeed(d);
    const base = accBySeed(labels);
    return [
      {
        labels,
        distilled: d,
        temperature: spec.temperature,
        weight: spec.weight,
        labelsAcc: bootstrapMean([...base.values()], stream.child('labels')),
        distilledAcc: bootstrapMean([...acc.values()], stream.child('distilled')),
        paired: pairedComparison(acc, base, stream.child('paired')),
      },
    ];
  });
}

const DASH = '—';
const pct = (x: number) => (Number.isFinite(x) ? (x * 100).toFixed(2) : DASH);
const signed = (x: number) => (x > 0 ? '+' : x < 0 ? '−' : '±') + pct(Math.abs(x));
const interval = (i: Interval, fmt: (x: number) => string) =>
  !i.n ? DASH : Number.isFinite(i.lo) ? `${fmt(i.mean)} [${fmt(i.lo)}, ${fmt(i.hi)}]` : fmt(i.mean);

function diffCell(p: PairedComparison): Cell {
  if (!p.n) return { text: 'no paired seed', className: 'muted' };
  const note = p.separable ? '' : `<div class="muted small">not separable at ${p.n} seed${p.n === 1 ? '' : 's'}</div>`;
  return { html: `${escapeHtml(interval(p, signed))}${note}`, className: 'nowrap' };
}

/** The table, or null when no distilled series has a label-trained twin. */
export function distillTable(rs: ResultSet): string | null {
  const rows = distillRows(rs);
  if (!rows.length) return null;
  return table(
    [
      'student trained on labels',
      'distilled',
      'T',
      'soft weight',
      'seeds',
      'test acc % on labels',
      'test acc % distilled',
      'distilled − labels (points)',
    ],
    rows.map((r) => [
      r.labels.label,
      r.distilled.label,
      String(r.temperature),
      String(r.weight),
      String(r.paired.n),
      interval(r.labelsAcc, pct),
      interval(r.distilledAcc, pct),
      diffCell(r.paired),
    ]),
    [2, 3, 4, 5, 6, 7],
  );
}
