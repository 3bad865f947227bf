// The optimizer contract — Optax-style init/update pairs with explicit state — and the
// machinery every optimizer shares: ledger-counted state, clipping, checks, streaming.
import { ShapeError, SpecError } from '../errors.ts';
import type { Buf } from '../kernels/index.ts';
import { ledger } from '../tensor/ledger.ts';
import { zeros, type Tensor } from '../tensor/tensor.ts';
import { constantSchedule, type Schedule } from './schedules.ts';

/** Per-parameter state tensors by slot name (adam: m, v), each shaped like its parameter. */
export interface OptState {
  readonly slots: Readonly<Record<string, readonly Tensor[]>>;
}

/**
 * Applies update directions (gradient estimates) to parameters in place: param.data changes,
 * nothing is recorded on a tape, and state is updated in place (no allocation per step).
 * `step` is 0-based: the number of updates already applied (Adam's bias correction uses step + 1).
 */
export interface Optimizer {
  readonly name: string;
  /** The learning rate used at `step` (its schedule). */
  lr(step: number): number;
  /** State for these parameters, counted in the ledger as 'optimizer'. */
  init(params: readonly Tensor[]): OptState;
  /** The eager path: all updates at once (needed for clipNorm). */
  update(params: readonly Tensor[], updates: readonly Tensor[], state: OptState, step: number): void;
  /**
   * The streaming path: one parameter at a time, so a rule can materialize one update at a time
   * (MeZO). Identical to `update` except that global-norm clipping, which needs every update
   * before any is applied, is unavailable: with clipNorm set this throws.
   */
  updateOne(index: number, param: Tensor, update: Tensor, state: OptState, step: number): void;
  /**
   * Streaming a range: `update` holds the directions for elements [offset, offset + size) of
   * the parameter (flat, row-major). Applying a parameter's ranges in any split gives the same
   * result as `updateOne`.
   */
  updateRange(index: number, param: Tensor, update: Tensor, offset: number, state: OptState, step: number): void;
  /** How many updates clipping changed (by value or by global norm) since the last call; resets. */
  takeClipCount(): number;
}

export interface CommonOptions {
  /** A fixed rate or a schedule (a pure function of step). */
  lr: number | Schedule;
  /** sgd/momentum/adam: L2 (wd·param added to the update); adamw: decoupled decay. */
  weightDecay?: number;
  /** Clamp each update element to [−clipValue, clipValue] (applied first). */
  clipValue?: number;
  /** Rescale all updates together so their global L2 norm is at most clipNorm (eager path only). */
  clipNorm?: number;
}

/**
 * One optimizer's in-place loop over one parameter (or a range of it): `p`, `u` and each state
 * slot are aligned arrays. `scale` is the global-norm factor and `clip` the value bound
 * (Infinity when off): each update element is clamp(u, clip) · scale.
 */
export type Kernel = (p: Buf, u: Buf, slots: Readonly<Record<string, Buf>>, lr: number, step: number, scale: number, clip: number) => void;

export function clamp(v: number, c: number): number {
  return v > c ? c : v < -c ? -c : v;
}

function exceeds(u: Buf, clip: number): boolean {
  for (let i = 0; i < u.length; i++) if (u[i] > clip || u[i] < -clip) return true;
  return false;
}

/** L2 norm of all updates together, after clamping each element to ±clipValue. */
export function globalNorm(updates: readonly Tensor[], clipValue = Infinity): number {
  let ss = 0;
  for (const u of updates) {
    const d = u.data;
    for (let i = 0; i < d.length; i++) {
      const g = clamp(d[i], clipValue);
      ss += g * g;
    }
  }
  return Math.sqrt(ss);
}

/** Release an optimizer state's tensors from the ledger (end of a trial). */
export function releaseState(state: OptState): void {
  for (const ts of Object.values(state.slots)) for (const t of ts) t.release();
}

export function checkNumber(opt: string, field: string, v: unknown, ok: (v: number) => boolean, what: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new SpecError(`optimizer ${opt}: "${field}" must be ${what}, got ${JSON.stringify(v)}`);
  return v;
}

