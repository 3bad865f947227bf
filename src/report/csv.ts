// The records flattened to one table: a row per evaluation point, the trial's config as columns
// (rule, options, optimizer, data, model), its outcome, and every figure the record holds, so a
// notebook reads a whole sweep with one call (pandas.read_csv, duckdb's read_csv).
import { writeFile } from 'node:fs/promises';
import type { EvalRecord } from '../runner/record-types.ts';
import { describeRunArchitecture, runProtocol } from '../runner/references.ts';
import { collapsed } from './figures.ts';
import type { ResultSet, Series, Trial } from './records.ts';

export const CSV_NAME = 'records.csv';

type Value = string | number | boolean | null | undefined;
type Row = Map<string, Value>;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const meanOf = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** RFC 4180 quoting; numbers as JavaScript prints them; NaN and null empty; infinities as "inf". */
function field(v: Value): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isNaN(v) ? '' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v);
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The columns every trial shares: who it is, how it was configured, how it ended. */
function trialColumns(rs: ResultSet, s: Series, t: Trial): Row {
  const spec = rs.experiment?.spec;
  const sp = isObj(spec) ? spec : {};
  const optimizer = isObj(s.entry?.optimizer) ? s.entry.optimizer : isObj(sp.optimizer) ? sp.optimizer : {};
  const p = runProtocol(spec, s.entry?.optimizer);
  const row: Row = new Map<string, Value>([
    ['experiment', rs.experiment?.name ?? null],
    ['trial', t.trial],
    ['series', s.label],
    ['rule', s.rule],
    ['seed', t.seed],
    ['status', t.summary?.status ?? 'running'],
    ['error', t.summary?.error ?? null],
    // Validation accuracy ended more than 5 points below its peak (empty without validation figures).
    ['collapsed', collapsed(t.evals.map((e) => e.valAcc))],
    ['estimates', s.estimates],
    ['objective', s.objective],
    ['dataset', p.dataset ?? null],
    ['trainImages', p.split.train ?? null],
    ['validationImages', p.split.validation ?? null],
    ['testImages', p.split.test ?? null],
    ['model', spec === undefined ? null : describeRunArchitecture(p.architecture)],
    ['epochs', p.epochs ?? null],
    ['batchSize', typeof sp.batchSize === 'number' ? sp.batchSize : null],
  ]);
  for (const [k, v] of Object.entries(s.options)) row.set(`option.${k}`, v);
  for (const [k, v] of Object.entries(optimizer)) row.set(`optimizer.${k}`, isObj(v) ? JSON.stringify(v) : (v as Value));
  // What ended training and what a step cost (records written before these fields have neither).
  if (t.summary?.stoppedBy !== undefined) row.set('stoppedBy', t.summary.stoppedBy);
  if (t.summary?.cost) row.set('cost.forwardPassesPerStep', t.summary.cost.forwardPassesPerStep);
  return row;
}

