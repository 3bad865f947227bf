// Published figures with their protocols: the schema an experiment's `references` follow, its
// validation, the protocol a run actually followed (read from its resolved spec), and the
// comparison that says whether a published figure was obtained the way ours was.
import { SpecError } from '../errors.ts';
import type { OptionValue, RuleOptions } from '../rules/rule.ts';

/**
 * The network a figure was obtained with. `name` is compared case- and punctuation-blind
 * ("LeNet-5" = "lenet5"); an MLP is named "MLP" and may give its hidden widths and activation.
 * Anything the source does not state is left out, and is then reported as not stated.
 */
export interface Architecture {
  name: string;
  /** Hidden layer widths, input to output (input and output are fixed by the dataset). */
  hidden?: number[];
  activation?: string;
}

export interface Regularization {
  /** Dropout probability; `true` when the source says dropout was used without its rate. */
  dropout?: number | true;
  /** L2 weight decay coefficient. */
  weightDecay?: number;
  /** Anything else (augmentation, peer normalization, ...): never matches a run, which has none. */
  other?: string;
}

/** Images used for training (after any validation hold-out), validation and testing. */
export interface Split {
  train?: number;
  validation?: number;
  test?: number;
}

/** Which figure: the final model on the test set, or the best validation score over training. */
export type Evaluation = 'test' | 'best-validation';
export const EVALUATIONS: readonly Evaluation[] = ['test', 'best-validation'];

/** How a figure was obtained. `null` marks a field the source does not state. */
export interface Protocol {
  architecture: Architecture;
  epochs: number | null;
  split: Split | null;
  /** `{}` means none; null means the source does not say. */
  regularization: Regularization | null;
  evaluation: Evaluation;
}

export type ReferenceMetric = 'error %' | 'accuracy %';
export const REFERENCE_METRICS: readonly ReferenceMetric[] = ['error %', 'accuracy %'];

/** A published figure, read in its source, to be placed beside the rule configuration it names. */
export interface Reference {
  /** Citation, e.g. "Sanfiz & Akrout 2021 (BioTorch)". */
  source: string;
  /** Where in the source the figure was read: a table, section or file. */
  location: string;
  /** The rule (by id) and, optionally, the options a series must have (e.g. { variant: 'usf' }). */
  rule: string;
  options?: RuleOptions;
  dataset: string;
  metric: ReferenceMetric;
  value: number;
  protocol: Protocol;
  note?: string;
}

const REFERENCE_KEYS = ['source', 'location', 'rule', 'options', 'dataset', 'metric', 'value', 'protocol', 'note'];
const PROTOCOL_KEYS = ['architecture', 'epochs', 'split', 'regularization', 'evaluation'];
const ARCHITECTURE_KEYS = ['name', 'hidden', 'activation'];
const SPLIT_KEYS = ['train', 'validation', 'test'];
const REGULARIZATION_KEYS = ['dropout', 'weightDecay', 'other'];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v)));

function record(field: string, v: unknown, keys: readonly string[]): Record<string, unknown> {
  if (!isRecord(v)) throw new SpecError(`${field}: expected an object, got ${show(v)}`);
  for (const k of Object.keys(v))
    if (!keys.includes(k)) throw new SpecError(`${field}.${k}: unknown key; accepted keys: ${keys.join(', ')}`);
  return v;
}

function text(field: string, v: unknown): string {
  if (typeof v !== 'string' || !v.trim()) throw new SpecError(`${field}: expected a non-empty string, got ${show(v)}`);
  return v;
}

function count(field: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new SpecError(`${field}: expected an integer ≥ ${min}, got ${show(v)}`);
  return v;
}

function rate(field: string, v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v >= max)
    throw new SpecError(`${field}: expected a number in [0, ${max}), got ${show(v)}`);
  return v;
}

function percent(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100)
    throw new SpecError(`${field}: expected a percentage in [0, 100], got ${show(v)}`);
  return v;
}

function oneOf<T extends string>(field: string, v: unknown, accepted: readonly T[]): T {
  if (!accepted.includes(v as T))
    throw new SpecError(`${field}: expected one of ${accepted.map((a) => `"${a}"`).join(', ')}, got ${show(v)}`);
  return v as T;
}

