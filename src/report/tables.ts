// The report's tables: per-series summary (mean ± std across seeds), quantiles, the
// reproduction table beside published figures, and the environment.
import { execFileSync } from 'node:child_process';
import { arch, cpus, platform } from 'node:os';
import { countedTrials, seriesFigures, trialFigures } from './figures.ts';
import { table, type Cell } from './html.ts';
import type { Environment, Reference, ResultSet } from './records.ts';
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

export function summaryTable(rs: ResultSet): string {
  const rows: Cell[][] = rs.series.map((s) => {
    const f = seriesFigures(s);
    const notes = [f.diverged ? `${f.diverged} diverged` : '', f.incomplete ? `${f.incomplete} incomplete` : ''].filter(Boolean);
    const bytes = f.peakBytes.n
      ? formatBytes(f.peakBytes.mean) + (f.peakBytes.max > f.peakBytes.min ? ` (${formatBytes(f.peakBytes.min)}–${formatBytes(f.peakBytes.max)})` : '')
      : DASH;
    return [
      { text: s.label, className: 'rule' },
      notes.length ? { text: `${f.trials} (${notes.join(', ')})`, className: 'warn' } : String(f.trials),
      pm(f.finalTestAcc, 2, 100),
      pm(f.bestValAcc, 2, 100),
      bytes,
      f.ratioToInference.n ? `${pm(f.ratioToInference, 2)}×` : DASH,
      pm(f.meanCosine, 3),
      pm(f.msPerEpoch, 1),
    ];
  });
  return table(
    ['rule', 'seeds', 'final test acc %', 'best val acc %', 'peak memory', 'memory ÷ inference', 'mean cosine with BP', 'ms / epoch'],
    rows,
    [1, 2, 3, 4, 5, 6, 7],
  );
}

const PROBS = [0, 0.25, 0.5, 0.75, 1];

export function quantileTable(rs: ResultSet): string {
  const measures: Array<{ name: string; digits: number; scale: number; pick: (f: ReturnType<typeof trialFigures>) => number | null }> = [
    { name: 'final test acc %', digits: 2, scale: 100, pick: (f) => f.finalTestAcc },
    { name: 'mean cosine with BP', digits: 3, scale: 1, pick: (f) => f.meanCosine },
    { name: 'ms / epoch', digits: 1, scale: 1, pick: (f) => f.msPerEpoch },
  ];
  const rows: Cell[][] = [];
  for (const s of rs.series) {
    const figs = countedTrials(s).map(trialFigures);
    for (const m of measures) {
      const vals = figs.map(m.pick);
      if (!vals.some((v) => v !== null)) continue;
      rows.push([{ text: s.label, className: 'rule' }, m.name, ...quantiles(vals, PROBS).map((q) => fixed(q * m.scale, m.digits))]);
    }
  }
  return table(['rule', 'measure', 'min', '25%', 'median', '75%', 'max'], rows, [2, 3, 4, 5, 6]);
}

/** Our final test accuracies in the reference's unit ("test error %", "accuracy", ...), or null. */
export function inReferenceUnit(metric: string, accs: readonly (number | null)[]): Stats | null {
  const pct = /%|percent/i.test(metric) ? 100 : 1;
  if (/err/i.test(metric)) return summarize(accs.map((a) => (a === null ? null : (1 - a) * pct)));
  if (/acc/i.test(metric)) return summarize(accs.map((a) => (a === null ? null : a * pct)));
  return null;
}

function ourDataset(rs: ResultSet): string | null {
  const spec = rs.experiment?.spec as { data?: { name?: unknown }; dataset?: unknown } | undefined;
  const name = spec?.data?.name ?? spec?.dataset;
  return typeof name === 'string' ? name : null;
}

export function reproductionTable(rs: ResultSet, refs: readonly Reference[]): string {
  const dataset = ourDataset(rs);
  const rows: Cell[][] = refs.flatMap((ref) => {
    const matches = ref.rule ? rs.series.filter((s) => s.rule === ref.rule) : [];
    const mismatch = ref.dataset && dataset && ref.dataset !== dataset ? ` (we ran ${dataset})` : '';
    const base = (rule: string, ours: string, seeds: string): Cell[] => [
      ref.source, `${ref.dataset ?? DASH}${mismatch}`, rule, ref.metric, String(ref.value), ours, seeds, ref.note ?? '',
    ];
    if (!matches.length) return [base(ref.rule ?? DASH, ref.rule ? 'not run' : DASH, '')];
    return matches.map((s) => {
      const st = inReferenceUnit(ref.metric, countedTrials(s).map((t) => trialFigures(t).finalTestAcc));
      return base(s.label, st ? pm(st, 2) : 'unit not comparable', st ? String(st.n) : '');
    });
  });
  return table(['source', 'dataset', 'rule', 'metric', 'published', 'ours (mean ± std)', 'seeds', 'note'], rows, [4, 5, 6]);
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim() || undefined;
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