/** The figures of one evaluation point; alignment is the mean over the points since the previous row. */
function evalColumns(row: Row, e: EvalRecord): Row {
  for (const k of ['epoch', 'step', 'trainLoss', 'valAcc', 'valLoss', 'testAcc', 'testLoss'] as const) row.set(k, e[k]);
  if (e.lossNote) row.set('lossNote', e.lossNote);
  // The task's own figures (a language model's bitsPerChar): valMetrics.bitsPerChar, testMetrics.bitsPerChar.
  for (const [k, v] of Object.entries(e.valMetrics ?? {})) row.set(`valMetrics.${k}`, v);
  for (const [k, v] of Object.entries(e.testMetrics ?? {})) row.set(`testMetrics.${k}`, v);
  if (e.memory) {
    row.set('memory.peakBytes', e.memory.peakBytes);
    row.set('memory.inferenceBytes', e.memory.inferenceBytes);
    row.set('memory.ratioToInference', e.memory.ratioToInference);
    for (const [k, v] of Object.entries(e.memory.atPeak ?? {})) row.set(`memory.atPeak.${k}`, v);
  }
  if (e.cost) row.set('cost.forwardPasses', e.cost.forwardPasses);
  const points = e.alignment ?? [];
  if (points.length) {
    row.set('alignment.points', points.length);
    row.set('alignment.reference', [...new Set(points.map((a) => a.reference))].join(','));
    row.set('alignment.referenceStdErr', meanOf(points.flatMap((a) => (typeof a.referenceStdErr === 'number' ? [a.referenceStdErr] : []))));
    row.set('alignment.cosine', meanOf(points.map((a) => a.overall.cosine)));
    row.set('alignment.layerMeanCosine', meanOf(points.flatMap((a) => (a.layerMean ? [a.layerMean.cosine] : []))));
    row.set('alignment.signAgreement', meanOf(points.map((a) => a.overall.signAgreement)));
    row.set('alignment.errorSignalMean', meanOf(points.flatMap((a) => (typeof a.errorSignalMean === 'number' ? [a.errorSignalMean] : []))));
    const layers = [...new Set(points.flatMap((a) => a.layers.map((l) => l.layer)))];
    for (const l of layers)
      row.set(`alignment.cosine.${l}`, meanOf(points.flatMap((a) => a.layers.filter((x) => x.layer === l).map((x) => x.cosine))));
    const signals = [...new Set(points.flatMap((a) => (a.errorSignals ?? []).map((x) => x.layer)))];
    for (const l of signals)
      row.set(
        `errorSignal.cosine.${l}`,
        meanOf(points.flatMap((a) => (a.errorSignals ?? []).filter((x) => x.layer === l).map((x) => x.cosine))),
      );
  }
  for (const [k, v] of Object.entries(e.metrics ?? {})) row.set(`metrics.${k}`, v);
  for (const [k, v] of Object.entries(e.diagnostics ?? {})) row.set(`diagnostics.${k}`, v);
  for (const [k, v] of Object.entries(e.host ?? {})) row.set(`host.${k}`, v);
  return row;
}

/** Rows in the report's series order, by seed and step. A trial without evaluations (failed early) gets one row. */
export function recordRows(rs: ResultSet): Row[] {
  return rs.series.flatMap((s) =>
    s.trials.flatMap((t) => (t.evals.length ? t.evals.map((e) => evalColumns(trialColumns(rs, s, t), e)) : [trialColumns(rs, s, t)])),
  );
}

// Column groups: who and how configured, then the figures; within a group, first-seen order (so
// per-layer columns follow the model's order).
const GROUPS = ['', 'option', 'optimizer', 'figures', 'cost', 'memory', 'alignment', 'errorSignal', 'metrics', 'diagnostics', 'host'];
const FIGURES: ReadonlySet<string> = new Set(['epoch', 'step', 'trainLoss', 'valAcc', 'valLoss', 'testAcc', 'testLoss', 'lossNote']);
const groupOf = (c: string) =>
  FIGURES.has(c) || c.startsWith('valMetrics.') || c.startsWith('testMetrics.')
    ? 3
    : Math.max(0, GROUPS.indexOf(c.includes('.') ? c.slice(0, c.indexOf('.')) : ''));

export function toCsv(rows: readonly Row[]): string {
  const seen = [...new Set(rows.flatMap((r) => [...r.keys()]))];
  const columns = seen
    .map((c, i) => ({ c, g: groupOf(c), i }))
    .sort((a, b) => a.g - b.g || a.i - b.i)
    .map((x) => x.c);
  const lines = [columns.map(field).join(','), ...rows.map((r) => columns.map((c) => field(r.get(c))).join(','))];
  return `${lines.join('\n')}\n`;
}

export async function writeRecordsCsv(rs: ResultSet, path: string): Promise<void> {
  await writeFile(path, toCsv(recordRows(rs)));
}