export const nonNegative = (v: number) => Number.isFinite(v) && v >= 0;
export const positive = (v: number) => Number.isFinite(v) && v > 0;
export const unitInterval = (v: number) => v >= 0 && v < 1;

/** Assemble an Optimizer from its kernel: validation, state, clipping, eager and streaming paths. */
export function makeOptimizer(name: string, slotNames: readonly string[], opts: CommonOptions, kernel: Kernel): Optimizer {
  const schedule = typeof opts.lr === 'function' ? opts.lr : constantSchedule(checkNumber(name, 'lr', opts.lr, nonNegative, 'a non-negative number'));
  const clip = opts.clipValue === undefined ? Infinity : checkNumber(name, 'clipValue', opts.clipValue, positive, 'a positive number');
  const clipNorm = opts.clipNorm === undefined ? undefined : checkNumber(name, 'clipNorm', opts.clipNorm, positive, 'a positive number');

  let clipCount = 0;
  /** Apply `update` to elements [offset, offset + update.size) of parameter `index`. */
  const applyAt = (index: number, param: Tensor, update: Tensor, offset: number, state: OptState, step: number, scale: number): void => {
    if (!(Number.isInteger(offset) && offset >= 0 && offset + update.size <= param.size)) {
      throw new ShapeError(
        `optimizer ${name}: update ${index} has ${update.size} elements at offset ${offset} but its parameter has ${param.size} [${param.shape.join(', ')}]`,
      );
    }
    const slots: Record<string, Buf> = {};
    for (const s of slotNames) {
      const t = state.slots[s]?.[index];
      if (t?.size !== param.size) {
        throw new ShapeError(`optimizer ${name}: state slot "${s}" has no entry of size ${param.size} for parameter ${index}; was init called with these parameters?`);
      }
      slots[s] = t.data.subarray(offset, offset + update.size);
    }
    param.touch();
    update.touch();
    if (scale < 1 || (clip < Infinity && exceeds(update.data, clip))) clipCount++;
    kernel(param.data.subarray(offset, offset + update.size), update.data, slots, schedule(step), step, scale, clip);
  };
  const applyOne = (index: number, param: Tensor, update: Tensor, state: OptState, step: number, scale: number): void => {
    if (param.size !== update.size) {
      throw new ShapeError(`optimizer ${name}: update ${index} has ${update.size} elements but its parameter has ${param.size} [${param.shape.join(', ')}]`);
    }
    applyAt(index, param, update, 0, state, step, scale);
  };
  const noClipNorm = (what: string) => {
    if (clipNorm !== undefined) {
      throw new SpecError(
        `optimizer ${name}: clipNorm needs every update before any is applied, so it cannot be used with ` +
          `${what} (streamed updates); use clipValue, or have the rule return its updates eagerly`,
      );
    }
  };

  return {
    name,
    lr: schedule,
    takeClipCount() {
      const n = clipCount;
      clipCount = 0;
      return n;
    },
    init(params) {
      return ledger.withCategory('optimizer', () => {
        const slots: Record<string, Tensor[]> = {};
        for (const s of slotNames) slots[s] = params.map((p) => zeros(p.shape));
        return { slots };
      });
    },
    update(params, updates, state, step) {
      if (params.length !== updates.length) {
        throw new ShapeError(`optimizer ${name}: ${updates.length} updates for ${params.length} parameters`);
      }
      let scale = 1;
      if (clipNorm !== undefined) {
        const norm = globalNorm(updates, clip);
        if (norm > clipNorm) scale = clipNorm / norm;
      }
      for (let i = 0; i < params.length; i++) applyOne(i, params[i], updates[i], state, step, scale);
    },
    updateOne(index, param, update, state, step) {
      noClipNorm('updateOne');
      applyOne(index, param, update, state, step, 1);
    },
    updateRange(index, param, update, offset, state, step) {
      noClipNorm('updateRange');
      applyAt(index, param, update, offset, state, step, 1);
    },
  };
}
