// A rule's state is plain data (objects, arrays, Maps) holding tensors; these helpers find
// those tensors so the ledger can count them as rule state.
import { Tensor } from '../tensor/tensor.ts';

/** Tensors reachable from a rule's state. */
export function stateTensors(state: unknown, out = new Set<Tensor>()): Set<Tensor> {
  if (state instanceof Tensor) out.add(state);
  else if (Array.isArray(state)) for (const s of state) stateTensors(s, out);
  else if (state instanceof Map) for (const s of state.values()) stateTensors(s, out);
  else if (state && typeof state === 'object' && Object.getPrototypeOf(state) === Object.prototype) {
    for (const s of Object.values(state)) stateTensors(s, out);
  }
  return out;
}

/** Bytes of all tensors in a rule's state. */
export function stateBytes(state: unknown): number {
  let n = 0;
  for (const t of stateTensors(state)) n += t.bytes;
  return n;
}

/** Count new state tensors as persistent rule state; dispose of the ones the rule dropped. */
export function adoptState(prev: Set<Tensor>, next: unknown): Set<Tensor> {
  const now = stateTensors(next);
  for (const t of now) if (!prev.has(t)) t.keep('rule-state');
  for (const t of prev) if (!now.has(t)) t.dispose();
  return now;
}
