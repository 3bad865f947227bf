// Tensor: row-major storage (Float32Array; Float64Array only inside withFloat64) plus shape,
// its ledger entry, and the autograd bookkeeping the tape attaches.
import { slot } from '../engine.ts';
import { allocStorage, backend, freeStorage, isFloat64, type Buf, type HostSync } from '../kernels/index.ts';
import { ShapeError } from '../errors.ts';
import type { Rng } from '../random.ts';
import { ledger, type Category, type LedgerEntry } from './ledger.ts';

export type Shape = readonly number[];
export type NestedArray = number | NestedArray[];

/** Autograd bookkeeping, owned by src/autograd (kept opaque here). */
export interface TraceLink {
  readonly traceId: number;
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function checkShape(shape: Shape, where: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${where}: invalid shape [${shape.join(', ')}]: dimensions must be non-negative integers`);
    }
  }
}

/** Tensor ids in creation order (the tape's backward pass tells its own tensors by them). */
const IDS = slot('tensor ids', { next: 1 });

/** The id the next tensor will get: tensors with an id at least this one are made after now. */
export function nextTensorId(): number {
  return IDS.get().next;
}

/**
 * Arenas give storage back deterministically: every tensor created inside `withArena(fn)` that
 * is not persistent (param, optimizer or rule state, or kept) has its storage returned to the
 * backend when fn ends. The runner wraps each training step and each evaluation in one, so a
 * rule's temporaries never outlive its step; anything a rule keeps across steps must be
 * reachable from its state (which the runner keeps).
 */
const ARENAS = slot<Tensor[][]>('arenas', []);

export function withArena<T>(fn: () => T): T {
  const arenas = ARENAS.get();
  const arena: Tensor[] = [];
  arenas.push(arena);
  try {
    return fn();
  } finally {
    arenas.pop();
    for (const t of arena) if (!t.entry.persistent) t.dispose();
  }
}

/**
 * Run fn in its own arena and free what it made, except the tensors `results` names (and
 * their bases) and persistent ones, which pass to the enclosing arena. Primitives run their
 * forward and VJP this way, so a temporary inside one (a mask, a reduction) dies with the op
 * instead of living to the end of the step.
 */
export function withScratch<T>(fn: () => T, results: (r: T) => ReadonlyArray<Tensor | null | undefined>): T {
  const arenas = ARENAS.get();
  const arena: Tensor[] = [];
  arenas.push(arena);
  let r: T;
  try {
    r = fn();
  } catch (e) {
    arenas.pop();
    arenas[arenas.length - 1]?.push(...arena);
    throw e;
  }
  arenas.pop();
  const keep = new Set<Tensor>();
  for (const t of results(r)) if (t) keep.add(t.base ?? t);
  const parent = arenas[arenas.length - 1];
  for (const t of arena) {
    if (keep.has(t) || t.entry.persistent) parent?.push(t);
    else t.dispose();
  }
  return r;
}

export class Tensor {
  readonly id = IDS.get().next++;
  readonly shape: Shape;
  readonly size: number;
  /**
   * The storage as kernels see it, without bringing it to the host: pass it to backend kernels
   * only. On a backend that keeps tensors on a device (WebGPU) its host copy may be stale.
   */
  readonly buf: Buf;
  /** The backend's host accessor (docs/webgpu.md, Residency); undefined on backends without a device copy. */
  private readonly sync: HostSync | undefined;
  /** The tensor whose storage this view shares (reshape), or null. */
  readonly base: Tensor | null;
  readonly entry: LedgerEntry;
  /** Set by the tape when this tensor is an output of a recorded op in the active trace. */
  trace: TraceLink | null = null;

  constructor(data: Buf, shape: Shape, base: Tensor | null = null) {
    checkShape(shape, 'Tensor');
    const size = sizeOf(shape);
    if (data.length !== size) {
      throw new ShapeError(`Tensor: data has ${data.length} elements but shape [${shape.join(', ')}] needs ${size}`);
    }
    this.shape = Object.freeze([...shape]);
    this.size = size;
    this.buf = data;
    this.sync = backend().sync;
    this.base = base;
    this.entry = ledger().register(base ? 0 : data.byteLength);
    const arenas = ARENAS.get();
    if (!base && arenas.length) arenas[arenas.length - 1].push(this);
  }

  /**
   * The storage for the host to read or write: on a backend with a device copy, brought back
   * from the device if only the device holds it, and the device copy marked stale (a writer may
   * follow). Kernels take `buf` instead, so that they never cause a readback.
   */
  get data(): Buf {
    this.sync?.(this.buf, 'write');
    return this.buf;
  }

  /** The storage for the host to read only: brought back if stale, the device copy stays valid. */
  private read(): Buf {
    this.sync?.(this.buf, 'read');
    return this.buf;
  }

  get rank(): number {
    return this.shape.length;
  }

  get bytes(): number {
    return this.buf.byteLength;
  }

  get category(): Category {
    return this.entry.category;
  }

  /** Record a use at this moment (for lifetime accounting). */
  touch(): void {
    this.entry.ledger.use(this.entry);
    if (this.base) this.base.touch();
  }

  /** Keep this tensor live in the ledger until release() (state that outlives a step). */
  keep(category?: Category): this {
    const e = this.base ? this.base.entry : this.entry;
    e.ledger.keep(e, category);
    return this;
  }

  /** This tensor's bytes leave the ledger. Its storage stays readable. */
  release(): void {
    this.entry.ledger.release(this.entry);
  }

  /** Leave the ledger and give the storage back: the tensor must not be used afterwards. */
  dispose(): void {
    this.entry.ledger.release(this.entry);
    if (!this.base && !this.disposed) freeStorage(this.buf);
    this.disposed = true;
  }

  private disposed = false;

  /** The single value of a size-1 tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item: tensor has shape [${this.shape.join(', ')}], expected one element`);
    return this.read()[0];
  }

  /** Element at a multi-index. */
  get(...idx: number[]): number {
    if (idx.length !== this.rank) throw new ShapeError(`get: ${idx.length} indices for a rank-${this.rank} tensor`);
    let off = 0;
    for (let d = 0; d < idx.length; d++) {
      const i = idx[d];
      if (i < 0 || i >= this.shape[d]) throw new ShapeError(`get: index ${i} out of range for axis ${d} of size ${this.shape[d]}`);
      off = off * this.shape[d] + i;
    }
    return this.read()[off];
  }

  toArray(): number[] {
    return Array.from(this.read());
  }

  toNested(): NestedArray {
    const data = this.read();
    const build = (dim: number, off: number): NestedArray => {
      if (dim === this.rank) return data[off];
      const stride = sizeOf(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[dim]; i++) out.push(build(dim + 1, off + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** A new tensor with its own copy of the data (not recorded on the tape). */
  clone(): Tensor {
    const t = empty(this.shape);
    t.data.set(this.read());
    return t;
  }

  toString(): string {
    return `Tensor[${this.shape.join('x')}](${Array.from(this.read().subarray(0, 8))
      .map((v) => v.toPrecision(4))
      .join(', ')}${this.size > 8 ? ', …' : ''})`;
  }
}

/** A new tensor with zeroed storage. */
export function empty(shape: Shape): Tensor {
  checkShape(shape, 'empty');
  return new Tensor(allocStorage(sizeOf(shape)), shape);
}

export const zeros = empty;

/** A new tensor whose contents are unspecified: only for an output a kernel overwrites entirely. */
export function uninitialized(shape: Shape): Tensor {
  checkShape(shape, 'uninitialized');
  return new Tensor(allocStorage(sizeOf(shape), false), shape);
}

export function full(shape: Shape, value: number): Tensor {
  const t = empty(shape);
  t.data.fill(value);
  return t;
}

export function ones(shape: Shape): Tensor {
  return full(shape, 1);
}

export function scalar(value: number): Tensor {
  return full([], value);
}

/** Copy of `data` (any numeric array) with the given shape. */
export function fromArray(data: ArrayLike<number>, shape: Shape): Tensor {
  checkShape(shape, 'fromArray');
  const n = sizeOf(shape);
  if (data.length !== n) throw new ShapeError(`fromArray: ${data.length} values for shape [${shape.join(', ')}] (needs ${n})`);
  // One typed-array copy (a memcpy from Float32Array; the same rounding as element assignment
  // otherwise): the element loop over a generic ArrayLike cost 0.2 ms per 128×784 MNIST batch.
  const t = uninitialized(shape);
  t.data.set(data);
  return t;
}

/** A tensor from nested arrays, e.g. tensor([[1, 2], [3, 4]]). */
export function tensor(values: NestedArray): Tensor {
  const shape: number[] = [];
  let v: NestedArray = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0] as NestedArray;
  }
  const flat: number[] = [];
  const walk = (x: NestedArray, dim: number): void => {
    if (dim === shape.length) {
      if (typeof x !== 'number') throw new ShapeError('tensor: ragged nested array (expected a number)');
      flat.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[dim]) {
      throw new ShapeError(`tensor: ragged nested array at depth ${dim} (expected length ${shape[dim]})`);
    }
    for (const y of x) walk(y, dim + 1);
  };
  walk(values, 0);
  return fromArray(flat, shape);
}

export function uniform(shape: Shape, lo: number, hi: number, rng: Rng): Tensor {
  const t = empty(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.range(lo, hi);
  return t;
}

export function normal(shape: Shape, mean: number, std: number, rng: Rng): Tensor {
  const t = empty(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = mean + std * rng.normal();
  return t;
}

/** A view with a new shape sharing storage (no bytes of its own). */
export function view(t: Tensor, shape: Shape): Tensor {
  checkShape(shape, 'reshape');
  if (sizeOf(shape) !== t.size) {
    throw new ShapeError(`reshape: cannot view [${t.shape.join(', ')}] (${t.size} elements) as [${shape.join(', ')}]`);
  }
  return new Tensor(t.buf, shape, t.base ?? t);
}

export { isFloat64 };
