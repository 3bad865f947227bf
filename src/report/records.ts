// Reads a results directory (every *.jsonl file plus an optional experiment.json) into series of
// trials: a series is one rule with one set of options, run over several seeds.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listRules } from '../rules/registry.ts';
import type { OptionValue, RuleOptions } from '../rules/rule.ts';
import type { EvalRecord, SummaryRecord } from '../runner/trial.ts';

/** A published figure an experiment declares, to be placed beside our number. */
export interface Reference {
  source: string;
  dataset?: string;
  metric: string;
  value: number;
  note?: string;
  rule?: string;
}

export interface Environment {
  node?: string;
  cpu?: string;
  cores?: number;
  platform?: string;
  commit?: string;
  /** Kernel backend the run used (reference, wasm, ...). */
  backend?: string;
}

/** `<dir>/experiment.json`, written by the runner. Every field may be missing. */
export interface ExperimentInfo {
  name?: string;
  description?: string;
  spec?: unknown;
  references?: Reference[];
  environment?: Environment;
}

/** A record kind the core loop does not write (estimator rows, memory sweeps, ...). */
export interface OtherRecord {
  type: string;
  rule?: string;
  options?: RuleOptions;
  seed?: number;
  [field: string]: unknown;
}

export interface Trial {
  trial: string;
  seed: number;
  /** Sorted by step. */
  evals: EvalRecord[];
  /** Null while a trial is still running or was cut off. */
  summary: SummaryRecord | null;
}

export interface Series {
  /** rule + canonical JSON of its options: the grouping key. */
  key: string;
  rule: string;
  options: RuleOptions;
  /** Rule id plus the options that set it apart, e.g. "feedback-alignment variant=usf". */
  label: string;
  /** Sorted by seed. */
  trials: Trial[];
}

export interface ResultSet {
  dir: string;
  files: string[];
  series: Series[];
  /** Records of other kinds, by their `type`. */
  others: Record<string, OtherRecord[]>;
  experiment: ExperimentInfo | null;
  /** Lines that could not be parsed (a torn last line after a crash, most often). */
  skippedLines: number;
  warnings: string[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Options as JSON with sorted keys, so {a,b} and {b,a} are one series. */
export function canonicalOptions(options: RuleOptions): string {
  const keys = Object.keys(options).sort();
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, options[k]])));
}

export function seriesKey(rule: string, options: RuleOptions): string {
  return `${rule} ${canonicalOptions(options)}`;
}

const fmtOption = (v: OptionValue): string => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * Labels name a rule plus its non-default options. Defaults come from the rule registry when
 * the rule is registered; otherwise, options whose values differ between series of the same
 * rule are the ones worth naming.
 */
export function labelSeries(entries: ReadonlyArray<{ rule: string; options: RuleOptions }>): string[] {
  const registered = new Map(listRules().map((r) => [r.id, r.defaults as RuleOptions]));
  const byRule = new Map<string, RuleOptions[]>();
  for (const e of entries) byRule.set(e.rule, [...(byRule.get(e.rule) ?? []), e.options]);
  const labels = entries.map((e) => {
    const defaults = registered.get(e.rule);
    const siblings = byRule.get(e.rule) ?? [];
    const shown = Object.keys(e.options).sort().filter((k) => {
      const v = JSON.stringify(e.options[k]);
      if (defaults) return !(k in defaults) || JSON.stringify(defaults[k]) !== v;
      return siblings.some((o) => JSON.stringify(o[k]) !== v);
    });
    return [e.rule, ...shown.map((k) => `${k}=${fmtOption(e.options[k])}`)].join(' ');
  });
  // Two series could still print alike (e.g. differing only in a default); keep labels unique.
  const seen = new Map<string, number>();
  return labels.map((l) => {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return n > 1 ? `${l} #${n}` : l;
  });
}

const isTrialRecord = (r: Record<string, unknown>): boolean =>
  typeof r.trial === 'string' && typeof r.rule === 'string' && typeof r.seed === 'number';
const isEval = (r: Record<string, unknown>) => isTrialRecord(r) && typeof r.step === 'number' && typeof r.epoch === 'number';
const isSummary = (r: Record<string, unknown>) => isTrialRecord(r) && typeof r.status === 'string';

