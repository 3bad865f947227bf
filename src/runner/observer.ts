// What a measurement of a trial is: an observer the training loop notifies around each step, at
// each evaluation and at the trial's end. Each owns its state, the fields it adds to the records,
// and what of itself a checkpoint carries (snapshot / restore, in one place each).
import type { RuleContext, StepResult } from '../rules/rule.ts';
import type { Batch } from '../rules/task.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { StopReason } from './budget.ts';
import type { EvalRecord, SummaryRecord, TrialStatus } from './record-types.ts';
import type { StepReference } from './reference.ts';

/** One training step as observers see it. */
export interface StepInfo {
  readonly step: number;
  readonly epoch: number;
  readonly ctx: RuleContext;
  readonly batch: Batch;
  /** The rule's state as the step receives it. */
  readonly state: unknown;
  /** This step's alignment reference, when one is taken (set by the alignment observer; the health figures read it). */
  reference: StepReference | null;
}

/** An evaluation point: the scores the evaluation observer computed, for the others to read. */
export interface EvalInfo {
  readonly epoch: number;
  readonly step: number;
  /** The rule's context at this step (evaluation passes use ctx.infer). */
  readonly ctx: RuleContext;
  readonly state: unknown;
}

export interface Observer {
  /** Its key in a checkpoint. */
  readonly name: string;
  /**
   * Run the step — call `next` exactly once — inside what this observer measures around it (the
   * ledger's step, the clock, a signal probe). The first observer is outermost.
   */
  around?(s: StepInfo, next: () => StepResult<unknown>): StepResult<unknown>;
  /**
   * Parameter i's update (or its range from `offset`) as the optimizer receives it. Read its
   * values (`.data`) only when needed: on a device backend each read is a readback.
   */
  onUpdate?(i: number, update: Tensor, offset: number): void;
  /** Before step `step`: a reason to end training here (a budget the step would overspend), or null. */
  stopBefore?(step: number): StopReason | null;
  /** After the step's updates were applied (a throw ends the trial: divergence, a stop request). */
  afterStep?(s: StepInfo, res: StepResult<unknown>): void;
  /** Fields for the evaluation record at this point; the observer's interval figures start afresh. */
  evalFields?(e: EvalInfo): Partial<EvalRecord>;
  /** Fields for the summary, given the last evaluation record (null: none was made). */
  summaryFields?(last: EvalRecord | null): Partial<SummaryRecord>;
  /** When training has ended, before the summary (the trial's parameters are still live). */
  onFinish?(status: TrialStatus): void;
  /** At the end of each epoch, after its evaluation: `snapshot` is the whole trial's checkpoint. */
  onEpochEnd?(epoch: number, snapshot: () => Snapshot): void;
  /** Plain data (numbers, arrays, records, Rngs, tensors) that a resumed trial needs of this observer. */
  snapshot?(): unknown;
  restore?(saved: unknown): void;
}

/** What a checkpoint of a trial holds: the tensors restored in place, every other value by its owner's name. */
export interface Snapshot {
  /** The next epoch to run and the step count so far. */
  epoch: number;
  step: number;
  /** Parameters, buffers and optimizer slots: same shapes on resume, copied into the new ones. */
  tensors: readonly Tensor[];
  /** Anything else: plain data, tensors, typed arrays, Maps and Rngs. */
  values: Record<string, unknown>;
}
