// Reads a results directory (every *.jsonl file plus an optional experiment.json) into series of
// trials: a series is one rule with one set of options, run over several seeds.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OptionValue, RuleOptions } from '../rules/rule.ts';
import type { Estimate, EvalRecord, SummaryRecord } from '../runner/record-types.ts';
import { validateReference, type Reference } from '../runner/references.ts';
import { labelSeries, type ManifestRule } from '../runner/series-label.ts';

export { labelSeries, type ManifestRule } from '../runner/series-label.ts';

export type { Reference } from '../runner/references.ts';

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
  /** The resolved spec the run used (after --quick and other overrides). */
  spec?: unknown;
  rules: ManifestRule[];
  /** Every trial of the experiment, in the runner's order. */
  trials: Array<{ id: string; rule: string; options: RuleOptions; seed: number; entry?: number }>;
  /** Command-line overrides that were applied, when recorded. */
  overrides: Record<string, unknown> | null;
  /** Published figures with their protocols (from the spec). */
  references: Reference[];
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
  /** What the rule's updates estimate, as its records declare (decides alignment and loss panels). */
  estimates: Estimate;
  /** The rule's own objective when it has one. */
  objective: string | null;
  /** Its entry in the resolved spec, when experiment.json has one. */
  entry: ManifestRule | null;
  /** Trials the experiment planned for this series (0 when unknown). */
  planned: number;
  /** Sorted by seed. */
  trials: Trial[];
}

