// The one training loop. It runs any rule the same way: rule.step → optimizer → apply, with
// memory measured around the step and alignment with the reference the rule's declaration
// picks measured beside it. Nothing here knows which rule it runs.
import { noGrad, leaves, type TensorTree } from '../autograd/functional.ts';
import { setAnomalyMode } from '../autograd/tape.ts';
import { NumericsError } from '../errors.ts';
import { Loader, split } from '../data/loader.ts';
import { loadDataset, type DatasetName, type LoadDatasetOptions } from '../data/index.ts';
import { targetWidth, type Dataset } from '../data/dataset.ts';
import { AlignmentMeter } from '../metrics/alignment.ts';
import type { EvalRecord, Failure, SummaryRecord, TrialRecord, TrialStatus } from './record-types.ts';
import { DivergenceWatch, divergence, type DivergenceSpec } from './divergence.ts';
import { atStep } from './failure.ts';
import { deadUnitShare, gradientNorms } from '../metrics/health.ts';
import { buildModel, type Model } from '../nn/model.ts';
import { BatchStats, withSignalProbe, type ForwardOptions } from '../nn/module.ts';
import type { ModelSpec } from '../nn/presets.ts';
import { optimizerFromSpec, type OptimizerSpec } from '../optim/index.ts';
import { rng as seeded, type Rng, type RngState } from '../random.ts';
import type { OptState } from '../optim/index.ts';
import type { LoadedCheckpoint, Snapshot } from './checkpoint.ts';
import type { AnyRule, RuleContext, RuleOptions } from '../rules/rule.ts';
import { taskFor, withObjective, type Batch, type Task } from '../rules/task.ts';
import { CATEGORIES, ledger, emptyByCategory, type ByCategory, type StepMemory } from '../tensor/ledger.ts';
import { fromArray, sizeOf, withArena, type Tensor } from '../tensor/tensor.ts';
import { adoptState } from '../rules/state.ts';
import { quantiles } from '../report/stats.ts';
import { ruleContext } from '../rules/context.ts';
import { applyUpdates } from './apply.ts';
import { Interrupted, stopRequested } from './interrupt.ts';
import { alignmentPoint, ruleProbe, stepReference } from './reference.ts';
import { finishTrial, startingParams, summaryMetricFields, taskMetricFields, type ParamFiles } from './task-hooks.ts';

export interface DataConfig extends Omit<LoadDatasetOptions, 'rng'> {
  name: DatasetName;
  /**
   * Held out from the training set for validation: a fraction (< 1) or a count; or 'test' to
   * validate on the test set itself, as BioTorch's benchmark does (then best-validation is a
   * best-epoch test figure, and the report says so).
   */
  validation?: number | 'test';
}

/** A fully resolved trial: everything that determines its records. */
export interface TrialConfig extends ParamFiles {
  experiment: string;
  rule: string;
  options: RuleOptions;
  seed: number;
  data: DataConfig;
  /** A named objective (rules/task.ts TASK_NAMES); absent: the data's own loss. */
  task?: string;
  model: ModelSpec;
  optimizer: OptimizerSpec;
  batchSize: number;
  epochs: number;
  /** Stop after this many steps in total (0: no limit). */
  maxSteps: number;
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
}

export type { MemoryRecord, EvalRecord, SummaryRecord, TrialRecord, TrialStatus, AlignmentPoint } from './record-types.ts';

export interface Prepared {
  model: Model;
  task: Task;
  train: Dataset;
  validation: Dataset | null;
  test: Dataset;
}

/** The data, task and model of a trial (its seed's data stream), as the trial will build them. */
export function prepareTrial(config: TrialConfig): Prepared {
  return prepare(config, seeded(config.seed).child('data'));
}

function prepare(config: TrialConfig, data: Rng): Prepared {
  const { name, validation = 0, ...opts } = config.data;
  const tt = loadDataset(name, { ...opts, rng: data.child('dataset') });
  const held = typeof validation === 'number' && validation > 0 && !tt.validation ? split(tt.train, validation, data.child('validation')) : null;
  const train = held ? held.train : tt.train;
  const task = withObjective(config.task, taskFor(train, tt.test));
  const model = buildModel(config.model, { sampleShape: train.shape, outputs: train.kind === 'classification' ? train.classes : targetWidth(train), outputShape: task.outputShape });
  return { model, task, train, validation: validation === 'test' ? tt.test : held ? held.validation : tt.validation ?? null, test: tt.test };
}

