// The one training loop: step the rule, apply its updates, notify the observers. Nothing here
// knows which rule it runs or what is measured (each measurement is an observer, ./observers/),
// and nothing here imports from Node: the CLI wraps it with files, locks and workers (trial.ts),
// a browser with a Web Worker.
import { withAnomalyMode } from '../autograd/tape.ts';
import { NumericsError, SpecError } from '../errors.ts';
import { distilled, type DistillSpec, type Teacher } from '../rules/distill.ts';
import { withAdapters } from '../nn/adapters.ts';
import { BatchStats } from '../nn/module.ts';
import { rng as seeded, type Rng } from '../random.ts';
import type { AnyRule, StepResult } from '../rules/rule.ts';
import { withLedger } from '../tensor/ledger.ts';
import { withArena, type Tensor } from '../tensor/tensor.ts';
import { applyUpdates } from './apply.ts';
import type { StopReason } from './budget.ts';
import { divergence, divergenceObserver } from './divergence.ts';
import { toBatch } from './evaluate.ts';
import { atStep } from './failure.ts';
import type { Observer, Snapshot, StepInfo } from './observer.ts';
import { alignmentObserver } from './observers/alignment.ts';
import { evaluationObserver } from './observers/evaluation.ts';
import { healthObserver } from './observers/health.ts';
import { memoryObserver } from './observers/memory.ts';
import { costObserver, trialStepCost } from './observers/cost.ts';
import { metricsObserver } from './observers/metrics.ts';
import { precisionObserver } from './observers/precision.ts';
import { guardParams } from './param-guard.ts';
import { timingObserver, type HostProbe } from './observers/timing.ts';
import { evalRecord, summaryRecord } from './record-fields.ts';
import type { EvalRecord, SummaryRecord, TrialRecord } from './record-types.ts';
import type { TrialConfig } from './trial-config.ts';
import { Training, type Prepared } from './training.ts';

export { Training, type Prepared };

/** A checkpoint to continue from: the tensors restored in place, the other values rebuilt (structure taken from `fresh`). */
export interface Resume {
  epoch: number;
  step: number;
  restore(into: readonly Tensor[], fresh: Record<string, unknown>): Record<string, unknown>;
}

/** One trial from its prepared data to its summary, with the standard measurements. */
export interface TrainingRun {
  config: TrialConfig;
  id: string;
  rule: AnyRule;
  data: Prepared;
  /** The starting parameters and buffers (a fresh draw from `init`, or a file's). */
  start(init: Rng): { params: Tensor[]; buffers: Tensor[] };
  host: HostProbe;
  /** When the trial began (its wall time counts from there; default: now). */
  startedAt?: number;
  /** Observers after the standard ones: checkpoints, a stop request, parameter files. */
  observers?(t: Training): Observer[];
  emit(r: TrialRecord): void;
  resume?: Resume | null;
  /** Reads a distillation teacher (config.distill) for this data: Node's reads its parameter file. */
  teacher?(spec: DistillSpec, data: Prepared): Teacher;
}

/**
 * Run a trial: in a ledger of its own (its figures never include another's bytes) and in
 * anomaly mode when its config asks, set it up, train it, and return its summary.
 */
export function runTraining(r: TrainingRun): SummaryRecord {
  return withLedger(() =>
    withAnomalyMode(() => {
      const init = seeded(r.config.seed).child('init');
      const start = r.start(init);
      // With adapters the trial trains the adapters of a model frozen at its starting parameters.
      const spec = r.config.adapters;
      const model = spec ? withAdapters(r.data.model, start.params, spec) : r.data.model;
      const params = spec ? model.init(init.child('adapters')) : start.params;
      const distill = r.config.distill;
      if (distill && !r.teacher)
        throw new SpecError('distill: this runner cannot read a teacher (its parameter file); run the experiment with the CLI');
      const teacher = distill ? r.teacher!(distill, r.data) : null;
      const task = distill ? distilled(r.data.task, teacher!.forward, distill) : r.data.task;
      const t = new Training(r.config, r.id, r.rule, { ...r.data, model, task }, params, start.buffers);
      try {
        return trainLoop(t, [...standardObservers(t, r.host, r.startedAt), ...(r.observers?.(t) ?? [])], r.emit, r.resume ?? null);
      } finally {
        for (const p of [...(spec ? start.params : []), ...(teacher?.tensors ?? [])]) p.dispose();
      }
    }, r.config.debug),
  );
}

