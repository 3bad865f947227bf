// The tape: ops record nodes in execution order, so walking the tape backwards is a valid
// topological order — backward is a plain loop (no recursion, any depth) that accumulates
// the cotangent of a value used more than once.
import { scoped, slot } from '../engine.ts';
import { NumericsError, ShapeError } from '../errors.ts';
import { nextTensorId, type Tensor, type TraceLink } from '../tensor/tensor.ts';
import { inBackwardFormat, roundCotangent } from './precision.ts';

/** Maps the output cotangent to one cotangent per input (null: no gradient flows there). */
export type VjpFn = (g: Tensor) => ReadonlyArray<Tensor | null>;

export interface Node {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly out: Tensor;
  readonly saved: readonly Tensor[];
  readonly vjp: VjpFn;
  readonly layer: string | null;
  /** A primitive's VJP (or a pure customVjp): it keeps no reference to its cotangent or to what it returns. */
  readonly primitive: boolean;
}

const TRACE_IDS = slot('trace ids', { next: 1 });

export class Trace implements TraceLink {
  readonly traceId = TRACE_IDS.get().next++;
  readonly nodes: Node[] = [];
}

const TRACE = slot<Trace | null>('trace', null);
/** The module path ops are recorded under ('/'-joined when modules nest). */
const LAYER = slot<string | null>('layer', null);
const ANOMALY = slot('anomaly', false);
/** The op whose VJP is running (so anomaly errors inside a backward name it). */
const BACKWARD_OF = slot<string | null>('backward of', null);

export function currentTrace(): Trace | null {
  return TRACE.get();
}

/** Run fn with `trace` recording (null: nothing recorded). */
export function withTrace<T>(trace: Trace | null, fn: () => T): T {
  return scoped(TRACE, trace, fn);
}

/** True if `t` is a value the active trace differentiates through. */
export function isTracked(t: Tensor): boolean {
  const current = TRACE.get();
  return current !== null && t.trace === current;
}

/** Label the ops fn records with a layer name (used by anomaly errors and diagnostics). */
export function withLayer<T>(name: string, fn: () => T): T {
  const outer = LAYER.get();
  return scoped(LAYER, outer === null ? name : `${outer}/${name}`, fn);
}

export function currentLayer(): string | null {
  return LAYER.get();
}

/** True while a backward pass runs a VJP (its kernels are that op's layer's backward work). */
export function inBackwardPass(): boolean {
  return BACKWARD_OF.get() !== null;
}

/** Anomaly mode: every op output and every VJP result is checked for NaN/Inf. */
export function anomalyMode(): boolean {
  return ANOMALY.get();
}

/** Run fn with anomaly mode on (or, with `on` false, off). */
export function withAnomalyMode<T>(fn: () => T, on = true): T {
  return scoped(ANOMALY, on, fn);
}

function firstNonFinite(t: Tensor): number {
  const d = t.data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return i;
  return -1;
}

/** In anomaly mode, throw naming `op` if `out` holds NaN/Inf while its inputs did not. */
export function checkFinite(op: string, out: Tensor, inputs: readonly Tensor[], phase: 'forward' | 'backward'): void {
  if (!ANOMALY.get()) return;
  const bad = firstNonFinite(out);
  if (bad < 0) return;
  if (inputs.some((x) => firstNonFinite(x) >= 0)) return; // not the first producer
  const layer = currentLayer();
  const backwardOf = BACKWARD_OF.get();
  const where = phase === 'backward' ? ' (backward)' : backwardOf ? ` in the backward of "${backwardOf}"` : '';
  throw new NumericsError(
    `anomaly: op "${op}"${where} produced ${out.data[bad]} at element ${bad}` +
      ` of shape [${out.shape.join(', ')}]${layer ? ` in layer "${layer}"` : ''}; its inputs were finite`,
  );
}

