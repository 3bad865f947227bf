// When a trial has diverged: a non-finite training loss, or one past a bound the spec declares
// (default: far above the first step's loss). A diverged trial is a result, not a failure.
import { NumericsError, SpecError } from '../errors.ts';
import type { Observer } from './observer.ts';
import type { Failure } from './record-types.ts';

export interface DivergenceSpec {
  /** Diverged once the loss exceeds this many times the first step's loss (at least 1). Default 1000. */
  factor?: number;
  /** An absolute bound instead of the factor (for objectives whose scale the factor does not fit). */
  maxLoss?: number;
}

export const DEFAULT_DIVERGENCE_FACTOR = 1000;

/** Marks the NumericsError thrown for a loss past the bound (any other NumericsError is non-finite). */
const PAST_BOUND = Symbol('past-bound');

export function validateDivergence(v: unknown): DivergenceSpec {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new SpecError(`divergence: expected an object like { factor: 1000 } or { maxLoss: 50 }, got ${JSON.stringify(v) ?? String(v)}`);
  const d = v as Record<string, unknown>;
  for (const k of Object.keys(d))
    if (k !== 'factor' && k !== 'maxLoss') throw new SpecError(`divergence.${k}: unknown key; accepted keys: factor, maxLoss`);
  if (d.factor !== undefined && d.maxLoss !== undefined) throw new SpecError('divergence: give factor or maxLoss, not both');
  if (d.factor !== undefined && !(typeof d.factor === 'number' && Number.isFinite(d.factor) && d.factor > 1)) {
    throw new SpecError(`divergence.factor: expected a finite number > 1, got ${String(d.factor)}`);
  }
  if (d.maxLoss !== undefined && !(typeof d.maxLoss === 'number' && Number.isFinite(d.maxLoss) && d.maxLoss > 0)) {
    throw new SpecError(`divergence.maxLoss: expected a finite number > 0, got ${String(d.maxLoss)}`);
  }
  return d as DivergenceSpec;
}

/** Watches a trial's per-step training loss; `check` throws a NumericsError once it has diverged. */
export class DivergenceWatch {
  /** Set by the first step (or the spec); a checkpoint carries it. */
  bound: number | null;

  constructor(
    private readonly ruleId: string,
    private readonly spec: DivergenceSpec = {},
  ) {
    this.bound = spec.maxLoss ?? null;
  }

  check(loss: number, step: number, epoch: number): void {
    if (!Number.isFinite(loss)) throw new NumericsError(`rule "${this.ruleId}": loss is ${loss} at step ${step} (epoch ${epoch})`);
    // A loss near 0 at the first step would make any later wobble look like divergence.
    this.bound ??= (this.spec.factor ?? DEFAULT_DIVERGENCE_FACTOR) * Math.max(Math.abs(loss), 1);
    if (loss > this.bound) {
      const how =
        this.spec.maxLoss !== undefined ? 'divergence.maxLoss' : `${this.spec.factor ?? DEFAULT_DIVERGENCE_FACTOR}× the first step's loss`;
      const e = new NumericsError(
        `rule "${this.ruleId}": loss ${loss.toPrecision(3)} is past the divergence bound ${this.bound.toPrecision(3)} (${how}; set divergence in the spec to change it)`,
      );
      Object.defineProperty(e, PAST_BOUND, { value: true });
      throw e;
    }
  }
}

/** The failure entry of a diverged trial's summary. */
export function divergence(e: NumericsError, step: number, epoch: number): Failure {
  return { kind: (e as unknown as Record<symbol, unknown>)[PAST_BOUND] ? 'loss-bound' : 'non-finite', step, epoch };
}

/** The watch as an observer of a trial: each step's loss is checked; a checkpoint carries the bound. */
export function divergenceObserver(ruleId: string, spec?: DivergenceSpec): Observer {
  const watch = new DivergenceWatch(ruleId, spec);
  return {
    name: 'divergence',
    afterStep: (s, res) => watch.check(res.loss, s.step, s.epoch),
    snapshot: () => ({ bound: watch.bound }),
    restore(saved) {
      watch.bound = (saved as { bound: number | null }).bound;
    },
  };
}
