// `chain`: transforms composed into an Optimizer — explicit state (per-parameter slots and
// counters, counted in the ledger), an eager path and two streaming paths, all running the
// composed program through the backend's optimizer kernel in one pass per parameter.
import { ShapeError, SpecError } from '../errors.ts';
import { backend, type Buf } from '../kernels/index.ts';
import { STAGE_WORDS } from '../kernels/optim-program.ts';
import { ledger } from '../tensor/ledger.ts';
import { zeros, type Tensor } from '../tensor/tensor.ts';
import { constantSchedule, type Schedule } from './schedules.ts';
import type { Transform } from './transforms.ts';

/** An optimizer's state: per-parameter slots (adam: m, v) and counters, both updated in place. */
export interface OptState {
  /** Slot tensors by name, one per parameter, each shaped like its parameter. */
  readonly slots: Readonly<Record<string, readonly Tensor[]>>;
  /** `clipped`: parameter updates (or ranges) that a clipping transform changed, since init. */
  readonly counters: { clipped: number };
}

/**
 * Applies update directions (gradient estimates) to parameters in place: param.data changes,
 * nothing is recorded on a tape, and state is updated in place (no tensor allocated per step).
 * `step` is 0-based: the number of updates already applied (schedules and Adam's bias
 * correction read it; a streamed step applies in pieces, so the caller names it).
 */
export interface Optimizer {
  readonly name: string;
  /** The transforms this optimizer chains, in order. */
  readonly transforms: readonly Transform[];
  /** The learning rate used at `step` (its schedule). */
  lr(step: number): number;
  /** State for these parameters, counted in the ledger as 'optimizer'. */
  init(params: readonly Tensor[]): OptState;
  /** The eager path: all updates at once (needed for global-norm clipping). */
  update(params: readonly Tensor[], updates: readonly Tensor[], state: OptState, step: number): void;
  /**
   * The streaming path: one parameter at a time, so a rule can materialize one update at a time
   * (MeZO). Identical to `update` except that global-norm clipping, which needs every update
   * before any is applied, is unavailable: with it in the chain this throws.
   */
  updateOne(index: number, param: Tensor, update: Tensor, state: OptState, step: number): void;
  /**
   * Streaming a range: `update` holds the directions for elements [offset, offset + size) of
   * the parameter (flat, row-major). Applying a parameter's ranges in any split gives the same
   * result as `updateOne`.
   */
  updateRange(index: number, param: Tensor, update: Tensor, offset: number, state: OptState, step: number): void;
}

/** Release an optimizer state's tensors from the ledger (end of a trial). */
export function releaseState(state: OptState): void {
  for (const ts of Object.values(state.slots)) for (const t of ts) t.release();
}

