// An experiment's `tune` block: how many configurations each rule entry gets, the optimizer
// families every entry draws from (each with its learning rate's log range), the seeds a
// configuration trains on, the successive-halving rungs, and the validation figure that ranks them.
// Validated field by field (SpecErrors name `tune.<field>`); defaults filled in by `tuneDefaults`.
import { SpecError } from '../../errors.ts';
import { listOptimizers, optimizerFromSpec, type OptimizerSpec } from '../../optim/index.ts';

/** An optimizer family of the shared space: its fixed fields, and the log range of its learning rate. */
export type OptimizerFamily = OptimizerSpec extends infer S
  ? S extends unknown
    ? Omit<S, 'lr'> & { lr: [number, number] }
    : never
  : never;

export type BudgetUnit = 'steps' | 'epochs';

export interface HalvingSettings {
  /** What the rung budgets count (default 'steps'). */
  unit?: BudgetUnit;
  /** The last rung's budget (default: the experiment's own training length, in `unit`). */
  max?: number;
  /** η: each rung keeps the best 1/η and trains them η times longer (default 3). */
  eta?: number;
  /** Number of rungs (default 3): budgets max/η^(rungs−1), …, max/η, max. */
  rungs?: number;
}

export interface TuneSettings {
  /** Configurations per rule entry (default 16; `--budget N` overrides). */
  budget?: number;
  /** Seed of the quasi-random sampler (default 0). */
  seed?: number;
  /** Seeds a configuration trains on (default: the experiment's first); its score is their mean. */
  seeds?: number[];
  /** The optimizer families every entry draws from, each with its learning rate's range. */
  optimizers?: OptimizerFamily[];
  halving?: HalvingSettings;
  /** The validation figure that ranks configurations: accuracy (maximised, default) or loss (minimised). */
  metric?: 'valAcc' | 'valLoss';
}

/** The shared optimizer space when the experiment names none: heavy-ball SGD and Adam, each on its usual rates. */
export const DEFAULT_FAMILIES: OptimizerFamily[] = [
  { name: 'momentum', momentum: 0.9, lr: [1e-3, 0.3] },
  { name: 'adam', lr: [1e-5, 1e-2] },
];

export const DEFAULT_BUDGET = 16;

const KEYS = ['budget', 'seed', 'seeds', 'optimizers', 'halving', 'metric'];
const HALVING_KEYS = ['unit', 'max', 'eta', 'rungs'];

const show = (v: unknown) => JSON.stringify(v) ?? String(v);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function int(field: string, v: unknown, min: number, max = 1e9): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new SpecError(`${field}: expected an integer in [${min}, ${max}], got ${show(v)}`);
  return v;
}

function unknownKeys(field: string, v: Record<string, unknown>, accepted: string[]): void {
  for (const k of Object.keys(v))
    if (!accepted.includes(k)) throw new SpecError(`${field}.${k}: unknown key; accepted keys: ${accepted.join(', ')}`);
}

/** Check one optimizer family: a registered optimizer, lr a log range, the other fields its own. */
export function validateFamily(field: string, f: unknown): OptimizerFamily {
  if (!isRecord(f)) throw new SpecError(`${field}: expected { name, lr: [low, high], … }, got ${show(f)}`);
  const names = listOptimizers().map((k) => k.name);
  if (typeof f.name !== 'string' || !names.includes(f.name))
    throw new SpecError(`${field}.name: unknown optimizer ${show(f.name)}; accepted: ${names.join(', ')}`);
  const lr = f.lr;
  if (!Array.isArray(lr) || lr.length !== 2 || !lr.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0) || lr[0] > lr[1]) {
    throw new SpecError(`${field}.lr: expected the learning rate's log range [low, high] with 0 < low ≤ high, got ${show(lr)}`);
  }
  try {
    optimizerFromSpec({ ...f, lr: lr[0] } as OptimizerSpec);
  } catch (e) {
    throw new SpecError(`${field}: ${(e as Error).message}`);
  }
  return f as unknown as OptimizerFamily;
}

/** Validate a spec's `tune` block; `seeds` are the experiment's (tune.seeds need not be among them). */
export function validateTuneSettings(raw: unknown, _seeds: number[]): TuneSettings {
  if (!isRecord(raw)) throw new SpecError(`tune: expected an object, got ${show(raw)}`);
  unknownKeys('tune', raw, KEYS);
  if (raw.budget !== undefined) int('tune.budget', raw.budget, 1, 100_000);
  if (raw.seed !== undefined) int('tune.seed', raw.seed, 0, 2 ** 31);
  if (raw.seeds !== undefined) {
    if (!Array.isArray(raw.seeds) || raw.seeds.length === 0)
      throw new SpecError(`tune.seeds: expected a non-empty array of integers, got ${show(raw.seeds)}`);
    raw.seeds.forEach((s, i) => int(`tune.seeds[${i}]`, s, 0, 2 ** 31));
    if (new Set(raw.seeds).size !== raw.seeds.length) throw new SpecError(`tune.seeds: duplicates in ${show(raw.seeds)}`);
  }
  if (raw.optimizers !== undefined) {
    if (!Array.isArray(raw.optimizers) || raw.optimizers.length === 0)
      throw new SpecError(`tune.optimizers: expected a non-empty list of { name, lr: [low, high], … }, got ${show(raw.optimizers)}`);
    raw.optimizers.forEach((f, i) => validateFamily(`tune.optimizers[${i}]`, f));
  }
  if (raw.halving !== undefined) {
    const h = raw.halving;
    if (!isRecord(h)) throw new SpecError(`tune.halving: expected { unit, max, eta, rungs }, got ${show(h)}`);
    unknownKeys('tune.halving', h, HALVING_KEYS);
    if (h.unit !== undefined && h.unit !== 'steps' && h.unit !== 'epochs')
      throw new SpecError(`tune.halving.unit: expected 'steps' or 'epochs', got ${show(h.unit)}`);
    if (h.max !== undefined && !(typeof h.max === 'number' && Number.isFinite(h.max) && h.max > 0))
      throw new SpecError(`tune.halving.max: expected a positive number, got ${show(h.max)}`);
    if (h.eta !== undefined) int('tune.halving.eta', h.eta, 2, 100);
    if (h.rungs !== undefined) int('tune.halving.rungs', h.rungs, 1, 20);
  }
  if (raw.metric !== undefined && raw.metric !== 'valAcc' && raw.metric !== 'valLoss')
    throw new SpecError(`tune.metric: expected 'valAcc' or 'valLoss', got ${show(raw.metric)}`);
  return raw as TuneSettings;
}
