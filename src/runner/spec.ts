// Experiment specs: the declarative format, its validation (every problem is a SpecError that
// names the field and the accepted values), and expansion into trials.
import { createHash } from 'node:crypto';
import { SpecError } from '../errors.ts';
import { checkDataOptions, getDataset, listDatasets } from '../data/index.ts';
import { listOptimizers, optimizerFromSpec, type OptimizerSpec } from '../optim/index.ts';
import { buildModel } from '../nn/model.ts';
import { listPresets, type ModelSpec } from '../nn/presets.ts';
import { checkOption, checkPrediction, ruleOptions, type AnyRule, type OptionValue, type RuleOptions } from '../rules/rule.ts';
import { parseAdapters, type AdapterSpec } from '../nn/adapters.ts';
import { parseDistill, type DistillSpec } from '../rules/distill.ts';
import { checkCostModel } from '../rules/cost.ts';
import { TASK_NAMES } from '../rules/task.ts';
import { validateReferences, type Reference } from './references.ts';
import type { DataConfig, TrialConfig } from './trial.ts';
import { validateBudget, type Budget } from './budget.ts';
import { validateDivergence, type DivergenceSpec } from './divergence.ts';
import { resolvePrecision, type PrecisionSpec } from './precision.ts';
import { validateTuneSettings, type TuneSettings } from './tune/settings.ts';

export interface RuleEntry {
  /** A built-in id, or a rule object (e.g. imported from the user's own file). */
  rule: string | AnyRule;
  /** Fixed option overrides. */
  options?: RuleOptions;
  /** Option values to sweep: the trial set is their cartesian product. */
  grid?: Record<string, OptionValue[]>;
  /** Per-rule optimizer (else the experiment's). */
  optimizer?: OptimizerSpec;
  /**
   * What to expect of this rule at the experiment's budget when it is not the obvious (e.g.
   * 'near-chance at this budget: <why>'); the report shows it beside the rule. Never part of a trial.
   */
  expect?: string;
  /** One of the rule's named protocols (its `presets`, e.g. 'paper'): its options under the entry's, its optimizer. */
  preset?: string;
  /** This entry's equal-compute budget (else the experiment's). */
  budget?: Budget;
  /** This entry's adapters (else the experiment's; false: none): train LoRA adapters on a frozen model. */
  adapters?: AdapterSpec | false;
  /**
   * This entry's distillation (else the experiment's; false: the labels alone): soft targets from a
   * teacher. Without `teacher` it takes the experiment's (and --quick's), at its own temperature and weight.
   */
  distill?: DistillSpec | Omit<DistillSpec, 'teacher'> | false;
}

export type { Reference } from './references.ts';

export interface ExperimentSpec {
  name: string;
  description?: string;
  data: DataConfig;
  /** A named objective instead of the data's own loss, e.g. 'classification-error' (not differentiable). */
  task?: string;
  model: ModelSpec;
  optimizer: OptimizerSpec;
  rules: Array<string | RuleEntry>;
  seeds: number[];
  epochs: number;
  batchSize: number;
  maxSteps?: number;
  /**
   * Equal compute: each trial trains until it has spent this many forward-pass equivalents (its
   * rule's cost model) or seconds of step wall time, stopping before the step that would overspend
   * it (epochs and maxSteps still bound it).
   */
  budget?: Budget;
  evalEvery?: number;
  alignEvery?: number;
  /** Samples per example of a sampled expected-gradient reference (default 64). */
  alignSamples?: number;
  memory?: boolean;
  /** When a trial counts as diverged (default: a non-finite loss, or 1000× the first step's loss). */
  divergence?: DivergenceSpec;
  /** Freeze the model and train adapters on it (`{ kind: 'lora', rank, alpha?, layers? }`); an entry may set its own. */
  adapters?: AdapterSpec;
  /** Train on a teacher's soft targets (`{ teacher: { model, params }, temperature, weight }`); an entry may set its own. */
  distill?: DistillSpec;
  /** Number formats and loss scaling (./precision.ts); absent: float32 throughout. */
  precision?: PrecisionSpec;
  /** Published figures the report places beside ours. */
  references?: Reference[];
  /**
   * Overrides applied by `--quick`. The rules stay; `expect` (by rule id) sets what their entries
   * expect at the quick budget.
   */
  quick?: Partial<Omit<ExperimentSpec, 'quick' | 'name' | 'rules'>> & { expect?: Record<string, string> };
  /** Start every trial from the parameter file at this path ({seed}, {rule} filled in) instead of a fresh draw. */
  init?: string;
  /** Write each trial's final parameters to this path ({seed}, {rule}, {trial} filled in), for a later `init`. */
  saveParams?: string;
  /**
   * Stages this experiment starts from (a pretraining run whose `saveParams` its `init` reads):
   * before anything is written, each is checked, then run (or resumed) into its `out` unless that
   * directory already holds all of its trials finished. `--quick` applies to the stages too.
   */
  needs?: Need[];
  /** How `rulebench tune` searches this experiment (configurations, optimizer families, halving). */
  tune?: TuneSettings;
  /** Run each rule entry at its tuned configuration from this `rulebench tune` directory (its tune.json). */
  tuned?: string;
}