function validateProtocol(field: string, raw: unknown): Protocol {
  const p = record(field, raw, PROTOCOL_KEYS);
  for (const k of PROTOCOL_KEYS) {
    if (!(k in p))
      throw new SpecError(
        `${field}.${k}: missing; a protocol states ${PROTOCOL_KEYS.join(', ')} (null for what the source does not state)`,
      );
  }
  const a = record(`${field}.architecture`, p.architecture, ARCHITECTURE_KEYS);
  const architecture: Architecture = { name: text(`${field}.architecture.name`, a.name) };
  if (a.hidden !== undefined) {
    if (!Array.isArray(a.hidden) || !a.hidden.length)
      throw new SpecError(`${field}.architecture.hidden: expected a non-empty array of widths, got ${show(a.hidden)}`);
    architecture.hidden = a.hidden.map((w, i) => count(`${field}.architecture.hidden[${i}]`, w, 1));
  }
  if (a.activation !== undefined) architecture.activation = text(`${field}.architecture.activation`, a.activation);
  const epochs = p.epochs === null ? null : count(`${field}.epochs`, p.epochs, 1);
  let split: Split | null = null;
  if (p.split !== null) {
    const s = record(`${field}.split`, p.split, SPLIT_KEYS);
    split = {};
    for (const k of SPLIT_KEYS as Array<keyof Split>) if (s[k] !== undefined) split[k] = count(`${field}.split.${k}`, s[k], 0);
  }
  let regularization: Regularization | null = null;
  if (p.regularization !== null) {
    const r = record(`${field}.regularization`, p.regularization, REGULARIZATION_KEYS);
    regularization = {};
    if (r.dropout !== undefined) regularization.dropout = r.dropout === true ? true : rate(`${field}.regularization.dropout`, r.dropout, 1);
    if (r.weightDecay !== undefined) regularization.weightDecay = rate(`${field}.regularization.weightDecay`, r.weightDecay, Infinity);
    if (r.other !== undefined) regularization.other = text(`${field}.regularization.other`, r.other);
  }
  return { architecture, epochs, split, regularization, evaluation: oneOf(`${field}.evaluation`, p.evaluation, EVALUATIONS) };
}

/** One reference; every problem is a SpecError naming the field. */
export function validateReference(field: string, raw: unknown): Reference {
  const r = record(field, raw, REFERENCE_KEYS);
  const ref: Reference = {
    source: text(`${field}.source`, r.source),
    location: text(`${field}.location`, r.location),
    rule: text(`${field}.rule`, r.rule),
    dataset: text(`${field}.dataset`, r.dataset),
    metric: oneOf(`${field}.metric`, r.metric, REFERENCE_METRICS),
    value: percent(`${field}.value`, r.value),
    protocol: validateProtocol(`${field}.protocol`, r.protocol),
  };
  if (r.options !== undefined) {
    if (!isRecord(r.options)) throw new SpecError(`${field}.options: expected an object of rule options, got ${show(r.options)}`);
    const o = r.options;
    for (const [k, v] of Object.entries(o)) {
      if (!['number', 'string', 'boolean'].includes(typeof v))
        throw new SpecError(`${field}.options.${k}: expected a number, string or boolean, got ${show(v)}`);
    }
    ref.options = o as Record<string, OptionValue>;
  }
  if (r.note !== undefined) ref.note = text(`${field}.note`, r.note);
  // A figure quoted from memory cannot be checked against its protocol: it has no place here.
  for (const k of ['source', 'location', 'note'] as const) {
    if (/\b(recalled|unverified|from memory)\b/i.test(ref[k] ?? '')) {
      throw new SpecError(
        `${field}.${k}: says the figure was not read in its source (${show(ref[k])}); only figures read in a source are accepted — read it and name where in location`,
      );
    }
  }
  return ref;
}

/** An experiment's `references` array. */
export function validateReferences(raw: unknown, field = 'references'): Reference[] {
  if (!Array.isArray(raw)) throw new SpecError(`${field}: expected an array of references, got ${show(raw)}`);
  return raw.map((r, i) => validateReference(`${field}[${i}]`, r));
}

// ---------------------------------------------------------------------------------------------
// The run's own protocol.