async function readExperiment(dir: string, warnings: string[]): Promise<ExperimentInfo | null> {
  let text: string;
  try {
    text = await readFile(join(dir, 'experiment.json'), 'utf8');
  } catch {
    return null;
  }
  try {
    const raw: unknown = JSON.parse(text);
    if (!isObj(raw)) throw new Error('not an object');
    const refs = Array.isArray(raw.references)
      ? raw.references.filter((r): r is Reference => isObj(r) && typeof r.source === 'string' && typeof r.metric === 'string' && typeof r.value === 'number')
      : undefined;
    const env = isObj(raw.environment) ? raw.environment : undefined;
    const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
    return {
      name: str(raw.name),
      description: str(raw.description),
      spec: raw.spec,
      references: refs,
      environment: env
        ? {
            node: str(env.node), cpu: str(env.cpu), cores: typeof env.cores === 'number' ? env.cores : undefined,
            platform: str(env.platform), commit: str(env.commit), backend: str(env.backend),
          }
        : undefined,
    };
  } catch (e) {
    warnings.push(`experiment.json: could not be read (${(e as Error).message}); showing the report without it`);
    return null;
  }
}

async function jsonlFiles(dir: string, sub: string): Promise<string[]> {
  try {
    return (await readdir(join(dir, sub))).filter((f) => f.endsWith('.jsonl')).sort().map((f) => (sub ? `${sub}/${f}` : f));
  } catch {
    return [];
  }
}

/**
 * Read every *.jsonl file in `dir` and in `dir/records` (where the runner writes one file per
 * trial, `<id>.partial.jsonl` while it runs) and group the records.
 */
export async function readResults(dir: string): Promise<ResultSet> {
  const warnings: string[] = [];
  const files = [...(await jsonlFiles(dir, '')), ...(await jsonlFiles(dir, 'records'))];
  const evals = new Map<string, EvalRecord>();
  const summaries = new Map<string, SummaryRecord>();
  const others: Record<string, OtherRecord[]> = {};
  let skippedLines = 0;
  for (const f of files) {
    const lines = (await readFile(join(dir, f), 'utf8')).split('\n');
    while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      let r: unknown;
      try {
        r = JSON.parse(line);
      } catch {
        skippedLines++;
        warnings.push(`${f}:${i + 1}: unparsable line skipped${i === lines.length - 1 ? ' (torn last line: a trial was cut off mid-write)' : ''}`);
        return;
      }
      if (!isObj(r) || typeof r.type !== 'string') return;
      // A resumed trial rewrites its records: the last copy of a (trial, step) wins.
      if (r.type === 'eval' && isEval(r)) evals.set(`${r.trial} ${r.step}`, r as unknown as EvalRecord);
      else if (r.type === 'summary' && isSummary(r)) summaries.set(r.trial as string, r as unknown as SummaryRecord);
      else if (r.type !== 'eval' && r.type !== 'summary') (others[r.type] ??= []).push(r as OtherRecord);
    });
  }

  const trials = new Map<string, Trial & { rule: string; options: RuleOptions }>();
  const trialOf = (r: EvalRecord | SummaryRecord) => {
    let t = trials.get(r.trial);
    if (!t) trials.set(r.trial, (t = { trial: r.trial, seed: r.seed, evals: [], summary: null, rule: r.rule, options: r.options ?? {} }));
    return t;
  };
  for (const e of evals.values()) trialOf(e).evals.push(e);
  for (const s of summaries.values()) trialOf(s).summary = s;

  const bySeries = new Map<string, Series>();
  for (const t of trials.values()) {
    t.evals.sort((a, b) => a.step - b.step);
    const key = seriesKey(t.rule, t.options);
    let s = bySeries.get(key);
    if (!s) bySeries.set(key, (s = { key, rule: t.rule, options: t.options, label: '', trials: [] }));
    s.trials.push({ trial: t.trial, seed: t.seed, evals: t.evals, summary: t.summary });
  }
  // Backprop first: it is the baseline every other rule is read against.
  const series = [...bySeries.values()].sort((a, b) =>
    a.rule === b.rule ? a.key.localeCompare(b.key) : a.rule === 'backprop' ? -1 : b.rule === 'backprop' ? 1 : a.rule.localeCompare(b.rule),
  );
  labelSeries(series).forEach((l, i) => (series[i].label = l));
  for (const s of series) s.trials.sort((a, b) => a.seed - b.seed || a.trial.localeCompare(b.trial));

  return { dir, files, series, others, experiment: await readExperiment(dir, warnings), skippedLines, warnings };
}

/** The label of the series an optional record (estimator row, sweep row) belongs to. */
export function labelFor(rs: ResultSet, rule: string | undefined, options: RuleOptions | undefined): string {
  if (!rule) return '(unknown rule)';
  const key = seriesKey(rule, options ?? {});
  const s = rs.series.find((x) => x.key === key) ?? rs.series.find((x) => x.rule === rule && !options);
  return s ? s.label : labelSeries([{ rule, options: options ?? {} }])[0];
}