/** A stage an experiment needs: another experiment file and the results directory it runs into. */
export interface Need {
  /** The experiment file, relative to this spec's own file. */
  experiment: string;
  /** Its results directory (its --out), relative to where the command runs, as --out is. */
  out: string;
}

export function defineExperiment(spec: ExperimentSpec): ExperimentSpec {
  return spec;
}

export interface Trial {
  id: string;
  config: TrialConfig;
  rule: AnyRule;
  /** Index of its entry in the spec's rules (two entries may share a rule and options, not an optimizer). */
  entry?: number;
}

const SPEC_KEYS = [
  'name',
  'description',
  'data',
  'task',
  'model',
  'optimizer',
  'rules',
  'seeds',
  'epochs',
  'batchSize',
  'maxSteps',
  'budget',
  'evalEvery',
  'alignEvery',
  'alignSamples',
  'memory',
  'divergence',
  'precision',
  'references',
  'quick',
  'init',
  'saveParams',
  'needs',
  'tune',
  'tuned',
  'adapters',
  'distill',
];
const ENTRY_KEYS = ['rule', 'options', 'grid', 'optimizer', 'preset', 'expect', 'budget', 'adapters', 'distill'];
const MAX_TRIALS = 100_000;

const show = (v: unknown) => {
  try {
    return typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    return String(v);
  }
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function needRecord(field: string, v: unknown): Record<string, unknown> {
  if (!isRecord(v)) throw new SpecError(`${field}: expected an object, got ${show(v)}`);
  return v;
}

function noUnknownKeys(field: string, v: Record<string, unknown>, accepted: readonly string[]): void {
  for (const k of Object.keys(v)) {
    if (!accepted.includes(k)) throw new SpecError(`${field}.${k}: unknown key; accepted keys: ${accepted.join(', ')}`);
  }
}

function needInt(field: string, v: unknown, min: number, max = 1e9): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new SpecError(`${field}: expected an integer in [${min}, ${max}], got ${show(v)}`);
  }
  return v;
}

function needFinite(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new SpecError(`${field}: expected a finite number, got ${show(v)}`);
  return v;
}

function validateData(v: unknown): DataConfig {
  const d = needRecord('data', v);
  const datasets = listDatasets();
  noUnknownKeys('data', d, [...new Set(['name', 'validation', ...datasets.flatMap((k) => Object.keys(k.options))])]);
  const kind = getDataset(d.name);
  if (!kind) throw new SpecError(`data.name: unknown dataset ${show(d.name)}; accepted: ${datasets.map((k) => k.name).join(', ')}`);
  // An option the dataset does not read would be silently ignored: refuse it.
  const takes = ['validation', ...Object.keys(kind.options)];
  for (const k of Object.keys(d)) {
    if (k !== 'name' && !takes.includes(k))
      throw new SpecError(`data.${k}: does not apply to dataset "${kind.name}"; it takes: ${takes.join(', ')}`);
  }
  if (d.validation !== undefined) {
    const val = d.validation === 'test' ? 0 : needFinite('data.validation', d.validation);
    if (val < 0 || (val >= 1 && !Number.isInteger(val)))
      throw new SpecError(`data.validation: a fraction in [0, 1) or a whole count, got ${val}`);
  }
  checkDataOptions(kind, d);
  return d as unknown as DataConfig;
}

