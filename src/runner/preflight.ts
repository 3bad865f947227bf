// Checks that need the data or the machine, run once before any trial starts: data files read and
// sized, counts against the set, the model against the data, memory against the limits. A trial
// should never fail for a reason these could have seen; each problem is a SpecError naming the field.
import { freemem, totalmem } from 'node:os';
import { SpecError } from '../errors.ts';
import { describeDataset, type DatasetInfo } from '../data/index.ts';
import type { BackendName } from '../kernels/select.ts';
import { Model, type ModelSpec } from '../nn/model.ts';
import { optimizerFromSpec, releaseState, type OptimizerSpec } from '../optim/index.ts';
import { fromArray } from '../tensor/tensor.ts';
import type { ValidatedSpec } from './spec.ts';

/** The WASM backend's heap: 65536 pages of 64 KiB per thread. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

export interface DataSample {
  /** Per-sample shape, e.g. [28, 28]. */
  shape: number[];
  features: number;
  /** Output width the model must have: the class count, or the target width for regression. */
  classes: number;
  /** For messages. */
  name?: string;
}

/** The model's data-dependent settings against the data: input width and output width. */
export function checkModelAgainstData(model: ModelSpec, sample: DataSample): void {
  const data = sample.name ? `dataset "${sample.name}"` : 'the data';
  const sizes = model.sizes;
  if (sizes[0] !== sample.features) {
    throw new SpecError(`model.sizes[0]: ${sizes[0]} inputs, but ${data} has ${sample.features} features per sample (shape [${sample.shape.join(', ')}]); set it to ${sample.features}`);
  }
  const last = sizes.length - 1;
  if (sizes[last] !== sample.classes) {
    throw new SpecError(`model.sizes[${last}]: ${sizes[last]} outputs, but ${data} needs ${sample.classes} (its ${sample.classes === 1 ? 'target width' : 'class count'}); set it to ${sample.classes}`);
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
export function checkModelFits(model: ModelSpec, optimizers: OptimizerSpec[], opts: { backend: BackendName; concurrent: number; dataBytes: number }): void {
  const elements = new Model(model).paramShapes().reduce((s, shape) => s + shape.reduce((a, b) => a * b, 1), 0);
  const paramBytes = 4 * elements;
  const tensors = paramBytes * (1 + Math.max(...optimizers.map(optimizerSlots)));
  const what = `model.sizes [${model.sizes.join(', ')}]: ${elements.toExponential(2)} parameters need at least ${gb(tensors)} with the optimizer's state`;
  if (opts.backend === 'wasm' && tensors > WASM_HEAP_BYTES) {
    throw new SpecError(`${what}, more than the WASM backend's ${gb(WASM_HEAP_BYTES)} heap; use a smaller model`);
  }
  const machine = totalmem();
  if (opts.dataBytes * opts.concurrent > machine) {
    throw new SpecError(`data: ${gb(opts.dataBytes)} per trial (train + test samples × features × 4 bytes), ${opts.concurrent} at once: more than this machine's ${gb(machine)} of memory; use smaller data.train / data.test${opts.concurrent > 1 ? ' or fewer --workers' : ''}`);
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
export function preflight(spec: ValidatedSpec, opts: { backend: BackendName; workers: number; trials: number; keepData: boolean }): DatasetInfo {
  const { name, validation = 0, ...options } = spec.data;
  const info = describeDataset(name, options, opts.keepData);
  const where = options.dir ? ` in ${options.dir}` : '';
  for (const split of ['train', 'test'] as const) {
    if (info[split] > info.available[split]) {
      throw new SpecError(`data.${split}: ${info[split]} samples asked for, but ${name}${where} has ${info.available[split]} ${split}ing samples; ask for at most that`);
    }
  }
  const held = heldOut(validation, info.train);
  if (validation > 0 && (held < 1 || held >= info.train)) {
    throw new SpecError(
      `data.validation: ${validation} of data.train's ${info.train} samples holds out ${held}, which must leave at least one sample on each side;` +
        ' use a fraction in (0, 1) or a smaller count',
    );
  }
  const train = info.train - held;
  if (spec.batchSize > train) {
    throw new SpecError(`batchSize: ${spec.batchSize} is larger than the training set (${train} samples${held ? ` after holding out data.validation's ${held}` : ''}); use at most ${train}`);
  }
  checkModelAgainstData(spec.model, { shape: info.shape, features: info.features, classes: info.outputs, name });
  const optimizers = [spec.optimizer, ...spec.rules.flatMap((r) => (r.optimizer ? [r.optimizer] : []))];
  const dataBytes = 4 * info.features * (info.train + info.test);
  checkModelFits(spec.model, optimizers, { backend: opts.backend, concurrent: Math.max(1, Math.min(opts.workers, opts.trials)), dataBytes });
  return info;
}
