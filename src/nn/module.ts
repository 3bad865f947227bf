// Modules: small trees of named parameter slots that know how to apply themselves. Parameters
// live outside the tree in one flat list (optimizers, rules and alignment index it alike); a
// module holds the indices of its own. Every module is applied through `run`, which labels its
// ops with the module's path and, when asked, records the cotangent arriving at its output.
import { scoped, slot } from '../engine.ts';
import { customVjp } from '../autograd/functional.ts';
import { isTracked, withLayer } from '../autograd/tape.ts';
import type { Rng } from '../random.ts';
import type { Shape, Tensor } from '../tensor/tensor.ts';

/** How a parameter or buffer starts: drawn by a weight scheme, or a constant. */
export type ParamInit = { kind: 'weight'; scheme: string } | { kind: 'constant'; value: number };

export interface Slot {
  /** Position in the model's flat parameter (or buffer) list. */
  readonly index: number;
  /** Dotted path, e.g. "features.0.weight". */
  readonly path: string;
  readonly shape: readonly number[];
  readonly init: ParamInit;
}

export interface ForwardOptions {
  training?: boolean;
  /** This step's dropout stream (training): each module draws from rng.child(its path). */
  rng?: Rng;
  /** The model's buffers (batch norm running statistics), needed in evaluation. */
  buffers?: readonly Tensor[];
  /** Training: collects batch statistics, committed to the buffers once per step. */
  stats?: BatchStats;
}

export interface ForwardContext extends ForwardOptions {
  /** The flat parameter list (possibly traced views). */
  readonly params: readonly Tensor[];
}

export interface Module {
  readonly kind: string;
  /** Dotted path from the root ('' for the root). */
  readonly path: string;
  /** Per-sample input and output shapes (no batch axis). */
  readonly inShape: Shape;
  readonly outShape: Shape;
  readonly params: Readonly<Record<string, Slot>>;
  readonly buffers: Readonly<Record<string, Slot>>;
  readonly children: readonly Module[];
  /** Apply to x [batch, ...inShape]; composites apply children through `run`. */
  apply(x: Tensor, ctx: ForwardContext): Tensor;
  /** The same module over other children (tree surgery keeps paths and slots). */
  withChildren(children: readonly Module[]): Module;
}

/** Batch statistics of one training pass, per batch-norm path. */
export class BatchStats {
  readonly entries = new Map<
    string,
    { mean: Slot; variance: Slot; momentum: number; batchMean: Float32Array; batchVar: Float32Array; count: number }
  >();

  record(path: string, mean: Slot, variance: Slot, momentum: number, batchMean: Tensor, batchVar: Tensor, count: number): void {
    this.entries.set(path, {
      mean,
      variance,
      momentum,
      batchMean: Float32Array.from(batchMean.data),
      batchVar: Float32Array.from(batchVar.data),
      count,
    });
  }

  /** running ← (1 − m)·running + m·batch, with the unbiased batch variance (as PyTorch). */
  commit(buffers: readonly Tensor[]): void {
    for (const e of this.entries.values()) {
      const rm = buffers[e.mean.index].data;
      const rv = buffers[e.variance.index].data;
      const unbias = e.count > 1 ? e.count / (e.count - 1) : 1;
      for (let i = 0; i < rm.length; i++) {
        rm[i] = (1 - e.momentum) * rm[i] + e.momentum * e.batchMean[i];
        rv[i] = (1 - e.momentum) * rv[i] + e.momentum * e.batchVar[i] * unbias;
      }
    }
    this.entries.clear();
  }
}

/**
 * Records the cotangent arriving at the output of chosen modules during backward passes (the
 * error signal a learning rule delivers there), summed over passes, outside the ledger.
 */
export class SignalProbe {
  readonly signals = new Map<string, Float32Array>();
  private readonly active = new Set<string>();
  constructor(readonly paths: ReadonlySet<string>) {}