/** The measurements every trial records, in the order they nest around a step and fill a record. */
export function standardObservers(t: Training, host: HostProbe, startedAt?: number): Observer[] {
  const { config, rule, data, params } = t;
  const clips = config.optimizer.clipNorm !== undefined || config.optimizer.clipValue !== undefined;
  return [
    evaluationObserver(rule, data.task, data, config.batchSize, config.evaluate !== 'validation'),
    metricsObserver(t.optState, clips),
    ...(t.precision ? [precisionObserver(t.precision)] : []),
    alignmentObserver(rule, data.model, { every: t.alignEvery, samples: config.alignSamples, rng: t.root.child('reference') }),
    ...(config.memory ? [memoryObserver(data.model, params, t.infer, t.precision?.ledgerWidths())] : []),
    healthObserver(rule, data.model, params, t.infer, data.validation ?? data.test, config.batchSize),
    divergenceObserver(rule.id, config.divergence),
    costObserver(trialStepCost(rule, t.options, data.model, config.batchSize, config.budget), config.budget),
    timingObserver(host, t.loader.batches, startedAt, config.budget),
  ];
}

/** Where the loop stands: its step count, its epoch, and the last evaluation record. */
interface Position {
  step: number;
  epoch: number;
  last: EvalRecord | null;
}

/**
 * Train `t` to the end (its epochs, or maxSteps), calling `emit` with each record as it is made
 * (the last one is the summary, also returned). Given a checkpoint to resume from, it continues
 * after it exactly as if it had not stopped.
 */