/** Compose transforms into an optimizer named `name` (the descent step is one of them). */
export function chain(name: string, ...transforms: Transform[]): Optimizer {
  // Slot names stay the transforms' own (m, v, velocity) unless two transforms share one.
  const slotKeys = transforms.map((t, k) =>
    t.slots.map((s) => (transforms.some((o, j) => j !== k && o.slots.includes(s)) ? `${k}.${s}` : s)),
  );
  const slotNames = slotKeys.flat();
  const norms = transforms.map((t, k) => (t.globalNorm ? k : -1)).filter((k) => k >= 0);
  if (transforms.length > 16) throw new SpecError(`optimizer ${name}: at most 16 transforms can be chained, got ${transforms.length}`);
  const schedule: Schedule = transforms.find((t) => t.schedule)?.schedule ?? constantSchedule(0);
  const program = new Float64Array(transforms.length * STAGE_WORDS);
  const clipBits = transforms.reduce((bits, t, k) => (t.clips && !t.globalNorm ? bits | (1 << k) : bits), 0);

  /** Encode every stage for `step`; global-norm stages get factor 1 until the norm is known. */
  const encode = (step: number): void => {
    transforms.forEach((t, k) => {
      const st = t.stage(step);
      const o = k * STAGE_WORDS;
      program.fill(0, o, o + STAGE_WORDS);
      program[o] = st.op;
      st.slots.forEach((s, j) => (program[o + 1 + j] = slotNames.indexOf(slotKeys[k][t.slots.indexOf(s)])));
      st.x.forEach((v, j) => (program[o + 3 + j] = v));
    });
  };

  const slotsOf = (index: number, param: Tensor, state: OptState, offset: number, size: number): Buf[] =>
    slotNames.map((s) => {
      const t = state.slots[s]?.[index];
      if (t?.size !== param.size) {
        throw new ShapeError(
          `optimizer ${name}: state slot "${s}" has no entry of size ${param.size} for parameter ${index}; was init called with these parameters?`,
        );
      }
      t.touch();
      return offset === 0 && size === t.size ? t.buf : t.buf.subarray(offset, offset + size);
    });

  /** Apply the encoded program to elements [offset, offset + update.size) of parameter `index`. */
  const applyAt = (index: number, param: Tensor, update: Tensor, offset: number, state: OptState, changedByNorm: boolean): void => {
    if (!(Number.isInteger(offset) && offset >= 0 && offset + update.size <= param.size)) {
      throw new ShapeError(
        `optimizer ${name}: update ${index} has ${update.size} elements at offset ${offset} but its parameter has ${param.size} [${param.shape.join(', ')}]`,
      );
    }
    const slots = slotsOf(index, param, state, offset, update.size);
    param.touch();
    update.touch();
    const p = offset === 0 && update.size === param.size ? param.buf : param.buf.subarray(offset, offset + update.size);
    const flags = backend().optimizerStep(program, transforms.length, p, update.buf, slots, -1);
    if (changedByNorm || (flags & clipBits) !== 0) state.counters.clipped++;
  };

  const sameSize = (index: number, param: Tensor, update: Tensor): void => {
    if (param.size !== update.size) {
      throw new ShapeError(
        `optimizer ${name}: update ${index} has ${update.size} elements but its parameter has ${param.size} [${param.shape.join(', ')}]`,
      );
    }
  };
  const noGlobalNorm = (what: string) => {
    if (norms.length) {
      throw new SpecError(
        `optimizer ${name}: clipping by global norm needs every update before any is applied, so it cannot be used with ` +
          `${what} (streamed updates); clip by value instead, or have the rule return its updates eagerly`,
      );
    }
  };

  return {
    name,
    transforms,
    lr: schedule,
    init(params) {
      return ledger().withCategory('optimizer', () => {
        const slots: Record<string, Tensor[]> = {};
        for (const s of slotNames) slots[s] = params.map((p) => zeros(p.shape));
        return { slots, counters: { clipped: 0 } };
      });
    },
    update(params, updates, state, step) {
      if (params.length !== updates.length) {
        throw new ShapeError(`optimizer ${name}: ${updates.length} updates for ${params.length} parameters`);
      }
      params.forEach((p, i) => sameSize(i, p, updates[i]));
      encode(step);
      let scaled = false;
      for (const k of norms) {
        // The norm of this stage's input: a dry run of the stages before it over every update.
        let ss = 0;
        params.forEach((p, i) => {
          ss += backend().optimizerStep(program, k, p.buf, updates[i].buf, slotsOf(i, p, state, 0, p.size), k);
        });
        const norm = Math.sqrt(ss);
        const { maxNorm } = transforms[k].globalNorm!;
        if (norm > maxNorm) {
          program[k * STAGE_WORDS + 3] = maxNorm / norm;
          scaled = true;
        }
      }
      for (let i = 0; i < params.length; i++) applyAt(i, params[i], updates[i], 0, state, scaled);
    },
    updateOne(index, param, update, state, step) {
      noGlobalNorm('updateOne');
      sameSize(index, param, update);
      encode(step);
      applyAt(index, param, update, 0, state, false);
    },
    updateRange(index, param, update, offset, state, step) {
      noGlobalNorm('updateRange');
      encode(step);
      applyAt(index, param, update, offset, state, false);
    },
  };
}