/** Rows [from, from + size) of a dataset (or of a loader's batch buffers) as a Batch of tensors. */
function toBatch(ds: Dataset, x: Float32Array, y: Int32Array | Float32Array, size: number, from = 0): Batch {
  const xt = fromArray(x.subarray(from * ds.features, (from + size) * ds.features), [size, ds.features]);
  const w = targetWidth(ds);
  if (ds.kind === 'classification') return { x: xt, labels: (y as Int32Array).subarray(from * w, (from + size) * w), size };
  return { x: xt, targets: fromArray((y as Float32Array).subarray(from * w, (from + size) * w), [size, w]), size };
}

export const EVAL_BYTES = 512 * 2 ** 20;
/** Tensors a layer makes per output in evaluation (batch norm's composed ops make about four). */
const TEMPORARIES_PER_OUTPUT = 4;

/**
 * Rows per evaluation chunk: at most `chunk`, ~16k labels (a sequence sample carries one per
 * position), and about EVAL_BYTES of forward outputs, since a chunk's arena holds them all
 * until it ends (a ResNet-20 makes ~6 MB per 32×32 image: 1000 of them overflowed the 4 GB
 * WASM memory and fell back to the reference kernels).
 */
export function evalRows(model: Model, ds: Dataset, chunk = 1000): number {
  const perSample = model.modules().reduce((s, m) => s + (m.children.length ? 0 : sizeOf(m.outShape)), 0) * 4 * TEMPORARIES_PER_OUTPUT;
  return Math.max(1, Math.min(chunk, Math.floor(16_384 / targetWidth(ds)), Math.floor(EVAL_BYTES / perSample)));
}

/** Accuracy and mean loss over a dataset, in chunks, without a tape; the task scores the outputs. */
export function evaluate(rule: AnyRule, ctx: RuleContext, state: unknown, ds: Dataset, chunk = 1000): { acc: number; loss: number | null } {
  const rows = evalRows(ctx.model, ds, chunk);
  return noGrad(() => {
    let correct: number | null = 0;
    let lossSum = 0;
    let count = 0;
    // One arena per chunk: a conv net's im2col columns for 1000 images are tens of MB each.
    for (let from = 0; from < ds.n; from += rows) withArena(() => {
      const size = Math.min(rows, ds.n - from);
      const batch = toBatch(ds, ds.x, ds.y, size, from);
      const scores = rule.predict ? rule.predict(ctx, state, batch.x) : ctx.model.forward(ctx.params, batch.x, ctx.infer);
      const s = ctx.task.score(scores, batch);
      lossSum += s.lossSum;
      count += s.count;
      correct = correct === null || s.correct === null ? null : correct + s.correct;
    });
    return { acc: correct === null || count === 0 ? NaN : correct / count, loss: rule.predict ? null : lossSum / count };
  });
}

/** Peak bytes of a tape-free forward pass on one batch: parameters, input and activations. */
function inferencePeak(model: Model, params: readonly Tensor[], batch: Batch, infer: ForwardOptions): number {
  const { memory } = ledger.measure(() => noGrad(() => model.forward(params, fromArray(batch.x.data, batch.x.shape), infer)));
  const paramBytes = params.reduce((s, p) => s + p.bytes, 0);
  // Optimizer and rule state are live too but are not part of inference.
  return memory.peakBytes - memory.startBytes + paramBytes;
}

/** A step's memory less the persistent bytes other code in the process holds. */
function withoutForeign(m: StepMemory, foreign: ByCategory): StepMemory {
  const total = CATEGORIES.reduce((a, c) => a + foreign[c], 0);
  const less = (b: ByCategory) => Object.fromEntries(CATEGORIES.map((c) => [c, b[c] - foreign[c]])) as ByCategory;
  return { startBytes: m.startBytes - total, peakBytes: m.peakBytes - total, atPeak: less(m.atPeak), peakByCategory: less(m.peakByCategory) };
}

function mergePeak(acc: StepMemory | null, m: StepMemory): StepMemory {
  if (!acc || m.peakBytes > acc.peakBytes) {
    const peakByCategory = emptyByCategory();
    for (const k of Object.keys(peakByCategory) as Array<keyof ByCategory>) {
      peakByCategory[k] = Math.max(acc?.peakByCategory[k] ?? 0, m.peakByCategory[k]);
    }
    return { ...m, peakByCategory };
  }
  for (const k of Object.keys(acc.peakByCategory) as Array<keyof ByCategory>) {
    acc.peakByCategory[k] = Math.max(acc.peakByCategory[k], m.peakByCategory[k]);
  }
  return acc;
}