/** Record a node on the active trace if any input is tracked; marks `out` tracked. */
export function record(op: string, inputs: readonly Tensor[], out: Tensor, saved: readonly Tensor[], vjp: VjpFn, primitive = false): void {
  const current = TRACE.get();
  if (current === null || !inputs.some((x) => x.trace === current)) return;
  out.trace = current;
  for (const s of saved) if (s.category === 'transient') s.entry.ledger.recategorize(s.entry, 'saved-activation');
  current.nodes.push({ op, inputs, out, saved, vjp, layer: currentLayer(), primitive });
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Which cotangents a backward pass may free early. A step's arena frees everything at the step's
 * end; without this, every cotangent of the pass would be alive at once (8× the ledger's peak
 * measured on a ResNet-20 step). Storage is counted by its root (views share it). A cotangent is
 * freed once no entry of the pass holds it, if the pass made it: a primitive's VJP output, or an
 * accumulation. Never the seed, nor anything a customVjp not marked pure was given or returned
 * (a rule may keep those), nor the cotangents returned to the caller.
 */
class Cotangents {
  readonly map = new Map<Tensor, Tensor>();
  private readonly holders = new Map<Tensor, number>();
  private readonly owned = new Set<Tensor>();

  set(x: Tensor, g: Tensor): void {
    const prev = this.map.get(x);
    if (prev) this.hold(prev, -1);
    this.map.set(x, g);
    this.hold(g, 1);
  }

  take(x: Tensor): Tensor | undefined {
    const g = this.map.get(x);
    if (g) {
      this.map.delete(x);
      this.hold(g, -1);
    }
    return g;
  }

  /** The pass made t (after the id mark): it may be freed when nothing holds it. */
  own(t: Tensor, since: number): void {
    const r = root(t);
    if (r.id >= since) this.owned.add(r);
  }

  disown(t: Tensor): void {
    this.owned.delete(root(t));
  }

  /** Free t's storage if the pass made it and no entry holds it. */
  drop(t: Tensor): void {
    const r = root(t);
    if (this.owned.has(r) && !this.holders.has(r)) {
      this.owned.delete(r);
      r.dispose();
    }
  }

  private hold(t: Tensor, d: number): void {
    const r = root(t);
    const n = (this.holders.get(r) ?? 0) + d;
    if (n > 0) this.holders.set(r, n);
    else this.holders.delete(r);
  }
}

const root = (t: Tensor): Tensor => t.base ?? t;

/**
 * Reverse pass over `trace` from `out` with cotangent `seed`; returns the cotangent of each
 * requested tensor (null where none flowed). `add` accumulates cotangents.
 */
export function backward(
  trace: Trace,
  out: Tensor,
  seed: Tensor,
  wanted: readonly Tensor[],
  add: (a: Tensor, b: Tensor) => Tensor,
): Array<Tensor | null> {
  const grads = new Cotangents();
  grads.set(out, seed);
  const nodes = trace.nodes;
  withTrace(null, () =>
    inBackwardFormat(() => {
      for (let i = nodes.length - 1; i >= 0; i--) {
        const node = nodes[i];
        const g = grads.take(node.out);
        if (!g) continue;
        for (const s of node.saved) s.touch();
        const run = () => node.vjp(g);
        const mark = nextTensorId();
        const inGrads: ReadonlyArray<Tensor | null> = scoped(BACKWARD_OF, node.op, () => (node.layer ? withLayer(node.layer, run) : run()));
        if (inGrads.length !== node.inputs.length) {
          throw new ShapeError(`vjp of op "${node.op}" returned ${inGrads.length} cotangents for ${node.inputs.length} inputs`);
        }
        if (!node.primitive) grads.disown(g);
        const done: Tensor[] = [g];
        for (let j = 0; j < inGrads.length; j++) {
          const gi = inGrads[j];
          if (!gi) continue;
          roundCotangent(gi, node.layer);
          if (node.primitive) grads.own(gi, mark);
          else grads.disown(gi);
          done.push(gi);
          const x = node.inputs[j];
          if (x.trace !== trace) continue;
          if (!sameShape(gi.shape, x.shape)) {
            throw new ShapeError(
              `vjp of op "${node.op}"${node.layer ? ` in layer "${node.layer}"` : ''}: cotangent for input ${j} has shape ` +
                `[${gi.shape.join(', ')}] but the input has shape [${x.shape.join(', ')}]`,
            );
          }
          checkFinite(node.op, gi, [g, ...node.saved], 'backward');
          const prev = grads.map.get(x);
          if (prev) {
            const mark2 = nextTensorId();
            const sum = add(prev, gi);
            grads.own(sum, mark2);
            grads.set(x, sum);
            done.push(prev);
          } else {
            grads.set(x, gi);
          }
        }
        // Only now: a later input's cotangent may share storage with g or an earlier one.
        for (const t of done) grads.drop(t);
      }
    }),
  );
  // The trace has been consumed: drop references so saved activations can be collected.
  trace.nodes.length = 0;
  return wanted.map((w) => grads.map.get(w) ?? null);
}