function validateModel(v: unknown): ModelSpec {
  const m = needRecord('model', v);
  if (Array.isArray(m.sizes) && m.sizes.length > 1000) throw new SpecError(`model.sizes: at most 1000 layers, got ${m.sizes.length}`);
  // The MLP shorthand says its own input and output; layer lists and presets are built against the data before training.
  if ('sizes' in m) buildModel(m as unknown as ModelSpec);
  else if (!('layers' in m) && !('preset' in m)) {
    const presets = listPresets()
      .map((p) => `'${p.name}'`)
      .join(' | ');
    throw new SpecError(
      `model: expected { sizes: [...] }, { layers: [...] } or { preset: ${presets} }, got keys ${Object.keys(m).join(', ') || '(none)'}`,
    );
  }
  return m as unknown as ModelSpec;
}

function validateOptimizer(field: string, v: unknown): OptimizerSpec {
  const o = needRecord(field, v);
  const names = listOptimizers().map((k) => k.name);
  if (typeof o.name !== 'string' || !names.includes(o.name))
    throw new SpecError(`${field}.name: unknown optimizer ${show(o.name)}; accepted: ${names.join(', ')}`);
  try {
    optimizerFromSpec(o as unknown as OptimizerSpec);
  } catch (e) {
    throw new SpecError(`${field}: ${(e as Error).message}`);
  }
  // An experiment whose rate is 0 trains nothing and still ends `done`.
  if (o.lr === 0) throw new SpecError(`${field}.lr: 0 would leave the parameters where they start; give a positive rate`);
  return o as unknown as OptimizerSpec;
}

/** Resolve a rule reference through `lookup` (built-in ids) or accept a rule object. */
function resolveRule(field: string, ref: unknown, lookup: (id: string) => AnyRule): AnyRule {
  if (typeof ref === 'string') {
    try {
      return lookup(ref);
    } catch (e) {
      throw new SpecError(`${field}: ${(e as Error).message}`);
    }
  }
  if (
    isRecord(ref) &&
    typeof ref.id === 'string' &&
    typeof ref.step === 'function' &&
    typeof ref.init === 'function' &&
    isRecord(ref.defaults)
  ) {
    let known: AnyRule | null = null;
    try {
      known = lookup(ref.id);
    } catch {
      // not registered: the rule object is new
    }
    // Registering it would silently replace the rule that already has this id (e.g. a built-in).
    if (known && (known as unknown) !== ref)
      throw new SpecError(
        `${field}: your rule's id "${ref.id}" is already taken by a registered rule (a built-in?); give your rule its own id`,
      );
    return ref as unknown as AnyRule;
  }
  throw new SpecError(`${field}: expected a rule id (string) or a rule object with id, defaults, init and step, got ${show(ref)}`);
}

export interface ValidatedRule {
  rule: AnyRule;
  /** The options the entry fixes: its preset's, then its own. */
  options: RuleOptions;
  grid: Array<[string, OptionValue[]]>;
  /** The entry's optimizer, or its preset's. */
  optimizer: OptimizerSpec | undefined;
  expect?: string;
  preset?: string;
  /** Set by a tuned run: what came from tuning. */
  tuned?: TunedEntry;
  /** The entry's own budget. */
  budget?: Budget;
  adapters?: AdapterSpec;
  distill?: DistillSpec;
}

