// Checks that need the data or the machine, run once before any trial starts: data files read and
// sized, counts against the set, the model against the data, each rule against the model,
// memory against the limits. A trial
// should never fail for a reason these could have seen; each problem is a SpecError naming the field.
import { existsSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { SpecError } from '../errors.ts';
import { describeDataset, type DatasetInfo } from '../data/index.ts';
import type { BackendName } from '../kernels/select.ts';
import type { Model } from '../nn/model.ts';
import { withAdapters, type AdapterSpec } from '../nn/adapters.ts';
import { paramPath } from '../nn/param-file.ts';
import { rng } from '../random.ts';
import { ruleContext } from '../rules/context.ts';
import { optimizerFromSpec, releaseState, type OptimizerSpec } from '../optim/index.ts';
import { fromArray, type Tensor } from '../tensor/tensor.ts';
import { trialStepCost } from './observers/cost.ts';
import type { Trial, ValidatedSpec } from './spec.ts';
import { prepareTrial, type Prepared } from './trial.ts';
import { readTeacher } from './param-files.ts';

/** The WASM backend's heap: 65536 pages of 64 KiB per thread. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

/**
 * The model a trial trains, for its shapes (its cost, its rule's check): with adapters, `model`
 * frozen at a draw of its parameters (`base`, the caller's to dispose).
 */
export function trainedModel(model: Model, adapters: AdapterSpec | undefined): { model: Model; base: Tensor[] } {
  const base = adapters ? model.init(rng(0)) : [];
  return { model: adapters ? withAdapters(model, base, adapters) : model, base };
}

/**
 * The model against the data, and every rule against the model, as its trials will see them:
 * the model is built from the data's sample shape and task (SpecErrors name the layer field),
 * each distinct rule configuration's `check` refuses a model it is not defined for, and its cost
 * model gives a figure its budget (if any) can pay one step of.
 */
export function checkRules(trials: readonly Trial[], prep: Prepared): void {
  const seen = new Set<string>();
  for (const t of trials) {
    const key = `${t.rule.id} ${JSON.stringify(t.config.options)} ${JSON.stringify(t.config.budget)} ${JSON.stringify(t.config.adapters)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const { model, base } = trainedModel(prep.model, t.config.adapters);
    // Its cost model gives a number, and a forwardPasses budget allows at least one step.
    trialStepCost(t.rule, t.config.options, model, t.config.batchSize, t.config.budget);
    const params = t.rule.check ? model.init(rng(0)) : [];
    try {
      t.rule.check?.(
        ruleContext({
          model,
          task: prep.task,
          params,
          rule: t.rule,
          options: t.config.options,
          rng: rng(0),
          dropout: rng(0),
          step: -1,
        }),
      );
    } finally {
      for (const p of [...params, ...base]) p.dispose();
    }
  }
}

/** Each distillation teacher's file read and checked against its model now (or a stage is about to write it). */
function checkTeachers(trials: readonly Trial[], prep: Prepared, willWrite?: ReadonlySet<string>): void {
  const files = new Map(
    trials.flatMap((t) => (t.config.distill ? [[JSON.stringify(t.config.distill.teacher), t.config.distill] as const] : [])),
  );
  for (const spec of files.values()) {
    const file = spec.teacher.params;
    if (!existsSync(file) && willWrite?.has(resolve(file))) continue;
    if (!existsSync(file))
      throw new SpecError(
        `distill.teacher.params: ${file} does not exist; run the experiment that trains the teacher (its saveParams) first, or name it in needs`,
      );
    for (const t of readTeacher(spec, prep).tensors) t.dispose();
  }
}

const gb = (bytes: number) => `${(bytes / 1e9).toPrecision(3)} GB`;

/** Optimizer state tensors per parameter (Adam keeps two, momentum one, SGD none). */
function optimizerSlots(spec: OptimizerSpec): number {
  const probe = fromArray(new Float32Array(1), [1]);
  const state = optimizerFromSpec(spec).init([probe]);
  const n = Object.keys(state.slots).length;
  releaseState(state);
  probe.dispose();
  return n;
}

/**
 * Whether a trial's tensors can fit: parameters plus the optimizer's state (a lower bound: every
 * rule keeps them live), against the WASM heap and, for all concurrent trials with their data,
 * the machine's memory.
 */
export function checkModelFits(
  model: Model,
  optimizers: OptimizerSpec[],
  opts: { backend: BackendName; concurrent: number; dataBytes: number },
): void {
  const elements = model.paramShapes().reduce((s, shape) => s + shape.reduce((a, b) => a * b, 1), 0);
  const paramBytes = 4 * elements;
  const tensors = paramBytes * (1 + Math.max(...optimizers.map(optimizerSlots)));
  const what = `model: ${elements.toExponential(2)} parameters need at least ${gb(tensors)} with the optimizer's state`;
  if (opts.backend === 'wasm' && tensors > WASM_HEAP_BYTES) {
    throw new SpecError(`${what}, more than the WASM backend's ${gb(WASM_HEAP_BYTES)} heap; use a smaller model`);
  }
  const machine = totalmem();
  if (opts.dataBytes * opts.concurrent > machine) {
    throw new SpecError(
      `data: ${gb(opts.dataBytes)} per trial (train + test samples × features × 4 bytes), ${opts.concurrent} at once: more than this machine's ${gb(machine)} of memory; use smaller data.train / data.test${opts.concurrent > 1 ? ' or fewer --workers' : ''}`,
    );
  }
  const perTrial = tensors + opts.dataBytes;
  if (perTrial * opts.concurrent > machine) {
    throw new SpecError(
      `${what} (plus ${gb(opts.dataBytes)} of data) per trial, ${opts.concurrent} at once: more than this machine's ${gb(machine)} of memory (${gb(freemem())} free);` +
        ` use a smaller model${opts.concurrent > 1 ? ' or fewer --workers' : ''}`,
    );
  }
}

/** Training samples left after holding out `validation` (a fraction or a count), as split() does. */
function heldOut(validation: number, n: number): number {
  return validation > 0 ? (validation < 1 ? Math.round(validation * n) : validation) : 0;
}

/**
 * Everything about a validated spec that needs its data or the machine. `keepData` leaves image
 * sets in this process's cache (when trials run here too).
 */
export function preflight(
  spec: ValidatedSpec,
  trials: readonly Trial[],
  opts: { backend: BackendName; workers: number; keepData: boolean; willWrite?: ReadonlySet<string> },
): DatasetInfo {
  const { name, validation = 0, ...options } = spec.data;
  const info = describeDataset(name, options, opts.keepData);
  const where = options.dir ? ` in ${options.dir}` : '';
  for (const split of ['train', 'test'] as const) {
    if (info[split] > info.available[split]) {
      throw new SpecError(
        `data.${split}: ${info[split]} samples asked for, but ${name}${where} has ${info.available[split]} ${split}ing samples; ask for at most that`,
      );
    }
  }
  const held = typeof validation === 'number' ? heldOut(validation, info.train) : 0;
  if (typeof validation === 'number' && validation > 0 && (held < 1 || held >= info.train)) {
    throw new SpecError(
      `data.validation: ${validation} of data.train's ${info.train} samples holds out ${held}, which must leave at least one sample on each side;` +
        ' use a fraction in (0, 1) or a smaller count',
    );
  }
  const train = info.train - held;
  if (spec.batchSize > train) {
    throw new SpecError(
      `batchSize: ${spec.batchSize} is larger than the training set (${train} samples${held ? ` after holding out data.validation's ${held}` : ''}); use at most ${train}`,
    );
  }
  if (!trials.length) return info;
  // A trial starting from a parameter file (fine-tuning) must find it now, or a stage it needs
  // must be about to write it, not fail when it starts.
  for (const t of trials) {
    if (!t.config.init) continue;
    const file = paramPath(t.config.init, { seed: t.config.seed, rule: t.config.rule });
    if (existsSync(file) || opts.willWrite?.has(resolve(file))) continue;
    const staged = spec.needs?.length
      ? `, and no stage in needs writes it (their saveParams write ${[...(opts.willWrite ?? [])].join(', ') || 'nothing still to write'})`
      : '';
    throw new SpecError(
      `init: ${file} (seed ${t.config.seed}, rule ${t.config.rule}) does not exist${staged}; run the experiment that writes it (its saveParams) first, or name it in needs`,
    );
  }
  // The model built as the trials build it (SpecErrors name the layer field), sized, then each rule's check.
  const prep = prepareTrial(trials[0].config);
  const optimizers = [spec.optimizer, ...spec.rules.flatMap((r) => (r.optimizer ? [r.optimizer] : []))];
  const dataBytes = 4 * info.features * (info.train + info.test);
  checkModelFits(prep.model, optimizers, {
    backend: opts.backend,
    concurrent: Math.max(1, Math.min(opts.workers, trials.length)),
    dataBytes,
  });
  checkRules(trials, prep);
  checkTeachers(trials, prep, opts.willWrite);
  return info;
}