/** CPU time of this process (all its threads), ms. */
const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);

/** Where a trial leaves its checkpoints and, when it was interrupted, the one it continues from. */
export interface TrialCheckpoints {
  resume: LoadedCheckpoint | null;
  save(s: Snapshot): void;
}

/** What a checkpoint carries besides the tensors restored in place. */
interface Carried {
  state: unknown;
  rngs: { rule: RngState; dropout: RngState; reference: RngState };
  counters: OptState['counters'];
  runner: {
    stepMs: number; stepCpuMs: number; wallMs: number; inferenceBytes: number; bestVal: number | null; last: EvalRecord | null;
    cosines: number[]; layerCosines: number[]; signalCosines: number[];
    alignmentReference: SummaryRecord['alignmentReference']; gradNorms: Record<string, number>; divergenceBound: number | null;
  };
}

/**
 * Run one trial, calling `emit` with each record as it is produced (the last one is the
 * summary). Returns the summary. With `checkpoints`, each finished epoch is saved, and a trial
 * given one to resume from continues after it exactly as if it had not stopped.
 */
export function runTrial(config: TrialConfig, trialId: string, rule: AnyRule, emit: (r: TrialRecord) => void, checkpoints?: TrialCheckpoints): SummaryRecord {
  // Parameters and state that belong to others in this process (the ledger is process-wide).
  // (Everything live when the trial starts, so a record never depends on what ran before it here.)
  const foreign = ledger.liveBytes();
  const root = seeded(config.seed);
  const prep = prepare(config, root.child('data'));
  const { model, task } = prep;
  const { params, buffers } = startingParams(config, { seed: config.seed, rule: rule.id }, model, prep.train, root.child('init'));
  const optimizer = optimizerFromSpec(config.optimizer);
  const optState = optimizer.init(params);
  const clips = config.optimizer.clipNorm !== undefined || config.optimizer.clipValue !== undefined;
  let clippedBefore = 0;
  const options = { ...rule.defaults, ...config.options };
  const estimates = rule.estimates ?? 'task-gradient';
  const objective = estimates === 'own-objective' ? (rule.objective ?? rule.id) : null;
  // A rule with its own objective has no gradient to be aligned with, nor has a task without a gradient.
  const alignEvery = estimates === 'own-objective' || task.differentiable === false ? 0 : config.alignEvery;
  const ruleRng = root.child('rule');
  // One dropout stream per step, shared by every pass of the rule and by the alignment reference.
  const dropout = root.child('dropout');
  const ctxAt = (step: number, stats?: BatchStats): RuleContext => ruleContext({ model, task, params, buffers, rule, options, rng: ruleRng, dropout, step, stats });
  const infer: ForwardOptions = ctxAt(-1).infer;
  const referenceRng = root.child('reference');
  // A rule not defined for this model says so before anything trains.
  rule.check?.(ctxAt(-1));
  let state = ledger.withCategory('rule-state', () => rule.init(ctxAt(-1)));
  let stateSet = adoptState(new Set(), state);
  const loader = new Loader(prep.train, { batchSize: config.batchSize, shuffle: true, rng: root.child('order') });

  let t0 = performance.now();
  let stepMs = 0;
  // The same span in process CPU time: on a shared machine it leaves out time spent preempted.
  let stepCpuMs = 0;
  // Each step's wall time in this process, for a median that a preempted step does not move.
  const stepTimes: number[] = [];
  let step = 0;
  let inferenceBytes = 0;
  let peak: StepMemory | null = null;
  let losses: number[] = [];
  let metricSums: Record<string, number[]> = {};
  // Health figures: BP gradient norms from the latest alignment step, dead units on a probe batch.
  let gradNorms: Record<string, number> = {};
  const probeSet = prep.validation ?? prep.test;
  const probeRows = Math.min(256, config.batchSize, probeSet.n);
  const probe = ledger.withCategory('other', () => fromArray(probeSet.x.subarray(0, probeRows * probeSet.features), [probeRows, probeSet.features]));
  let aligned: EvalRecord['alignment'] = [];
  let last = null as EvalRecord | null;
  let bestVal: number | null = null;
  const cosines: number[] = [];
  const layerCosines: number[] = [];
  const signalCosines: number[] = [];
  let alignmentReference: SummaryRecord['alignmentReference'] = null;
  let status: TrialStatus = 'done';
  let error: string | null = null;
  let failure: Failure | null = null;
  const watch = new DivergenceWatch(rule.id, config.divergence);
  let epoch = 0;
  // Everything restored in place: same shapes in every run of this trial.
  const carried = () => [...params, ...buffers, ...Object.values(optState.slots).flat()];
  const snapshot = (next: number): Snapshot => {
    const values: Carried = {
      state,
      rngs: { rule: ruleRng.saveState(), dropout: dropout.saveState(), reference: referenceRng.saveState() },
      counters: { ...optState.counters },
      runner: {
        stepMs, stepCpuMs, wallMs: performance.now() - t0, inferenceBytes, bestVal, last, cosines, layerCosines, signalCosines,
        alignmentReference, gradNorms, divergenceBound: watch.bound,
      },
    };
    return { epoch: next, step, tensors: carried(), values: values as unknown as Record<string, unknown> };
  };
  let startEpoch = 0;
  if (checkpoints?.resume) {
    const saved = checkpoints.resume.restore(carried(), { state }) as unknown as Carried;
    state = saved.state;
    stateSet = adoptState(stateSet, state);
    ruleRng.restore(saved.rngs.rule);
    dropout.restore(saved.rngs.dropout);
    referenceRng.restore(saved.rngs.reference);
    Object.assign(optState.counters, saved.counters);
    clippedBefore = optState.counters.clipped;
    const r = saved.runner;
    ({ stepMs, inferenceBytes, bestVal, last, alignmentReference, gradNorms } = r);
    // Checkpoints from before stepCpuMs existed: the CPU time so far is unknown (written as null).
    stepCpuMs = r.stepCpuMs ?? NaN;
    cosines.push(...r.cosines);
    layerCosines.push(...r.layerCosines);
    signalCosines.push(...r.signalCosines);
    watch.bound = r.divergenceBound;
    t0 -= r.wallMs;
    step = checkpoints.resume.step;
    startEpoch = checkpoints.resume.epoch;
  }

  const record = (ep: number): EvalRecord => withArena(() => {
    const ctx = ctxAt(step);
    // Evaluation chunks the size of a training batch: without a tape nothing is freed before the
    // chunk ends, so a deep conv net's chunk holds every intermediate (a 1000-image ResNet-20 chunk: GBs).
    const test = evaluate(rule, ctx, state, prep.test, config.batchSize);
    const val = prep.validation === prep.test ? test : prep.validation ? evaluate(rule, ctx, state, prep.validation, config.batchSize) : null;
    if (val && (bestVal === null || val.acc > bestVal)) bestVal = val.acc;
    const mem = process.memoryUsage();
    const rec: EvalRecord = {
      type: 'eval', trial: trialId, rule: rule.id, options, seed: config.seed, epoch: ep, step,
      trainLoss: mean(losses), valAcc: val?.acc ?? null, valLoss: val?.loss ?? null, testAcc: test.acc, testLoss: test.loss,
      ...taskMetricFields(task, val, test),
      memory: peak
        ? { peakBytes: peak.peakBytes, atPeak: peak.atPeak, peakByCategory: peak.peakByCategory, inferenceBytes, ratioToInference: peak.peakBytes / inferenceBytes }
        : null,
      estimates, objective,
      alignment: aligned,
      metrics: Object.fromEntries(Object.entries(metricSums).map(([k, v]) => [k, mean(v)])),
      diagnostics: {
        ...(rule.diagnostics ? noGrad(() => rule.diagnostics!(ctx, state)) : {}),
        ...gradNorms,
        ...deadUnitShare(model, params, probe, infer),
      },
      host: { wallMs: performance.now() - t0, stepMs, stepCpuMs, rssBytes: mem.rss, heapBytes: mem.heapUsed },
    };
    losses = [];
    metricSums = {};
    aligned = [];
    peak = null;
    emit(rec);
    last = rec;
    return rec;
  });

  setAnomalyMode(config.debug);
  try {
    const limit = config.maxSteps > 0 ? config.maxSteps : Infinity;
    train: for (epoch = startEpoch; epoch < config.epochs; epoch++) {
      for (const b of loader.epoch(epoch)) {
        if (step >= limit) break train;
        // Everything the step creates (batch, tape, updates) is freed when it ends.
        withArena(() => {
          const batch = toBatch(prep.train, b.x, b.y, b.size);
          if (step === 0 && config.memory) inferenceBytes = withArena(() => inferencePeak(model, params, batch, infer));
          const stats = new BatchStats();
          const ctx = ctxAt(step, stats);
          // The reference is taken on the same batch, parameters and masks, outside time and memory.
          const reference = alignEvery > 0 && step % alignEvery === 0
            ? stepReference(rule, ctx, batch, { samples: config.alignSamples, rng: referenceRng.child(step) })
            : null;
          const meter = reference ? new AlignmentMeter(model, reference) : null;
          const signalProbe = ruleProbe(reference);
          const startedCpu = cpuMs();
          const started = performance.now();
          if (config.memory) {
            ledger.beginStep();
            // The batch was built before the step; its bytes count like the inference reference's input.
            for (const t of [batch.x, batch.targets]) if (t) ledger.adopt(t.base ? t.base.entry : t.entry);
          }
          let res;
          try {
            res = signalProbe ? withSignalProbe(signalProbe, () => rule.step(ctx, state, batch)) : rule.step(ctx, state, batch);
            applyUpdates(res.updates, { ruleId: rule.id, model, params, optimizer, optState, step, meter });
            stats.commit(buffers);
            state = res.state;
            stateSet = adoptState(stateSet, state);
          } finally {
            if (config.memory) {
              const m = withoutForeign(ledger.endStep(), foreign);
              if (res) peak = mergePeak(peak, m);
            }
          }
          const took = performance.now() - started;
          stepMs += took;
          stepTimes.push(took);
          stepCpuMs += cpuMs() - startedCpu;
          watch.check(res.loss, step, epoch);
          losses.push(res.loss);
          for (const [k, v] of Object.entries(res.metrics)) (metricSums[k] ??= []).push(v);
          // With clipping configured: the share of steps in which it changed some update.
          const clipped = optState.counters.clipped - clippedBefore;
          clippedBefore = optState.counters.clipped;
          if (clips) (metricSums['optimizer.clippedSteps'] ??= []).push(clipped > 0 ? 1 : 0);
          if (meter && reference) {
            const point = alignmentPoint(step, reference, meter, signalProbe);
            gradNorms = gradientNorms(model, reference.grads);
            aligned.push(point);
            cosines.push(point.overall.cosine);
            layerCosines.push(point.layerMean.cosine);
            if (point.errorSignalMean !== null) signalCosines.push(point.errorSignalMean);
            alignmentReference = point.reference;
          }
        });
        step++;
        if (stopRequested()) throw new Interrupted();
        if (config.evalEvery > 0 && step % config.evalEvery === 0) record(epoch);
      }
      if (last?.step !== step) record(epoch);
      checkpoints?.save(snapshot(epoch + 1));
    }
    // Stopped by maxSteps part-way through an epoch: record where it stopped.
    if (step > 0 && last?.step !== step) record(Math.min(epoch, config.epochs - 1));
  } catch (e) {
    if (!(e instanceof NumericsError)) throw atStep(e, step, epoch);
    status = 'diverged';
    error = `${e.message} (step ${step}, epoch ${epoch})`;
    failure = divergence(e, step, epoch);
  } finally {
    setAnomalyMode(false);
  }
  const wallMs = performance.now() - t0;
  // A diverged trial's parameters are not worth saving, nor its text sampling.
  const ending = status === 'done' ? withArena(() => finishTrial(config, { seed: config.seed, rule: rule.id, trial: trialId }, task, model, params, buffers, infer, prep.train, root.child('sample'))) : {};
  const final = last;
  const summary: SummaryRecord = {
    type: 'summary', trial: trialId, rule: rule.id, options, seed: config.seed, status, error, failure,
    epochs: step / Math.max(1, loader.batches), steps: step,
    finalTestAcc: final?.testAcc ?? NaN, bestValAcc: bestVal,
    ...summaryMetricFields(final), ...ending,
    peakBytes: final?.memory?.peakBytes ?? null, ratioToInference: final?.memory?.ratioToInference ?? null,
    estimates, objective,
    alignmentReference,
    meanCosine: cosines.length ? mean(cosines) : null,
    meanLayerCosine: layerCosines.length ? mean(layerCosines) : null,
    meanErrorSignalCosine: signalCosines.length ? mean(signalCosines) : null,
    host: { wallMs, stepMs, stepCpuMs, medianStepMs: stepTimes.length ? quantiles(stepTimes, [0.5])[0] : null, msPerEpoch: stepMs / Math.max(1, step / Math.max(1, loader.batches)) },
  };
  emit(summary);
  for (const t of [...params, ...buffers, ...stateSet, ...leaves(Object.values(optState.slots).flat() as TensorTree), probe]) t.dispose();
  return summary;
}