/** What a tuned entry records (experiment.json, the report): its source and the budget behind it. */
export interface TunedEntry {
  /** The tune directory, as given. */
  from: string;
  key: string;
  /** Options whose values came from tuning. */
  options: string[];
  /** Whether the optimizer (family and learning rate) came from tuning. */
  optimizer: boolean;
  configurations: number;
  /** Steps of each rung. */
  rungs: number[];
  seeds: number[];
  metric: string;
  score: number;
}

/** What a spec's validation needs to know of the data: training steps per epoch (for presets' schedules). */
export interface SpecContext {
  stepsPerEpoch?(): number;
}

export interface ValidatedSpec extends Omit<ExperimentSpec, 'rules'> {
  rules: ValidatedRule[];
}

/** Validate a spec (anything a user file exported) before anything runs. */
/** An entry's distill without a teacher takes the experiment's (so --quick's teacher reaches it too). */
function withTeacher(entry: unknown, experiment: unknown, field: string): unknown {
  if (!isRecord(entry) || entry.teacher !== undefined) return entry;
  if (!isRecord(experiment))
    throw new SpecError(
      `${field}.teacher: missing, and the experiment has no distill whose teacher it could take; name one here or in distill`,
    );
  return { teacher: experiment.teacher, ...entry };
}

export function validateSpec(raw: unknown, lookup: (id: string) => AnyRule, context: SpecContext = {}): ValidatedSpec {
  const s = needRecord('spec', raw);
  noUnknownKeys('spec', s, SPEC_KEYS);
  if (typeof s.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(s.name))
    throw new SpecError(`name: expected a name of letters, digits, ".", "_" or "-", got ${show(s.name)}`);
  const data = validateData(s.data);
  if (s.task !== undefined && !(TASK_NAMES as readonly unknown[]).includes(s.task)) {
    throw new SpecError(
      `task: unknown objective ${show(s.task)}; accepted: ${TASK_NAMES.join(', ')} (or leave it out for the data's own loss)`,
    );
  }
  const model = validateModel(s.model);
  const optimizer = validateOptimizer('optimizer', s.optimizer);
  if (!Array.isArray(s.seeds) || s.seeds.length === 0)
    throw new SpecError(`seeds: expected a non-empty array of integers, got ${show(s.seeds)}`);
  for (let i = 0; i < s.seeds.length; i++) needInt(`seeds[${i}]`, s.seeds[i], 0, 2 ** 31);
  if (new Set(s.seeds).size !== s.seeds.length) throw new SpecError(`seeds: duplicates in ${show(s.seeds)}`);
  needInt('epochs', s.epochs, 1, 100_000);
  needInt('batchSize', s.batchSize, 1, 1_000_000);
  for (const k of ['maxSteps', 'evalEvery', 'alignEvery'] as const) if (s[k] !== undefined) needInt(k, s[k], 0, 1e9);
  if (s.alignSamples !== undefined) needInt('alignSamples', s.alignSamples, 2, 1e6);
  if (s.memory !== undefined && typeof s.memory !== 'boolean') throw new SpecError(`memory: expected a boolean, got ${show(s.memory)}`);
  if (s.divergence !== undefined) validateDivergence(s.divergence);
  if (s.precision !== undefined) resolvePrecision(s.precision);
  if (s.budget !== undefined) validateBudget('budget', s.budget);
  if (s.description !== undefined && typeof s.description !== 'string')
    throw new SpecError(`description: expected a string, got ${show(s.description)}`);
  if (s.references !== undefined) validateReferences(s.references);
  if (s.quick !== undefined) needRecord('quick', s.quick);
  for (const k of ['init', 'saveParams', 'tuned'] as const)
    if (s[k] !== undefined && (typeof s[k] !== 'string' || !s[k]))
      throw new SpecError(`${k}: expected a ${k === 'tuned' ? 'directory' : 'file'} path, got ${show(s[k])}`);
  if (s.needs !== undefined) validateNeeds(s.needs);
  if (s.adapters !== undefined) parseAdapters(s.adapters, 'adapters');
  if (s.distill !== undefined) parseDistill(s.distill, 'distill');
  if (s.tune !== undefined) validateTuneSettings(s.tune, s.seeds as number[]);
  if (!Array.isArray(s.rules) || s.rules.length === 0)
    throw new SpecError(`rules: expected a non-empty array of rule ids or { rule, options, grid } entries, got ${show(s.rules)}`);
  let trials = 0;
  const rules = s.rules.map((entry, i): ValidatedRule => {
    const field = `rules[${i}]`;
    const e: Record<string, unknown> = typeof entry === 'string' ? { rule: entry } : needRecord(field, entry);
    // A rule object where an entry belongs (`rules: [myRule]`): say what to write.
    if (typeof e.step === 'function' && typeof e.id === 'string' && !('rule' in e))
      throw new SpecError(
        `${field}: rule "${e.id}" is a rule object, not a rule entry; write { rule: <the rule> } (its options, grid, ... go beside it)`,
      );
    noUnknownKeys(field, e, ENTRY_KEYS);
    const rule = resolveRule(`${field}.rule`, e.rule, lookup);
    checkCostModel(rule, `${field}.rule`);
    checkPrediction(rule, `${field}.rule`);
    const preset = e.preset === undefined ? undefined : presetOf(`${field}.preset`, rule, e.preset);
    const own = e.options === undefined ? {} : needRecord(`${field}.options`, e.options);
    for (const [k, v] of Object.entries(own)) checkOption(`${field}.options`, rule, k, v);
    for (const [k, v] of Object.entries(preset?.options ?? {})) checkOption(`${field}.preset (${String(e.preset)}).options`, rule, k, v);
    const options = { ...preset?.options, ...own };
    const gridRaw = e.grid === undefined ? {} : needRecord(`${field}.grid`, e.grid);
    const grid = Object.entries(gridRaw).map(([k, vs]): [string, OptionValue[]] => {
      if (!Array.isArray(vs) || vs.length === 0)
        throw new SpecError(`${field}.grid.${k}: expected a non-empty array of values, got ${show(vs)}`);
      for (let j = 0; j < vs.length; j++) checkOption(`${field}.grid`, rule, k, vs[j]);
      return [k, vs as OptionValue[]];
    });
    trials += grid.reduce((n, [, vs]) => n * vs.length, 1) * (s.seeds as number[]).length;
    if (trials > MAX_TRIALS) throw new SpecError(`${field}.grid: the experiment would have more than ${MAX_TRIALS} trials`);
    if (preset?.optimizer !== undefined && e.optimizer !== undefined) {
      throw new SpecError(
        `${field}.optimizer: preset "${String(e.preset)}" of rule "${rule.id}" sets the optimizer (${preset.source}); leave out one of them`,
      );
    }
    const presetOptimizer =
      typeof preset?.optimizer === 'function' ? preset.optimizer({ stepsPerEpoch: context.stepsPerEpoch?.() ?? 1 }) : preset?.optimizer;
    const opt =
      e.optimizer !== undefined
        ? validateOptimizer(`${field}.optimizer`, e.optimizer)
        : presetOptimizer && validateOptimizer(`${field}.preset (${String(e.preset)}).optimizer`, presetOptimizer);
    const budget = e.budget === undefined ? undefined : validateBudget(`${field}.budget`, e.budget);
    // The entry's own, the experiment's, or none (false): resolved here, so records and labels say what each entry ran.
    const adapters =
      e.adapters === false
        ? undefined
        : e.adapters === undefined
          ? (s.adapters as AdapterSpec | undefined)
          : parseAdapters(e.adapters, `${field}.adapters`);
    const distill =
      e.distill === false
        ? undefined
        : e.distill === undefined
          ? (s.distill as DistillSpec | undefined)
          : parseDistill(withTeacher(e.distill, s.distill, `${field}.distill`), `${field}.distill`);
    if (e.expect !== undefined && (typeof e.expect !== 'string' || !e.expect.trim()))
      throw new SpecError(`${field}.expect: expected a sentence saying what to expect of the rule, got ${show(e.expect)}`);
    return {
      rule,
      options: options as RuleOptions,
      grid,
      optimizer: opt,
      ...(preset ? { preset: e.preset as string } : {}),
      ...(budget ? { budget } : {}),
      ...(adapters ? { adapters } : {}),
      ...(distill ? { distill } : {}),
      ...(e.expect !== undefined ? { expect: e.expect as string } : {}),
    };
  });
  return { ...(s as unknown as ExperimentSpec), data, model, optimizer, rules };
}

