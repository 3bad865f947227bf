// Forward mode: while a tangent trace is active, every primitive that runs computes its output's
// tangent from its inputs' tangents with its record's JVP, right after its forward — dual
// numbers, no tape, nothing saved for later. Tangents live in the trace beside their primals
// (keyed by the primal tensor) until the primal is no longer reachable.
import { scoped, slot } from '../engine.ts';
import { ShapeError } from '../errors.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { checkFinite, withTrace } from './tape.ts';

/** What an op's JVP sees of the primal computation: its inputs, its output, its saved residuals. */
export interface JvpPrimals {
  readonly inputs: readonly Tensor[];
  readonly out: Tensor;
  readonly saved: readonly Tensor[];
}

/**
 * The output tangent from one tangent per input (null: that input's tangent is zero) — the
 * Jacobian-vector product J·t. Null when the output's tangent is zero.
 */
export type JvpFn<A> = (tangents: ReadonlyArray<Tensor | null>, primals: JvpPrimals, attrs: A) => Tensor | null;

type Entry = Tensor | (() => Tensor | null);

/** The tangents of one forward-mode evaluation. */
export class TangentTrace {
  private readonly tangents = new WeakMap<Tensor, Entry>();

  /** The tangent of x (null: zero); a lazy tangent is made on its first use. */
  get(x: Tensor): Tensor | null {
    const e = this.tangents.get(x);
    if (e === undefined) return null;
    if (typeof e !== 'function') return e;
    const t = e();
    if (t) this.tangents.set(x, t);
    else this.tangents.delete(x);
    return t;
  }

  set(x: Tensor, t: Tensor): void {
    if (t.shape.length !== x.shape.length || t.shape.some((d, i) => d !== x.shape[i])) {
      throw new ShapeError(`jvp: tangent of shape [${t.shape.join(', ')}] for a value of shape [${x.shape.join(', ')}]`);
    }
    this.tangents.set(x, t);
  }

  /** Give x a tangent made only when an op first reads it (so it lives from then to its last use). */
  setLazy(x: Tensor, make: () => Tensor | null): void {
    this.tangents.set(x, () => {
      const t = make();
      if (t && (t.shape.length !== x.shape.length || t.shape.some((d, i) => d !== x.shape[i]))) {
        throw new ShapeError(`jvp: lazy tangent of shape [${t.shape.join(', ')}] for a value of shape [${x.shape.join(', ')}]`);
      }
      return t;
    });
  }
}

const TANGENTS = slot<TangentTrace | null>('tangents', null);

/** Run fn with `trace` collecting tangents (null: no forward mode). */
export function withTangents<T>(trace: TangentTrace | null, fn: () => T): T {
  return scoped(TANGENTS, trace, fn);
}

export function currentTangents(): TangentTrace | null {
  return TANGENTS.get();
}

/** The tangent of x in the active forward-mode evaluation (null: none, or no forward mode). */
export function tangentOf(x: Tensor): Tensor | null {
  const current = TANGENTS.get();
  return current ? current.get(x) : null;
}

/** Evaluate a JVP rule: its own ops record nothing and carry no tangents (first order). */
export function runJvpRule<T>(fn: () => T): T {
  return withTangents(null, () => withTrace(null, fn));
}

/**
 * Called by every primitive after its forward: the output's tangent from the inputs' tangents,
 * when forward mode is on and some input has one. Errors name the op.
 */
export function pushTangent<A>(
  op: string,
  jvp: JvpFn<A>,
  inputs: readonly Tensor[],
  out: Tensor,
  saved: readonly Tensor[],
  attrs: A,
): void {
  const trace = TANGENTS.get();
  if (!trace) return;
  const ts = inputs.map((x) => trace.get(x));
  if (ts.every((t) => t === null)) return;
  const t = runJvpRule(() => jvp(ts, { inputs, out, saved }, attrs));
  for (const ti of ts) ti?.touch();
  if (!t) return;
  if (t.shape.length !== out.shape.length || t.shape.some((d, i) => d !== out.shape[i])) {
    throw new ShapeError(`jvp of op "${op}": tangent has shape [${t.shape.join(', ')}] but the output has shape [${out.shape.join(', ')}]`);
  }
  checkFinite(
    `${op} (jvp)`,
    t,
    ts.filter((x): x is Tensor => x !== null),
    'forward',
  );
  trace.set(out, t);
}
