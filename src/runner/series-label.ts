// Series labels: a rule id plus the options that set a series apart. One function for the
// report, the CSV and the progress lines, so a run's log and its report name series alike.
import type { OptionValue, RuleOptions } from '../rules/rule.ts';
import type { PrecisionSpec } from './precision.ts';

/** A rule entry of the resolved spec as experiment.json records it (`spec.rules`). */
export interface ManifestRule {
  rule: string;
  options: RuleOptions;
  grid: Record<string, OptionValue[]>;
  optimizer?: unknown;
  /** The rule's option defaults (absent in files written before they were recorded). */
  defaults?: RuleOptions;
  /** What the experiment expects of the rule at its budget (e.g. near chance, and why). */
  expect?: string;
  /** The rule declares its updates the exact task gradient at every grid point of the entry (the paired statistics' reference). */
  exact?: boolean;
  /** The rule's named protocol the entry ran (`preset: 'paper'`). */
  preset?: string;
  /** The entry's own adapters and distillation (nn/adapters.ts, rules/distill.ts), when it sets them. */
  adapters?: { kind: string; rank: number; alpha?: number; layers?: string[] };
  distill?: { temperature: number; weight: number };
  /** The entry's own number formats (./precision.ts), when it sets them: one entry per format keeps a rule's formats apart. */
  precision?: PrecisionSpec;
  /** Settings that came from a tuning: which options, whether the optimizer, from where, with what budget. */
  tuned?: {
    from: string;
    options: string[];
    optimizer: boolean;
    configurations: number;
    rungs: number[];
    seeds: number[];
    metric: string;
    score: number;
  };
}

type LabelRule = Pick<ManifestRule, 'rule'> & Partial<ManifestRule>;

const fmtOption = (v: OptionValue): string => (typeof v === 'string' ? v : JSON.stringify(v));
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** An optimizer as a label shows it: its name, then its settings ("adamw lr=0.001 weightDecay=1"). */
export function optimizerText(o: unknown): string {
  if (typeof o !== 'object' || o === null) return String(o);
  const { name, ...rest } = o as Record<string, unknown>;
  const settings = Object.keys(rest)
    .sort()
    .map((k) => `${k}=${typeof rest[k] === 'object' ? JSON.stringify(rest[k]) : String(rest[k])}`);
  return [String(name), ...settings].join(' ');
}

/**
 * A precision setting as labels and charts name it: the compute format(s), then what differs from
 * the defaults ("fp8-e4m3/fp8-e5m2 dynamic scale", "bf16 stochastic"); float32 throughout is "fp32".
 */
export function precisionText(p: PrecisionSpec): string {
  const c = p.compute ?? 'fp32';
  const scale =
    p.lossScale === undefined || p.lossScale === 1 ? [] : typeof p.lossScale === 'number' ? [`scale ${p.lossScale}`] : ['dynamic scale'];
  return [
    typeof c === 'string' ? c : `${c.forward}/${c.backward}`,
    ...scale,
    ...(p.master === 'compute' ? ['compute masters'] : []),
    ...(p.rounding === 'stochastic' ? ['stochastic'] : []),
    ...(p.accumulate === 'compute' ? ['compute accumulator'] : []),
  ].join(' ');
}

/**
 * The entry's own optimizer, when it differs from the experiment's and neither a preset nor a
 * tuning (each named in the label) accounts for it: a row never runs at another optimizer silently.
 */
function optimizerNote(entry: LabelRule | null | undefined, experiment: unknown): string[] {
  if (!entry || entry.optimizer === undefined || entry.preset || entry.tuned?.optimizer) return [];
  if (experiment !== undefined && same(entry.optimizer, experiment)) return [];
  const own = entry.optimizer as Record<string, unknown> | null;
  const base = experiment as Record<string, unknown> | null | undefined;
  // Under the experiment's optimizer family only the settings that differ are named ("lr=0.01").
  if (own && typeof own === 'object' && base && typeof base === 'object' && own.name === base.name) {
    const keys = [...new Set([...Object.keys(own), ...Object.keys(base)])].filter((k) => !same(own[k], base[k])).sort();
    return [
      `(${keys.map((k) => `${k}=${k in own ? (typeof own[k] === 'object' ? JSON.stringify(own[k]) : String(own[k])) : 'unset'}`).join(' ')})`,
    ];
  }
  return [`(${optimizerText(entry.optimizer)})`];
}