/** Sizes of the standard splits, as the datasets publish them (MNIST and Fashion-MNIST: 60k / 10k). */
const STANDARD_SPLITS: Record<string, { train: number; test: number }> = {
  mnist: { train: 60_000, test: 10_000 },
  'fashion-mnist': { train: 60_000, test: 10_000 },
};

/** The protocol a run followed; fields it cannot tell are undefined. */
export interface RunProtocol {
  dataset: string | undefined;
  architecture: Architecture & { sizes?: number[] };
  epochs: number | undefined;
  split: Split;
  regularization: { dropout: number; weightDecay: number };
  /** The figures the run records: always the final test accuracy; best validation when it held some out. */
  evaluations: Evaluation[];
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/**
 * From the resolved spec the runner wrote to experiment.json (after --quick and other overrides),
 * for one rule entry's optimizer when it has its own. Reads defensively: the file may be old.
 */
export function runProtocol(spec: unknown, optimizer?: unknown): RunProtocol {
  const s = isRecord(spec) ? spec : {};
  const data = isRecord(s.data) ? s.data : {};
  const model = isRecord(s.model) ? s.model : {};
  const opt = isRecord(optimizer) ? optimizer : isRecord(s.optimizer) ? s.optimizer : {};
  const dataset = str(data.name);
  const standard = dataset ? STANDARD_SPLITS[dataset] : undefined;
  const loaded = num(data.train) ?? standard?.train;
  // validation 'test': the test set doubles as the validation set (BioTorch's benchmark does this).
  const onTest = data.validation === 'test';
  const v = num(data.validation) ?? 0;
  const held = onTest ? 0 : loaded === undefined ? (v >= 1 ? v : undefined) : v < 1 ? Math.round(v * loaded) : v;
  const testCount = num(data.test) ?? standard?.test;
  const sizes = Array.isArray(model.sizes) && model.sizes.every((x) => typeof x === 'number') ? (model.sizes as number[]) : undefined;
  const extras = [model.residual === true ? 'residual' : '', model.layerNorm === true ? 'layer norm' : ''].filter(Boolean);
  const architecture: RunProtocol['architecture'] = sizes
    ? { name: extras.length ? `MLP (${extras.join(', ')})` : 'MLP', sizes, hidden: sizes.slice(1, -1), activation: str(model.activation) }
    : { name: presetName(model) };
  return {
    dataset,
    architecture,
    epochs: num(s.epochs),
    split: {
      train: loaded !== undefined && held !== undefined ? loaded - held : undefined,
      validation: onTest ? testCount : held,
      test: testCount,
    },
    regularization: { dropout: num(model.dropout) ?? layerDropout(model.layers), weightDecay: num(opt.weightDecay) ?? 0 },
    evaluations: held || onTest ? ['test', 'best-validation'] : ['test'],
  };
}

/** How the field names a preset: BioTorch's "LeNet", He et al.'s "ResNet-20". */
function presetName(model: Record<string, unknown>): string {
  if (model.preset === 'lenet5') return 'LeNet';
  if (model.preset === 'resnet') return `ResNet-${num(model.depth) ?? 20}`;
  return str(model.preset) ?? (Array.isArray(model.layers) ? 'custom layers' : 'custom model');
}

/** The largest dropout rate anywhere in a layer list (0: none). */
function layerDropout(layers: unknown): number {
  if (!Array.isArray(layers)) return 0;
  return layers.reduce(
    (m: number, l) => (isRecord(l) ? Math.max(m, l.type === 'dropout' ? (num(l.p) ?? 0) : 0, layerDropout(l.layers)) : m),
    0,
  );
}

// ---------------------------------------------------------------------------------------------
// Comparison.

const fmtCount = (n: number) => n.toLocaleString('en-US');
const canon = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

function widths(hidden: readonly number[]): string {
  return hidden.length > 1 && hidden.every((w) => w === hidden[0]) ? `${hidden.length}×${hidden[0]}` : hidden.join('-');
}

/** "MLP 4×2000 relu", "LeNet-5": how a reference's architecture reads. */
export function describeArchitecture(a: Architecture): string {
  return [a.name, a.hidden ? widths(a.hidden) : '', a.activation ?? ''].filter(Boolean).join(' ');
}

/** "MLP 784-256-256-10 relu": a run's architecture with its full layer sizes. */
export function describeRunArchitecture(a: RunProtocol['architecture']): string {
  return [a.name, a.sizes ? a.sizes.join('-') : '', a.activation ?? ''].filter(Boolean).join(' ');
}

export function describeRegularization(r: Regularization | RunProtocol['regularization'] | null): string {
  if (r === null) return 'not stated';
  const parts = [
    r.dropout === true ? 'dropout' : r.dropout ? `dropout ${r.dropout}` : '',
    r.weightDecay ? `weight decay ${r.weightDecay}` : '',
    'other' in r && r.other ? r.other : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'none';
}

export interface ProtocolComparison {
  /** No stated field differs (fields the source does not state are listed in `unstated`). */
  matches: boolean;
  /** Each difference as "published vs ours", e.g. "LeNet-5 vs MLP 784-256-256-10 relu", "100 vs 3 epochs". */
  differences: string[];
  unstated: string[];
  /** Which of our figures sits beside the published one. */
  ours: Evaluation;
}

const EVAL_NAMES: Record<Evaluation, string> = { test: 'final test', 'best-validation': 'best validation' };

export function compareProtocol(ref: Reference, run: RunProtocol): ProtocolComparison {
  const d: string[] = [];
  const unstated: string[] = [];
  const p = ref.protocol;
  if (run.dataset !== undefined && canon(ref.dataset) !== canon(run.dataset)) d.push(`${ref.dataset} vs ${run.dataset}`);

  const a = p.architecture;
  const ra = run.architecture;
  if (canon(a.name) !== canon(ra.name)) d.push(`${describeArchitecture(a)} vs ${describeRunArchitecture(ra)}`);
  else {
    const ours = describeArchitecture({ name: ra.name, hidden: ra.hidden, activation: ra.activation });
    const hiddenDiffers = a.hidden && ra.hidden && JSON.stringify(a.hidden) !== JSON.stringify(ra.hidden);
    const actDiffers = a.activation && ra.activation && a.activation.toLowerCase() !== ra.activation.toLowerCase();
    if (hiddenDiffers || actDiffers) d.push(`${describeArchitecture(a)} vs ${ours}`);
    if (!a.hidden && ra.hidden) unstated.push('hidden widths');
    if (!a.activation && ra.activation) unstated.push('activation');
  }

  if (p.epochs === null) unstated.push('epochs');
  else if (run.epochs !== undefined && p.epochs !== run.epochs) d.push(`${p.epochs} vs ${run.epochs} epochs`);

  const ours: Evaluation = run.evaluations.includes(p.evaluation) ? p.evaluation : 'test';
  if (ours !== p.evaluation) d.push(`${EVAL_NAMES[p.evaluation]} vs ${EVAL_NAMES[ours]} figure`);

  if (p.split === null) unstated.push('data split');
  else {
    // Training images always matter; of the evaluation splits, the one the figure is measured on.
    const compared: Array<[keyof Split, string]> = [
      ['train', 'training'],
      p.evaluation === 'test' ? ['test', 'test'] : ['validation', 'validation'],
    ];
    for (const [k, name] of compared) {
      const theirs = p.split[k];
      const mine = run.split[k];
      if (theirs === undefined) unstated.push(`${name} images`);
      else if (mine !== undefined && theirs !== mine) d.push(`${fmtCount(theirs)} vs ${fmtCount(mine)} ${name} images`);
    }
  }

  const r = p.regularization;
  if (r === null) unstated.push('regularization');
  else {
    const rr = run.regularization;
    const dropoutDiffers = r.dropout === true ? !(rr.dropout > 0) : (r.dropout ?? 0) !== rr.dropout;
    const decayDiffers = (r.weightDecay ?? 0) !== rr.weightDecay;
    if (dropoutDiffers || decayDiffers || r.other) d.push(`${describeRegularization(r)} vs ${describeRegularization(rr)} (regularization)`);
    if (r.dropout === true && rr.dropout > 0) unstated.push('dropout rate');
  }
  return { matches: d.length === 0, differences: d, unstated, ours };
}

/** Does a series (rule id + its full options) fall under this reference? */
export function referenceApplies(ref: Reference, rule: string, options: RuleOptions): boolean {
  return ref.rule === rule && Object.entries(ref.options ?? {}).every(([k, v]) => options[k] === v);
}
