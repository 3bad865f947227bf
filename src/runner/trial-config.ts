// A fully resolved trial: everything that determines its records.
import type { DatasetName, LoadDatasetOptions } from '../data/index.ts';
import type { AdapterSpec } from '../nn/adapters.ts';
import type { ModelSpec } from '../nn/presets.ts';
import type { DistillSpec } from '../rules/distill.ts';
import type { OptimizerSpec } from '../optim/index.ts';
import type { RuleOptions } from '../rules/rule.ts';
import type { Budget } from './budget.ts';
import type { DivergenceSpec } from './divergence.ts';
import type { ParamFiles } from './param-files.ts';
import type { PrecisionSpec } from './precision.ts';

export interface DataConfig extends Omit<LoadDatasetOptions, 'rng'> {
  name: DatasetName;
  /**
   * Held out from the training set for validation: a fraction (< 1) or a count; or 'test' to
   * validate on the test set itself, as BioTorch's benchmark does (then best-validation is a
   * best-epoch test figure, and the report says so).
   */
  validation?: number | 'test';
}

export interface TrialConfig extends ParamFiles {
  experiment: string;
  rule: string;
  options: RuleOptions;
  seed: number;
  data: DataConfig;
  /** A named objective (rules/task.ts TASK_NAMES); absent: the data's own loss. */
  task?: string;
  model: ModelSpec;
  /** Freeze the model and train adapters on it (nn/adapters.ts); absent: every parameter trains (and absent from the trial id). */
  adapters?: AdapterSpec;
  /** Train on a teacher's soft targets (rules/distill.ts); absent: the data's own loss (and absent from the trial id). */
  distill?: DistillSpec;
  optimizer: OptimizerSpec;
  batchSize: number;
  epochs: number;
  /** Stop after this many steps in total (0: no limit). */
  maxSteps: number;
  /**
   * Train until this much is spent (forward-pass equivalents, or seconds of step wall time) and
   * stop before the step that would overspend it; absent: no budget (and absent from the trial id).
   */
  budget?: Budget;
  /** Also evaluate every this many steps (0: only at epoch ends). */
  evalEvery: number;
  /** Measure alignment with the rule's reference every this many steps (0: never). */
  alignEvery: number;
  /** Samples per example of a sampled expected-gradient reference (stochastic nets too large to enumerate). */
  alignSamples: number;
  /** Measure the step's memory with the ledger. */
  memory: boolean;
  /** Anomaly mode: name the first op producing NaN/Inf. */
  debug: boolean;
  /** When the trial counts as diverged (unset: the default bound). */
  divergence?: DivergenceSpec;
  /** Number formats and loss scaling (unset: float32 throughout, and absent from the trial id). */
  precision?: PrecisionSpec;
  /**
   * 'validation': score on the validation split only, never reading the test split (tuning
   * trials); the records' test figures are then null. Unset: both splits.
   */
  evaluate?: 'validation';
}