/**
 * Labels name a rule plus the options that set a series apart: those the experiment sweeps, those
 * whose value differs from the rule's recorded default, and those that differ between series of
 * the same rule; and, in parentheses, what of the experiment's protocol the entry changes: its
 * preset, its own optimizer, its tuned settings. Everything comes from the records and experiment.json, never from the rules this
 * process happens to have loaded, so every command labels the same records alike.
 */
export function labelSeries(
  entries: ReadonlyArray<{ rule: string; options: RuleOptions; entry?: LabelRule | null }>,
  rules: readonly LabelRule[] = [],
  protocol: { optimizer?: unknown } = {},
): string[] {
  const byRule = new Map<string, RuleOptions[]>();
  for (const e of entries) byRule.set(e.rule, [...(byRule.get(e.rule) ?? []), e.options]);
  const labels = entries.map((e) => {
    const own = rules.filter((r) => r.rule === e.rule);
    const defaults = own.find((r) => r.defaults)?.defaults;
    const gridded = new Set(own.flatMap((r) => Object.keys(r.grid ?? {})));
    const siblings = byRule.get(e.rule) ?? [];
    // Tuned values are named by "(tuned)", not spelled out: the report's header says where they came from.
    const tunedKeys = new Set(e.entry?.tuned?.options ?? []);
    const shown = Object.keys(e.options)
      .sort()
      .filter((k) => !tunedKeys.has(k))
      .filter(
        (k) =>
          gridded.has(k) ||
          (defaults !== undefined && (!(k in defaults) || !same(defaults[k], e.options[k]))) ||
          siblings.some((o) => !same(o[k], e.options[k])),
      );
    return [
      e.rule,
      ...(e.entry?.preset ? [`(${e.entry.preset})`] : []),
      ...shown.map((k) => `${k}=${fmtOption(e.options[k])}`),
      ...optimizerNote(e.entry, protocol.optimizer),
      ...(e.entry?.adapters ? [`(${e.entry.adapters.kind} r=${e.entry.adapters.rank})`] : []),
      ...(e.entry?.distill ? [`(distilled T=${e.entry.distill.temperature} w=${e.entry.distill.weight})`] : []),
      ...(e.entry?.precision ? [`(${precisionText(e.entry.precision)})`] : []),
      ...(e.entry?.tuned ? ['(tuned)'] : []),
    ].join(' ');
  });
  // Two series could still print alike; keep labels unique.
  const seen = new Map<string, number>();
  return labels.map((l) => {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return n > 1 ? `${l} #${n}` : l;
  });
}

/** Each trial's series label (trials of one series share it), keyed by trial id. */
export function trialLabels(
  trials: ReadonlyArray<{ id: string; rule: string; options: RuleOptions; entry?: number }>,
  rules: readonly LabelRule[],
  protocol: { optimizer?: unknown } = {},
): Map<string, string> {
  const key = (t: { rule: string; options: RuleOptions; entry?: number }) =>
    JSON.stringify([
      t.rule,
      Object.keys(t.options)
        .sort()
        .map((k) => [k, t.options[k]]),
      t.entry ?? null,
    ]);
  const series = [...new Map(trials.map((t) => [key(t), t])).values()];
  const entries = series.map((t) => ({ rule: t.rule, options: t.options, entry: t.entry !== undefined ? rules[t.entry] : null }));
  const labels = new Map(labelSeries(entries, rules, protocol).map((l, i) => [key(series[i]), l]));
  return new Map(trials.map((t) => [t.id, labels.get(key(t))!]));
}