export interface ResultSet {
  dir: string;
  files: string[];
  /** In the experiment's rule order (its first series is the baseline others are read against). */
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

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The spec entry a series came from: same rule, and its fixed options and one grid point agree. */
function entryOf(rules: readonly ManifestRule[], rule: string, options: RuleOptions): ManifestRule | null {
  return (
    rules.find(
      (r) =>
        r.rule === rule &&
        Object.entries(r.options ?? {}).every(([k, v]) => same(options[k], v)) &&
        Object.entries(r.grid ?? {}).every(([k, vs]) => vs.some((v) => same(options[k], v))),
    ) ?? null
  );
}

/**
 * Series keys by trial: rule and options, plus the entry's index where two entries of the
 * experiment share a rule and options (they differ in optimizer or preset: never one series).
 */
function plannedSeriesKeys(planned: ExperimentInfo['trials']): (id: string, rule: string, options: RuleOptions) => string {
  const entries = new Map<string, Set<number>>();
  const entryOfId = new Map<string, number>();
  for (const t of planned) {
    if (typeof t.entry !== 'number') continue;
    const k = seriesKey(t.rule, t.options);
    entries.set(k, (entries.get(k) ?? new Set()).add(t.entry));
    entryOfId.set(t.id, t.entry);
  }
  return (id, rule, options) => {
    const k = seriesKey(rule, options);
    const e = entryOfId.get(id);
    return e !== undefined && (entries.get(k)?.size ?? 0) > 1 ? `${k} entry=${e}` : k;
  };
}

/** The experiment-wide settings a series label is read against. */
const spec = (e: ExperimentInfo | null): { optimizer?: unknown } => (isObj(e?.spec) ? { optimizer: e.spec.optimizer } : {});

const isTrialRecord = (r: Record<string, unknown>): boolean =>
  typeof r.trial === 'string' && typeof r.rule === 'string' && typeof r.seed === 'number';
const isEval = (r: Record<string, unknown>) => isTrialRecord(r) && typeof r.step === 'number' && typeof r.epoch === 'number';
const isSummary = (r: Record<string, unknown>) => isTrialRecord(r) && typeof r.status === 'string';

function readManifestRules(spec: unknown): ManifestRule[] {
  const rules = isObj(spec) && Array.isArray(spec.rules) ? spec.rules : [];
  return rules.flatMap((r): ManifestRule[] => {
    if (typeof r === 'string') return [{ rule: r, options: {}, grid: {} }];
    if (!isObj(r) || typeof r.rule !== 'string') return [];
    return [
      {
        rule: r.rule,
        options: (isObj(r.options) ? r.options : {}) as RuleOptions,
        grid: (isObj(r.grid) ? r.grid : {}) as Record<string, OptionValue[]>,
        optimizer: r.optimizer,
        defaults: isObj(r.defaults) ? (r.defaults as RuleOptions) : undefined,
        ...(r.exact === true ? { exact: true } : {}),
        ...(typeof r.expect === 'string' && r.expect ? { expect: r.expect } : {}),
        ...(typeof r.preset === 'string' ? { preset: r.preset } : {}),
        ...(isObj(r.tuned) ? { tuned: r.tuned as unknown as ManifestRule['tuned'] } : {}),
        ...(isObj(r.adapters) ? { adapters: r.adapters as unknown as ManifestRule['adapters'] } : {}),
        ...(isObj(r.distill) ? { distill: r.distill as unknown as ManifestRule['distill'] } : {}),
        ...(isObj(r.precision) ? { precision: r.precision as ManifestRule['precision'] } : {}),
      },
    ];
  });
}

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
    const spec = raw.spec;
    // The manifest's own references are current: a rerun with new references (descriptive, so
    // the directory's records stay valid) rewrites them, not the spec it first resolved. One that
    // fails validation is named and left out.
    const rawRefs = Array.isArray(raw.references) ? raw.references : isObj(spec) && Array.isArray(spec.references) ? spec.references : [];
    const references = rawRefs.flatMap((r, i) => {
      try {
        return [validateReference(`references[${i}]`, r)];
      } catch (e) {
        warnings.push(`experiment.json: ${(e as Error).message}; left out of the reproduction table`);
        return [];
      }
    });
    const trials = Array.isArray(raw.trials)
      ? raw.trials.filter(
          (t): t is ExperimentInfo['trials'][number] =>
            isObj(t) &&
            typeof t.id === 'string' &&
            typeof t.rule === 'string' &&
            typeof t.seed === 'number' &&
            isObj(t.options) &&
            (t.entry === undefined || typeof t.entry === 'number'),
        )
      : [];
    const env = isObj(raw.environment) ? raw.environment : undefined;
    const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
    return {
      name: str(raw.name),
      description: str(raw.description),
      spec,
      rules: readManifestRules(spec),
      trials,
      overrides: isObj(raw.overrides) ? raw.overrides : null,
      references,
      environment: env
        ? {
            node: str(env.node),
            cpu: str(env.cpu),
            cores: typeof env.cores === 'number' ? env.cores : undefined,
            platform: str(env.platform),
            commit: str(env.commit),
            backend: str(env.backend),
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
    return (await readdir(join(dir, sub)))
      .filter((f) => f.endsWith('.jsonl'))
      .sort()
      .map((f) => (sub ? `${sub}/${f}` : f));
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
        warnings.push(
          `${f}:${i + 1}: unparsable line skipped${i === lines.length - 1 ? ' (torn last line: a trial was cut off mid-write)' : ''}`,
        );
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

  const experiment = await readExperiment(dir, warnings);
  const rules = experiment?.rules ?? [];
  const planned = experiment?.trials ?? [];
  const keyOf = plannedSeriesKeys(planned);
  const entryIndex = new Map(planned.flatMap((t) => (typeof t.entry === 'number' ? [[t.id, t.entry] as const] : [])));
  const bySeries = new Map<string, Series>();
  for (const t of trials.values()) {
    t.evals.sort((a, b) => a.step - b.step);
    const key = keyOf(t.trial, t.rule, t.options);
    const index = entryIndex.get(t.trial);
    let s = bySeries.get(key);
    if (!s) {
      const first = t.summary ?? t.evals[0];
      bySeries.set(
        key,
        (s = {
          key,
          rule: t.rule,
          options: t.options,
          label: '',
          estimates: first?.estimates ?? 'task-gradient',
          objective: first?.objective ?? null,
          entry: (index !== undefined ? rules[index] : undefined) ?? entryOf(rules, t.rule, t.options),
          planned: 0,
          trials: [],
        }),
      );
    }
    s.trials.push({ trial: t.trial, seed: t.seed, evals: t.evals, summary: t.summary });
  }
  // The experiment's own order (rules, then grid points, as the runner expands them); series the
  // manifest does not know follow, by key.
  const rank = new Map<string, number>();
  for (const t of planned) {
    const k = keyOf(t.id, t.rule, t.options);
    if (!rank.has(k)) rank.set(k, rank.size);
    const s = bySeries.get(k);
    if (s) s.planned++;
  }
  const r = (s: Series) => rank.get(s.key) ?? Infinity;
  const series = [...bySeries.values()].sort((a, b) => r(a) - r(b) || a.key.localeCompare(b.key));
  labelSeries(series, rules, spec(experiment)).forEach((l, i) => (series[i].label = l));
  for (const s of series) s.trials.sort((a, b) => a.seed - b.seed || a.trial.localeCompare(b.trial));

  return { dir, files, series, others, experiment, skippedLines, warnings };
}

/** The label of the series an optional record (estimator row, sweep row) belongs to. */
export function labelFor(rs: ResultSet, rule: string | undefined, options: RuleOptions | undefined): string {
  if (!rule) return '(unknown rule)';
  const key = seriesKey(rule, options ?? {});
  const s = rs.series.find((x) => x.key === key) ?? rs.series.find((x) => x.rule === rule && !options);
  return s ? s.label : labelSeries([{ rule, options: options ?? {} }], rs.experiment?.rules, spec(rs.experiment))[0];
}

/**
 * The experiment's reference entry: the first series whose entry's rule declares its updates the
 * exact gradient (experiment.json records `exact`). None, and the paired columns stay empty.
 */
export function referenceSeries(rs: ResultSet): Series | null {
  return rs.series.find((s) => s.entry?.exact === true) ?? null;
}

/** The series every chart reads the others against: the reference where one is declared, else the experiment's first. */
export const baselineSeries = (rs: ResultSet): Series | undefined => referenceSeries(rs) ?? rs.series[0];
