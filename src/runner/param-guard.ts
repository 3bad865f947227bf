// A rule's step must leave the parameters as it found them (the runner applies its updates): a
// rule that writes into ctx.params would train outside the optimizer, unseen by alignment and
// memory, and still end `done`. Checked every step in one pass over the parameters, no copy: the
// bits' checksum for the usual rule, and for one that perturbs and restores them in place (MeZO,
// declaring a restoreTolerance) a bound on how far their squared norm may move.
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
  for (const p of params) {
    const d = p.data;
    const ints = new Int32Array(d.buffer, d.byteOffset, d.length);
    for (let i = 0; i < d.length; i++) {
      bits = (Math.imul(bits, 31) + ints[i]) | 0;
      abs += Math.abs(d[i]);
      squares += d[i] * d[i];
    }
    size += d.length;
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