export function trainLoop(
  t: Training,
  observers: readonly Observer[],
  emit: (r: TrialRecord) => void,
  resume: Resume | null = null,
): SummaryRecord {
  const steps = trainSteps(t, observers, emit, resume);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * The same loop, paused after each step (yielding the steps done): whoever drives it decides
 * when the next step runs — the playground's worker, between messages. Driven to the end it is
 * trainLoop, record for record.
 */
export function* trainSteps(
  t: Training,
  observers: readonly Observer[],
  emit: (r: TrialRecord) => void,
  resume: Resume | null = null,
): Generator<number, SummaryRecord, void> {
  const { config } = t;
  const at: Position = { step: 0, epoch: 0, last: null };
  const parts: Observer[] = [positionPart(t, at), ...observers];
  const startEpoch = resume ? restore(t, parts, resume, at) : 0;
  const record = (epoch: number): void =>
    withArena(() => {
      const info = { epoch, step: at.step, ctx: t.ctxAt(at.step), state: t.state };
      at.last = evalRecord(
        t.head,
        info,
        observers.map((o) => o.evalFields?.(info) ?? {}),
      );
      emit(at.last);
    });
  let outcome: Partial<SummaryRecord> = { status: 'done', stoppedBy: 'epochs' };
  try {
    const limit = config.maxSteps > 0 ? config.maxSteps : Infinity;
    train: for (at.epoch = startEpoch; at.epoch < config.epochs; at.epoch++) {
      for (const b of t.loader.epoch(at.epoch)) {
        const stop = at.step >= limit ? 'maxSteps' : stopReason(observers, at.step);
        if (stop) {
          outcome.stoppedBy = stop;
          break train;
        }
        // Everything the step creates (batch, tape, updates) is freed when it ends.
        withArena(() => trainStep(t, observers, toBatch(t.data.train, b.x, b.y, b.size), at));
        at.step++;
        if (config.evalEvery > 0 && at.step % config.evalEvery === 0) record(at.epoch);
        yield at.step;
      }
      if (at.last?.step !== at.step) record(at.epoch);
      const epoch = at.epoch;
      for (const o of parts) o.onEpochEnd?.(epoch, () => snapshot(t, parts, epoch + 1, at.step));
    }
    // Stopped by maxSteps or a budget part-way through an epoch: record where it stopped.
    if (at.step > 0 && at.last?.step !== at.step) record(Math.min(at.epoch, config.epochs - 1));
  } catch (e) {
    if (!(e instanceof NumericsError)) throw atStep(e, at.step, at.epoch);
    outcome = { status: 'diverged', error: `${e.message} (step ${at.step}, epoch ${at.epoch})`, failure: divergence(e, at.step, at.epoch) };
  }
  for (const o of observers) o.onFinish?.(outcome.status!);
  // A diverged trial's text sampling is not worth drawing.
  const { task, model } = t.data;
  const sample =
    outcome.status === 'done' && task.sample
      ? withArena(() => task.sample!((x) => model.forward(t.params, x, t.infer), t.root.child('sample')))
      : undefined;
  const summary = summaryRecord(t.head, [
    { ...outcome, epochs: at.step / Math.max(1, t.loader.batches), steps: at.step, sample },
    ...observers.map((o) => o.summaryFields?.(at.last) ?? {}),
  ]);
  emit(summary);
  t.dispose();
  return summary;
}

/** One step: the rule's step and its updates applied, nested in the observers' `around`, then each observer's `afterStep`. */
function trainStep(t: Training, observers: readonly Observer[], batch: StepInfo['batch'], at: Position): void {
  const stats = new BatchStats();
  const ctx = t.ctxAt(at.step, stats);
  const s: StepInfo = { step: at.step, epoch: at.epoch, ctx, batch, state: t.state, reference: null };
  const watch = (i: number, u: Tensor, offset: number) => {
    for (const o of observers) o.onUpdate?.(i, u, offset);
  };
  const { precision } = t;
  const res = nest(observers, s, () => {
    const ruleStep = () => t.rule.step(ctx, t.state, batch);
    const r = precision
      ? precision.settle(guardParams(t.rule.id, t.rule.restoreTolerance ?? 0, t.params, () => precision.step(t.params, at.step, ruleStep)))
      : guardParams(t.rule.id, t.rule.restoreTolerance ?? 0, t.params, ruleStep);
    applyUpdates(r.updates, {
      ruleId: t.rule.id,
      model: t.data.model,
      params: t.params,
      optimizer: t.optimizer,
      optState: t.optState,
      step: at.step,
      watch,
      precision: precision ?? undefined,
    });
    precision?.afterStep(t.params, t.optState);
    stats.commit(t.buffers);
    t.state = r.state;
    return r;
  });
  for (const o of observers) o.afterStep?.(s, res);
}

/** The first observer's reason to stop before `step`, if any. */
function stopReason(observers: readonly Observer[], step: number): StopReason | null {
  for (const o of observers) {
    const why = o.stopBefore?.(step);
    if (why) return why;
  }
  return null;
}

/** Run `s` through each observer's `around`, the first outermost, with `core` at the centre. */
function nest(observers: readonly Observer[], s: StepInfo, core: () => StepResult<unknown>): StepResult<unknown> {
  const from = (i: number): StepResult<unknown> => {
    for (let j = i; j < observers.length; j++) {
      const o = observers[j];
      if (o.around) return o.around(s, () => from(j + 1));
    }
    return core();
  };
  return from(0);
}

/** The loop's own part of a checkpoint: the training's carried values and the last record. */
function positionPart(t: Training, at: Position): Observer {
  return {
    name: 'training',
    snapshot: () => ({ ...t.snapshot(), last: at.last }),
    restore(saved) {
      t.restore(saved);
      at.last = (saved as { last: EvalRecord | null }).last;
    },
  };
}

function snapshot(t: Training, parts: readonly Observer[], epoch: number, step: number): Snapshot {
  const values: Record<string, unknown> = {};
  for (const o of parts) if (o.snapshot) values[o.name] = o.snapshot();
  return { epoch, step, tensors: t.tensors(), values };
}

/** Restore every part from `resume`; returns the epoch to continue with. */
function restore(t: Training, parts: readonly Observer[], resume: Resume, at: Position): number {
  const values = resume.restore(t.tensors(), { training: { state: t.state } });
  for (const o of parts) o.restore?.(values[o.name]);
  at.step = resume.step;
  return resume.epoch;
}
