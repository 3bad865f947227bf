// Handing a rule's updates to the optimizer — all at once, one parameter at a time, or range by
// range — with each update checked (shape, finiteness) and shown to whoever watches (alignment).
import { scoped, slot } from '../engine.ts';
import { NumericsError, ShapeError } from '../errors.ts';
import { backend } from '../kernels/index.ts';
import type { Model } from '../nn/model.ts';
import type { Optimizer, OptState } from '../optim/index.ts';
import { isLazy, type Updates } from '../rules/rule.ts';
import type { Tensor } from '../tensor/tensor.ts';

export interface ApplyContext {
  ruleId: string;
  model: Model;
  params: readonly Tensor[];
  optimizer: Optimizer;
  optState: OptState;
  step: number;
  /** Sees parameter i's update (or its range from `offset`) once checked, before the optimizer does. */
  /** Shown each checked update as a tensor: a watcher reads its values only when it needs them (a device backend reads them back). */
  watch?: (i: number, update: Tensor, offset: number) => void;
  /** Rounds each update to the trial's backward format first; false: it overflowed, and the step is skipped. */
  precision?: { roundUpdate(i: number, u: Tensor): boolean };
}

const UPDATING = slot('update phase', false);

/** True while a step's updates are being applied (per-layer costs count its kernels as the update). */
export function inUpdatePhase(): boolean {
  return UPDATING.get();
}

export function applyUpdates(updates: Updates, c: ApplyContext): void {
  scoped(UPDATING, true, () => apply(updates, c));
}

function apply(updates: Updates, c: ApplyContext): void {
  const { params, optimizer, optState, step } = c;
  const count = isLazy(updates) ? updates.count : updates.length;
  if (count !== params.length) throw new ShapeError(`rule "${c.ruleId}": ${count} updates for ${params.length} parameters`);
  /** `u` should be parameter i's update (offset null) or its range starting at `offset`, shaped `want`. */
  const check = (i: number, u: Tensor, want: readonly number[], offset: number | null = null, knownFinite = false): void => {
    const name = c.model.paramNames[i];
    if (u.shape.join() !== want.join()) {
      const where = offset === null ? '' : ` at offset ${offset}`;
      throw new ShapeError(
        `rule "${c.ruleId}": update ${i} (${name})${where} has shape [${u.shape.join(', ')}], expected [${want.join(', ')}]`,
      );
    }
    if (!knownFinite && !backend().allFinite(u.buf))
      throw new NumericsError(`rule "${c.ruleId}": update for parameter ${name} contains NaN/Inf at step ${step}`);
    c.watch?.(i, u, offset ?? 0);
  };
  // Rounded before the finiteness check: an overflow under dynamic loss scaling skips the step
  // (every update is rounded first, so none is applied), where anything else non-finite ends the trial.
  const rounds = (i: number, u: Tensor): boolean => c.precision?.roundUpdate(i, u) ?? true;
  if (!isLazy(updates)) {
    if (!updates.map((u, i) => u.shape.join() !== params[i].shape.join() || rounds(i, u)).every(Boolean)) return;
    // All updates checked at once (a device backend reads back one answer, not one per update);
    // when one is not finite, each is checked again in order, so the error names the first.
    const finite = backend().allFinite(updates.map((u) => u.buf));
    updates.forEach((u, i) => check(i, u, params[i].shape, null, finite));
    optimizer.update(params, updates, optState, step);
    return;
  }
  const chunk = updates.getRange && updates.chunk ? Math.max(1, Math.floor(updates.chunk)) : 0;
  for (let i = 0; i < count; i++) {
    if (!chunk) {
      const u = updates.get(i);
      // A lazy rule's later updates do not exist yet: an overflow skips the rest of the step, from this parameter on.
      if (u.shape.join() === params[i].shape.join() && !rounds(i, u)) return;
      check(i, u, params[i].shape);
      optimizer.updateOne(i, params[i], u, optState, step);
      continue;
    }
    // Range by range: the rule never materializes a parameter-sized update.
    for (let off = 0; off < params[i].size; off += chunk) {
      const len = Math.min(chunk, params[i].size - off);
      const u = updates.getRange!(i, off, len);
      if (u.size === len && !rounds(i, u)) return;
      check(i, u, [len], off);
      optimizer.updateRange(i, params[i], u, off, optState, step);
      u.dispose();
    }
  }
}
