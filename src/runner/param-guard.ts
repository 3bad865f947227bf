// A rule's step must leave the parameters as it found them (the runner applies its updates): a
// rule that writes into ctx.params would train outside the optimizer, unseen by alignment and
// memory, and still end `done`. Checked every step by the backend's fingerprint kernel, one pass
// over the parameters before the step and one after, no copy: the bits' hash for the usual rule,
// and for one that perturbs and restores them in place (MeZO, declaring a restoreTolerance) a
// bound on how far their squared norm may move.
import { backend } from '../kernels/index.ts';
import type { Tensor } from '../tensor/tensor.ts';

interface Fingerprint {
  bits: number;
  abs: number;
  squares: number;
  size: number;
}

function fingerprint(params: readonly Tensor[]): Fingerprint {
  let bits = 0;
  let abs = 0;
  let squares = 0;
  let size = 0;
  // p.buf, not p.data: the check only reads, and .data (a host write, as far as the accessor
  // knows) would cost a backend that keeps parameters on a device a readback and an upload of
  // each one every step. Every fingerprint is asked for before any is read, so such a backend
  // brings them all back in one round trip.
  const fs = params.map((p) => backend().fingerprint(p.buf));
  for (const [i, p] of params.entries()) {
    const f = fs[i];
    bits = (Math.imul(bits, 31) + f.bits) | 0;
    abs += f.abs;
    squares += f.squares;
    size += p.size;
  }
  return { bits, abs, squares, size };
}

/** Run `step`; throw naming the rule if it changed the parameters beyond its declared tolerance. */
export function guardParams<R>(ruleId: string, tolerance: number, params: readonly Tensor[], step: () => R): R {
  const before = fingerprint(params);
  const result = step();
  const after = fingerprint(params);
  const changed =
    tolerance > 0
      ? Math.abs(after.squares - before.squares) > 2 * tolerance * before.abs + before.size * tolerance * tolerance + 1e-12 * before.squares
      : after.bits !== before.bits;
  if (changed)
    throw new Error(
      `rule "${ruleId}": its step changed ctx.params in place${tolerance > 0 ? ` beyond its restoreTolerance ${tolerance}` : ''}; return the change as updates (the runner applies them through the optimizer), or copy the parameters first`,
    );
  return result;
}
