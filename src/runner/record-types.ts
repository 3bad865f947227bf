// The record schema: what one trial writes, one JSON line per evaluation point plus a final
// summary. The report, the CSV export and every outside tool read these fields by name.
import type { Estimate, RuleOptions } from '../rules/rule.ts';
import type { TextSample } from '../rules/task.ts';
import type { AlignmentStats, ErrorSignalAlignment, LayerAlignment } from '../metrics/alignment.ts';
import type { ByCategory } from '../tensor/ledger.ts';
import type { StopReason } from './budget.ts';
import type { PrecisionRecord } from './precision.ts';

export type { Estimate };
export type { AlignmentStats, ErrorSignalAlignment, LayerAlignment } from '../metrics/alignment.ts';

/** What an alignment figure was compared with. */
export type AlignmentReference = 'task-gradient' | 'expected-gradient' | 'local-gradient';

/** One alignment measurement (every `alignEvery` steps, outside the step's time and memory). */
export interface AlignmentPoint {
  step: number;
  reference: AlignmentReference;
  /** Monte Carlo standard error of the overall cosine when the reference is sampled; null when exact. */
  referenceStdErr: number | null;
  layers: LayerAlignment[];
  /** Parameter-weighted over all parameters. */
  overall: AlignmentStats;
  /** Unweighted mean over layers. */
  layerMean: AlignmentStats;
  /** Per hidden weight layer; empty when the rule delivers no signal through a backward pass (MeZO). */
  errorSignals: ErrorSignalAlignment[];
  errorSignalMean: number | null;
}

export interface MemoryRecord {
  /** Highest step peak since the last record, and its breakdown. */
  peakBytes: number;
  /** By ledger category ('frozen' listed only when something was frozen: see recordedCategories). */
  atPeak: Partial<ByCategory>;
  peakByCategory: Partial<ByCategory>;
  /** Peak of a forward pass without a tape on one training batch (the reference). */
  inferenceBytes: number;
  ratioToInference: number;
  /** When the trial sets a precision: each category's bytes per float32 byte, at which every figure above is counted. */
  widths?: Partial<ByCategory>;
}

export interface EvalRecord {
  type: 'eval';
  trial: string;
  rule: string;
  options: RuleOptions;
  seed: number;
  epoch: number;
  step: number;
  trainLoss: number;
  valAcc: number | null;
  valLoss: number | null;
  testAcc: number;
  testLoss: number | null;
  /** Why valLoss and testLoss are null when the rule's predictions have no loss (its predicts: 'scores'); absent otherwise. */
  lossNote?: string;
  /**
   * Figures the task derives from the validation and test mean loss, by name (a language model's
   * bitsPerChar). Present only for tasks that define some.
   */
  valMetrics?: Record<string, number> | null;
  testMetrics?: Record<string, number>;
  memory: MemoryRecord | null;
  /** What the rule's updates estimate (declared by the rule). */
  estimates: Estimate;
  /** Name of the rule's own objective when `estimates` is 'own-objective' (alignment is then empty). */
  objective: string | null;
  alignment: AlignmentPoint[];
  metrics: Record<string, number>;
  diagnostics: Record<string, number>;
  /** Rounding and loss scaling over the interval, when the trial sets a precision (absent at float32 throughout). */
  precision?: PrecisionRecord;
  /** Forward-pass equivalents spent by the training steps so far (src/rules/cost.ts); absent in records written before it existed. */
  cost?: { forwardPasses: number };
  /** Timing and process figures: the only fields that differ between identical runs. */
  /** stepMs: wall time in training steps so far; stepCpuMs: the process's CPU time over the same spans (null when resumed from a checkpoint older than the field). */
  host: { wallMs: number; stepMs: number; stepCpuMs: number; rssBytes: number; heapBytes: number };
}

export type TrialStatus = 'done' | 'diverged' | 'failed';

/**
 * Why a trial did not finish as 'done'. Diverged: 'non-finite' (NaN/Inf loss or update) or
 * 'loss-bound' (past the spec's divergence bound). Failed: 'data' (unreadable or corrupt data),
 * 'spec' (a setting only the trial could check), 'rule' (the rule threw or returned a bad
 * update), 'memory' (an allocation failed), 'internal' (anything else: a bug to report).
 */
export type FailureKind = 'non-finite' | 'loss-bound' | 'data' | 'spec' | 'rule' | 'memory' | 'internal';

export interface Failure {
  kind: FailureKind;
  /** Step and epoch at which it happened; null before training started (e.g. loading data). */
  step: number | null;
  epoch: number | null;
}

export interface SummaryRecord {
  type: 'summary';
  trial: string;
  rule: string;
  options: RuleOptions;
  seed: number;
  status: TrialStatus;
  /** One line saying what went wrong (e.g. "DataError: …"); null when done. */
  error: string | null;
  /** Null when done; absent in records written before it existed (read status and error then). */
  failure?: Failure | null;
  epochs: number;
  steps: number;
  /** What ended training when it finished: its epochs, maxSteps or its budget (null: diverged or failed; absent before it existed). */
  stoppedBy?: StopReason | null;
  finalTestAcc: number;
  bestValAcc: number | null;
  /** The task's figures at the final evaluation (see EvalRecord.testMetrics), when it defines some. */
  finalTestMetrics?: Record<string, number>;
  finalValMetrics?: Record<string, number> | null;
  /** Text the final model generated from a fixed prompt, drawn from the trial's seeded 'sample' stream (language models). */
  sample?: TextSample | null;
  peakBytes: number | null;
  ratioToInference: number | null;
  estimates: Estimate;
  objective: string | null;
  /** Reference of the alignment figures below (null: none measured, or an own objective). */
  alignmentReference: AlignmentReference | null;
  /** Mean over alignment points of the parameter-weighted cosine. */
  meanCosine: number | null;
  /** Mean over alignment points of the mean-over-layers cosine. */
  meanLayerCosine: number | null;
  /** Mean over alignment points of the mean error-signal cosine. */
  meanErrorSignalCosine: number | null;
  /**
   * Forward-pass equivalents spent over the whole trial and per step, by the rule's cost model
   * (src/rules/cost.ts); absent in records written before it existed.
   */
  cost?: { forwardPasses: number; forwardPassesPerStep: number };
  /** medianStepMs: median wall time of the steps this process ran (null: none), robust to preemption. */
  host: { wallMs: number; stepMs: number; stepCpuMs: number; medianStepMs: number | null; msPerEpoch: number };
}

export type TrialRecord = EvalRecord | SummaryRecord;