function validateNeeds(v: unknown): void {
  if (!Array.isArray(v) || v.length === 0)
    throw new SpecError(`needs: expected a non-empty array of { experiment, out } stages, got ${show(v)}`);
  v.forEach((n, i) => {
    const e = needRecord(`needs[${i}]`, n);
    noUnknownKeys(`needs[${i}]`, e, ['experiment', 'out']);
    if (typeof e.experiment !== 'string' || !/\.(m?ts|m?js)$/.test(e.experiment))
      throw new SpecError(
        `needs[${i}].experiment: expected an experiment file (.ts or .js, relative to this spec), got ${show(e.experiment)}`,
      );
    if (typeof e.out !== 'string' || !e.out)
      throw new SpecError(`needs[${i}].out: expected the stage's results directory, got ${show(e.out)}`);
  });
}

/** The rule's preset named `name`, or a SpecError naming the presets it has. */
function presetOf(field: string, rule: AnyRule, name: unknown) {
  const presets = rule.presets ?? {};
  if (typeof name !== 'string' || !Object.hasOwn(presets, name)) {
    const names = Object.keys(presets);
    throw new SpecError(
      `${field}: rule "${rule.id}" has no preset ${show(name)}; its presets: ${names.length ? names.join(', ') : '(none)'}`,
    );
  }
  return presets[name];
}

