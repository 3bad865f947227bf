// The tape: ops record nodes in execution order, so walking the tape backwards is a valid
// topological order — backward is a plain loop (no recursion, any depth) that accumulates
// the cotangent of a value used more than once.
import { NumericsError, ShapeError } from '../errors.ts';
import { ledger } from '../tensor/ledger.ts';
import type { Tensor, TraceLink } from '../tensor/tensor.ts';

/** Maps the output cotangent to one cotangent per input (null: no gradient flows there). */
export type VjpFn = (g: Tensor) => ReadonlyArray<Tensor | null>;

export interface Node {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly out: Tensor;
  readonly saved: readonly Tensor[];
  readonly vjp: VjpFn;
  readonly layer: string | null;
}

export class Trace implements TraceLink {
  private static next = 1;
  readonly traceId = Trace.next++;
  readonly nodes: Node[] = [];
}

let current: Trace | null = null;
const layerStack: string[] = [];
let anomaly = false;
/** The op whose VJP is running (so anomaly errors inside a backward name it). */
let backwardOf: string | null = null;

export function currentTrace(): Trace | null {
  return current;
}

/** Run fn with `trace` recording (null: nothing recorded). */
export function withTrace<T>(trace: Trace | null, fn: () => T): T {
  const prev = current;
  current = trace;
  try {
    return fn();
  } finally {
    current = prev;
  }
}

/** True if `t` is a value the active trace differentiates through. */
export function isTracked(t: Tensor): boolean {
  return current !== null && t.trace === current;
}

/** Label the ops fn records with a layer name (used by anomaly errors and diagnostics). */
export function withLayer<T>(name: string, fn: () => T): T {
  layerStack.push(name);
  try {
    return fn();
  } finally {
    layerStack.pop();
  }
}

export function currentLayer(): string | null {
  return layerStack.length ? layerStack.join('/') : null;
}

/** Anomaly mode: every op output and every VJP result is checked for NaN/Inf. */
export function setAnomalyMode(on: boolean): void {
  anomaly = on;
}

export function anomalyMode(): boolean {
  return anomaly;
}

export function withAnomalyMode<T>(fn: () => T): T {
  const prev = anomaly;
  anomaly = true;
  try {
    return fn();
  } finally {
    anomaly = prev;
  }
}

function firstNonFinite(t: Tensor): number {
  const d = t.data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return i;
  return -1;
}

/** In anomaly mode, throw naming `op` if `out` holds NaN/Inf while its inputs did not. */
export function checkFinite(op: string, out: Tensor, inputs: readonly Tensor[], phase: 'forward' | 'backward'): void {
  if (!anomaly) return;
  const bad = firstNonFinite(out);
  if (bad < 0) return;
  if (inputs.some((x) => firstNonFinite(x) >= 0)) return; // not the first producer
  const layer = currentLayer();
  const where = phase === 'backward' ? ' (backward)' : backwardOf ? ` in the backward of "${backwardOf}"` : '';
  throw new NumericsError(
    `anomaly: op "${op}"${where} produced ${out.data[bad]} at element ${bad}` +
      ` of shape [${out.shape.join(', ')}]${layer ? ` in layer "${layer}"` : ''}; its inputs were finite`,
  );
}

/** Record a node on the active trace if any input is tracked; marks `out` tracked. */
export function record(op: string, inputs: readonly Tensor[], out: Tensor, saved: readonly Tensor[], vjp: VjpFn): void {
  if (current === null || !inputs.some((x) => x.trace === current)) return;
  out.trace = current;
  for (const s of saved) if (s.category === 'transient') ledger.recategorize(s.entry, 'saved-activation');
  current.nodes.push({ op, inputs, out, saved, vjp, layer: currentLayer() });
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

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
  const grads = new Map<Tensor, Tensor>();
  grads.set(out, seed);
  const nodes = trace.nodes;
  withTrace(null, () => {
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i];
      const g = grads.get(node.out);
      if (!g) continue;
      grads.delete(node.out);
      for (const s of node.saved) s.touch();
      const run = () => node.vjp(g);
      backwardOf = node.op;
      let inGrads: ReadonlyArray<Tensor | null>;
      try {
        inGrads = node.layer ? withLayer(node.layer, run) : run();
      } finally {
        backwardOf = null;
      }
      if (inGrads.length !== node.inputs.length) {
        throw new ShapeError(`vjp of op "${node.op}" returned ${inGrads.length} cotangents for ${node.inputs.length} inputs`);
      }
      for (let j = 0; j < inGrads.length; j++) {
        const gi = inGrads[j];
        const x = node.inputs[j];
        if (!gi || x.trace !== trace) continue;
        if (!sameShape(gi.shape, x.shape)) {
          throw new ShapeError(
            `vjp of op "${node.op}"${node.layer ? ` in layer "${node.layer}"` : ''}: cotangent for input ${j} has shape ` +
              `[${gi.shape.join(', ')}] but the input has shape [${x.shape.join(', ')}]`,
          );
        }
        checkFinite(node.op, gi, [g, ...node.saved], 'backward');
        const prev = grads.get(x);
        grads.set(x, prev ? add(prev, gi) : gi);
      }
    }
  });
  // The trace has been consumed: drop references so saved activations can be collected.
  trace.nodes.length = 0;
  return wanted.map((w) => grads.get(w) ?? null);
}
