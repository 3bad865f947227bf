// Gradient transformations, optax style: each is a small declarative piece (the state slots it
// keeps, the kernel stage it contributes at a step) that `chain` composes into an optimizer.
// The arithmetic lives in one place, the backend's optimizer kernel (src/kernels/optim-program.ts).
import { SpecError } from '../errors.ts';
import { STAGE } from '../kernels/optim-program.ts';
import { constantSchedule, type Schedule } from './schedules.ts';

/** A transform's kernel stage at one step: op code, up to two slot names, scalars x0..x6. */
export interface Stage {
  op: number;
  slots: readonly string[];
  x: readonly number[];
}

export interface Transform {
  readonly name: string;
  /** Per-parameter state this transform keeps: zeros shaped like the parameter, by slot name. */
  readonly slots: readonly string[];
  /**
   * Set for transforms that need every update before any is applied (a global norm): the
   * chain computes `maxNorm`'s factor from all updates and such a chain refuses streaming.
   */
  readonly globalNorm?: { maxNorm: number };
  /** Whether a change made by this transform counts into the state's `clipped` counter. */
  readonly clips: boolean;
  /** The learning-rate schedule (scaleByLearningRate only): Optimizer.lr reports it. */
  readonly schedule?: Schedule;
  /** The stage at 0-based `step` (the number of updates already applied). */
  stage(step: number): Stage;
}

export function checkNumber(owner: string, field: string, v: unknown, ok: (v: number) => boolean, what: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new SpecError(`${owner}: "${field}" must be ${what}, got ${JSON.stringify(v)}`);
  return v;
}

export const nonNegative = (v: number) => Number.isFinite(v) && v >= 0;
export const positive = (v: number) => Number.isFinite(v) && v > 0;
export const unitInterval = (v: number) => v >= 0 && v < 1;

/** Clamp each update element to [−max, max]. */
export function clipByValue(max: number): Transform {
  const c = checkNumber('clipByValue', 'max', max, positive, 'a positive number');
  return { name: 'clipByValue', slots: [], clips: true, stage: () => ({ op: STAGE.clipValue, slots: [], x: [c] }) };
}

/**
 * Rescale all updates together so their global L2 norm (of this transform's input) is at most
 * maxNorm. Needs every update at once: eager `update` only.
 */
export function clipByGlobalNorm(maxNorm: number): Transform {
  const m = checkNumber('clipByGlobalNorm', 'maxNorm', maxNorm, positive, 'a positive number');
  // The chain replaces the factor below with norm-dependent one at each step.
  return {
    name: 'clipByGlobalNorm',
    slots: [],
    clips: true,
    globalNorm: { maxNorm: m },
    stage: () => ({ op: STAGE.scale, slots: [], x: [1] }),
  };
}

/** u ← u + wd·p: L2 regularization before an adaptive transform, decoupled decay after it. */
export function addDecayedWeights(weightDecay: number): Transform {
  const wd = checkNumber('addDecayedWeights', 'weightDecay', weightDecay, nonNegative, 'a non-negative number');
  return { name: 'addDecayedWeights', slots: [], clips: false, stage: () => ({ op: STAGE.addDecayed, slots: [], x: [wd] }) };
}

/** Heavy-ball momentum, PyTorch's convention (v ← μv + u, no dampening); Nesterov steps along u + μv. */
export function traceMomentum(momentum: number, nesterov = false): Transform {
  const mu = checkNumber('traceMomentum', 'momentum', momentum, unitInterval, 'in [0, 1)');
  return {
    name: 'traceMomentum',
    slots: ['velocity'],
    clips: false,
    stage: () => ({ op: STAGE.momentum, slots: ['velocity'], x: [mu, nesterov ? 1 : 0] }),
  };
}

/** Adam's scaling with bias correction: u ← m̂ / (√v̂ + ε), PyTorch's formulation. */
export function scaleByAdam(beta1 = 0.9, beta2 = 0.999, eps = 1e-8): Transform {
  const b1 = checkNumber('scaleByAdam', 'beta1', beta1, unitInterval, 'in [0, 1)');
  const b2 = checkNumber('scaleByAdam', 'beta2', beta2, unitInterval, 'in [0, 1)');
  const e = checkNumber('scaleByAdam', 'eps', eps, positive, 'a positive number');
  return {
    name: 'scaleByAdam',
    slots: ['m', 'v'],
    clips: false,
    // step is 0-based; the bias correction counts updates from 1.
    stage: (step) => ({ op: STAGE.adam, slots: ['m', 'v'], x: [b1, 1 - b1, b2, 1 - b2, e, 1 - b1 ** (step + 1), 1 - b2 ** (step + 1)] }),
  };
}

/**
 * RMSprop's scaling, PyTorch's and Torch7's convention: v ← αv + (1−α)u², u ← u / (√v + ε), no
 * bias correction. It is Adam's kernel stage with β₁ = 0 and both corrections 1, so every backend
 * runs it already; the unused first moment costs one slot.
 */
export function scaleByRms(alpha = 0.99, eps = 1e-8): Transform {
  const a = checkNumber('scaleByRms', 'alpha', alpha, unitInterval, 'in [0, 1)');
  const e = checkNumber('scaleByRms', 'eps', eps, positive, 'a positive number');
  return {
    name: 'scaleByRms',
    slots: ['m', 'v'],
    clips: false,
    stage: () => ({ op: STAGE.adam, slots: ['m', 'v'], x: [0, 1, a, 1 - a, e, 1, 1] }),
  };
}

/** u ← −lr(step)·u: the descent step, with a fixed rate or a schedule. */
export function scaleByLearningRate(lr: number | Schedule): Transform {
  const schedule =
    typeof lr === 'function' ? lr : constantSchedule(checkNumber('scaleByLearningRate', 'lr', lr, nonNegative, 'a non-negative number'));
  return {
    name: 'scaleByLearningRate',
    slots: [],
    clips: false,
    schedule,
    stage: (step) => ({ op: STAGE.scale, slots: [], x: [-schedule(step)] }),
  };
}