export function cartesian(grid: Array<[string, OptionValue[]]>): RuleOptions[] {
  let points: RuleOptions[] = [{}];
  for (const [k, vs] of grid) points = points.flatMap((p) => vs.map((v) => ({ ...p, [k]: v })));
  return points;
}

/** Canonical JSON (sorted keys) so equal configs hash equally. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isRecord(v))
    return `{${Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export function trialId(config: TrialConfig): string {
  return createHash('sha256').update(canonical(config)).digest('hex').slice(0, 16);
}

export interface RunOverrides {
  rules?: string[];
  seeds?: number[];
  epochs?: number;
  subset?: number;
  quick?: boolean;
  debug?: boolean;
  /** Run at the tuned configurations of this `rulebench tune` directory (an absolute path). */
  tuned?: string;
}

/**
 * Apply CLI overrides (re-validated: an override is as much user input as the file).
 * `trainSize(data)` gives the training samples a data config holds; --subset uses it to scale a
 * validation count along (a count fit for 20,000 images would leave nothing to train on 2,000).
 */
export function applyOverrides(raw: ExperimentSpec, o: RunOverrides, trainSize?: (data: DataConfig) => number): ExperimentSpec {
  let s: ExperimentSpec = { ...raw };
  // Checked with or without --quick, so a misnamed rule there is found on the first run.
  const quickExpect = isRecord(raw.quick) && raw.quick.expect !== undefined ? quickExpectations(raw.rules, raw.quick.expect) : undefined;
  if (o.quick) {
    if (!raw.quick)
      throw new SpecError(`--quick: experiment "${raw.name}" declares no quick settings (a "quick" field); run it without --quick`);
    const { expect: _expect, ...quick } = raw.quick;
    s = { ...s, ...quick, ...(quickExpect ? { rules: quickExpect } : {}) };
  }
  if (o.seeds) s.seeds = o.seeds;
  if (o.tuned) s.tuned = o.tuned;
  if (o.epochs !== undefined) s.epochs = o.epochs;
  if (o.subset !== undefined) {
    const v = isRecord(s.data) ? s.data.validation : undefined;
    let validation = v;
    if (typeof v === 'number' && v >= 1 && Number.isInteger(v)) {
      const before = s.data.train ?? trainSize?.(s.data);
      if (before !== undefined) validation = Math.max(1, Math.round((v * o.subset) / before));
      if ((validation as number) >= o.subset) {
        const scaled = before !== undefined ? ` of ${before} training samples scales to ${validation} of ${o.subset}` : '';
        throw new SpecError(`--subset ${o.subset}: too small to hold out data.validation ${v}${scaled}; use a larger --subset`);
      }
    }
    s.data = { ...s.data, train: o.subset, ...(validation !== undefined ? { validation } : {}) };
  }
  if (o.rules) {
    const ids = (e: string | RuleEntry) => (typeof e === 'string' ? e : typeof e.rule === 'string' ? e.rule : e.rule.id);
    const known = s.rules.map(ids);
    for (const r of o.rules)
      if (!known.includes(r)) throw new SpecError(`--rules: "${r}" is not in the experiment; its rules: ${known.join(', ')}`);
    s.rules = s.rules.filter((e) => o.rules!.includes(ids(e)));
  }
  return s;
}