  /** Wrap `y`, the output of the module at `path`, unless an outer module of that path already does. */
  tap(path: string, y: Tensor): Tensor {
    return customVjp(
      `probe:${path}`,
      (t: Tensor) => ({ out: t }),
      (_s, g) => {
        const prev = this.signals.get(path);
        if (prev) for (let i = 0; i < prev.length; i++) prev[i] += g.data[i];
        else this.signals.set(path, Float32Array.from(g.data));
        return [g];
      },
      { pure: true },
    )(y);
  }

  enter(path: string): boolean {
    if (!this.paths.has(path) || this.active.has(path)) return false;
    this.active.add(path);
    return true;
  }

  leave(path: string): void {
    this.active.delete(path);
  }
}

const PROBE = slot<SignalProbe | null>('signal probe', null);

/** Run fn with `p` recording error signals at its paths (the runner's alignment measurement; null: none). */
export function withSignalProbe<T>(p: SignalProbe | null, fn: () => T): T {
  return scoped(PROBE, p, fn);
}

/** Apply a module: its ops carry its path (anomaly errors name it), and a probe may tap its output. */
export function run(m: Module, x: Tensor, ctx: ForwardContext): Tensor {
  const p = PROBE.get();
  const tapped = p !== null && p.enter(m.path);
  try {
    const y = m.path ? withLayer(m.path, () => m.apply(x, ctx)) : m.apply(x, ctx);
    return tapped && isTracked(y) ? p!.tap(m.path, y) : y;
  } finally {
    if (tapped) p!.leave(m.path);
  }
}

/** The parameter tensor of slot `name` of `m` in this forward pass. */
export function param(m: Module, name: string, ctx: ForwardContext): Tensor {
  return ctx.params[m.params[name].index];
}

/** Path of a child named `name` under `parent`. */
export const childPath = (parent: string, name: string): string => (parent ? `${parent}.${name}` : name);

/** Every module of a tree, parents before children, children in order. */
export function walk(root: Module): Module[] {
  const out: Module[] = [];
  const stack = [root];
  while (stack.length) {
    const m = stack.pop()!;
    out.push(m);
    for (let i = m.children.length - 1; i >= 0; i--) stack.push(m.children[i]);
  }
  return out;
}

/**
 * Rebuild a tree bottom-up with `fn` applied to every module (after its children were
 * mapped): equinox's tree_at, for every match at once. Return the module itself to keep it.
 */
export function mapModules(root: Module, fn: (m: Module) => Module): Module {
  const rec = (m: Module): Module => {
    const kids = m.children.map(rec);
    const same = kids.every((k, i) => k === m.children[i]);
    return fn(same ? m : m.withChildren(kids));
  };
  return rec(root);
}

/** A module with no children: parameters, a forward, nothing to rebuild. */
export function leaf(
  m: Omit<Module, 'children' | 'withChildren' | 'params' | 'buffers'> & Partial<Pick<Module, 'params' | 'buffers'>>,
): Module {
  const out: Module = {
    ...m,
    params: m.params ?? {},
    buffers: m.buffers ?? {},
    children: [],
    withChildren: () => out,
  };
  return out;
}

/**
 * A stand-in for `m` (same kind, path and slots) that passes its input through `before` and
 * its output through `after`: the generic wrapper rules use to detach, normalize, tap or
 * inject at a module's boundary.
 */
export function wrap(m: Module, hooks: { before?: (x: Tensor) => Tensor; after?: (y: Tensor, x: Tensor) => Tensor }): Module {
  const w: Module = {
    kind: m.kind,
    path: m.path,
    inShape: m.inShape,
    outShape: m.outShape,
    params: m.params,
    buffers: m.buffers,
    children: [m],
    apply(x, ctx) {
      const xin = hooks.before ? hooks.before(x) : x;
      const y = run(w.children[0], xin, ctx);
      return hooks.after ? hooks.after(y, xin) : y;
    },
    withChildren: (kids) => wrap(kids[0], hooks),
  };
  return w;
}