/** The rule entries with `quick.expect`'s sentences (keyed by rule id) as their `expect`. */
function quickExpectations(rules: ExperimentSpec['rules'], expect: unknown): ExperimentSpec['rules'] {
  const byId = needRecord('quick.expect', expect);
  if (!Array.isArray(rules)) return rules; // validateSpec names that problem
  const idOf = (e: unknown) =>
    typeof e === 'string' ? e : isRecord(e) ? (typeof e.rule === 'string' ? e.rule : isRecord(e.rule) ? e.rule.id : undefined) : undefined;
  const ids = rules.map(idOf);
  for (const [id, why] of Object.entries(byId)) {
    if (!ids.includes(id)) throw new SpecError(`quick.expect.${id}: no rule "${id}" in the experiment; its rules: ${ids.join(', ')}`);
    if (typeof why !== 'string' || !why.trim())
      throw new SpecError(`quick.expect.${id}: expected a sentence saying what to expect of the rule, got ${show(why)}`);
  }
  return rules.map((e, i) => {
    const why = byId[ids[i] as string];
    if (typeof why !== 'string') return e;
    return typeof e === 'string' ? { rule: e, expect: why } : { ...e, expect: why };
  });
}

/** Rules × grid points × seeds, in a fixed order. */
export function expandTrials(spec: ValidatedSpec, debug = false): Trial[] {
  const trials: Trial[] = [];
  for (const [entry, r] of spec.rules.entries()) {
    const budget = r.budget ?? spec.budget;
    const { adapters, distill } = r;
    for (const point of cartesian(r.grid)) {
      for (const seed of spec.seeds) {
        const config: TrialConfig = {
          experiment: spec.name,
          rule: r.rule.id,
          options: ruleOptions(r.rule, { ...r.options, ...point }),
          seed,
          data: spec.data,
          task: spec.task,
          model: spec.model,
          optimizer: r.optimizer ?? spec.optimizer,
          batchSize: spec.batchSize,
          epochs: spec.epochs,
          maxSteps: spec.maxSteps ?? 0,
          evalEvery: spec.evalEvery ?? 0,
          alignEvery: spec.alignEvery ?? 0,
          alignSamples: spec.alignSamples ?? 64,
          memory: spec.memory ?? true,
          debug,
          init: spec.init,
          saveParams: spec.saveParams,
          // Left out when unset, so the ids of existing trials stay as they were.
          ...(spec.divergence ? { divergence: spec.divergence } : {}),
          ...(spec.precision ? { precision: spec.precision } : {}),
          ...(budget ? { budget } : {}),
          ...(adapters ? { adapters } : {}),
          ...(distill ? { distill } : {}),
        };
        trials.push({ id: trialId(config), config, rule: r.rule, entry });
      }
    }
  }
  const seen = new Set<string>();
  for (const t of trials) {
    if (seen.has(t.id))
      throw new SpecError(
        `rules: two entries give the same trial (rule "${t.config.rule}", options ${show(t.config.options)}, seed ${t.config.seed})`,
      );
    seen.add(t.id);
  }
  return trials;
}
