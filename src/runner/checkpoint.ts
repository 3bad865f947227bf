// A trial's checkpoint: everything its training loop carries from one epoch to the next
// (parameters, buffers, optimizer slots, the rule's state, the random streams, the runner's
// running figures), so a trial stopped part-way continues from its last finished epoch and
// writes the records an uninterrupted run would. One file per trial, `<id>.ckpt` beside its
// partial records: an 8-byte magic, the header length, a JSON header, then the raw arrays.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { Rng, type RngState } from '../random.ts';
import { Tensor, fromArray } from '../tensor/tensor.ts';
import { ledger } from '../tensor/ledger.ts';
import type { Snapshot } from './observer.ts';

export type { Snapshot };

// 02: values by owner (the loop and each observer); a checkpoint of another layout is not resumed from.
const MAGIC = 'RBCKPT02';

/** Raised when a value a checkpoint must carry is neither data nor found in the fresh state. */
export class NotCheckpointable extends Error {}

/** One step into a value tree: an array index, an object key, or the i-th value of a Map. */
type Step = number | string | { m: number };

type Arrays = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;
const ARRAY_TYPES = { Float32Array, Float64Array, Int32Array, Uint32Array, Uint8Array } as const;
type ArrayName = keyof typeof ARRAY_TYPES;
type Encoded = null | boolean | string | number | Encoded[] | { [k: string]: Encoded };

/**
 * Encodes a value tree as JSON plus a list of raw arrays. Tensors are kept by identity: one that
 * appears twice (a parameter the rule's state also holds) is restored as the same tensor.
 */
class Encoder {
  readonly arrays: Arrays[] = [];
  private readonly tensors = new Map<Tensor, number>();
  private readonly tensorList: Encoded[] = [];

  constructor(known: readonly Tensor[] = []) {
    for (const t of known) this.tensor(t);
  }

  private array(a: Arrays): Encoded {
    this.arrays.push(a);
    return { $a: a.constructor.name, i: this.arrays.length - 1 };
  }

  private tensor(t: Tensor): number {
    let i = this.tensors.get(t);
    if (i === undefined) {
      i = this.tensorList.length;
      this.tensors.set(t, i);
      this.tensorList.push({ shape: [...t.shape], data: this.array(t.data) });
    }
    return i;
  }

  /**
   * Data is written out. Anything else in a rule's state (a Model, a function) is structure its
   * `init` builds the same way every time: written as its path, and on resume taken from the
   * freshly initialized state at that path.
   */
  encode(v: unknown, at: Step[]): Encoded {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (v === undefined) return { $u: 1 };
    // JSON keeps every finite double exactly; -0, NaN and ±Infinity go by name.
    if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : { $n: String(Object.is(v, -0) ? '-0' : v) };
    if (v instanceof Tensor) return { $t: this.tensor(v) };
    if (v instanceof Rng) return { $rng: v.seed, state: v.saveState() as unknown as Encoded };
    if (ArrayBuffer.isView(v) && v.constructor.name in ARRAY_TYPES) return this.array(v as Arrays);
    if (Array.isArray(v)) return v.map((x, i) => this.encode(x, [...at, i]));
    if (v instanceof Map)
      return { $m: [...v].map(([k, x], i) => [this.encode(k, [...at, { m: i }, 'key']), this.encode(x, [...at, { m: i }])]) };
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return { $o: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.encode(x, [...at, k])])) };
    }
    return { $init: at as Encoded[] };
  }

  get tensorTable(): Encoded[] {
    return this.tensorList;
  }
}

class Decoder {
  private readonly tensors: (Tensor | undefined)[];

  constructor(
    private readonly table: Encoded[],
    private readonly arrays: Arrays[],
    known: readonly Tensor[],
    private readonly fresh: unknown,
  ) {
    this.tensors = [...known];
  }

  /** The value at `path` in the freshly initialized values. */
  private structure(path: Step[]): unknown {
    let v = this.fresh;
    for (const s of path) {
      if (typeof s === 'object') v = v instanceof Map ? [...v.values()][s.m] : undefined;
      else v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[s] : undefined;
      if (v === undefined) break;
    }
    if (v === undefined || v === null || (typeof v !== 'object' && typeof v !== 'function')) {
      throw new NotCheckpointable(
        `checkpoint: ${path.map((s) => (typeof s === 'object' ? `[entry ${s.m}]` : `.${s}`)).join('')} is not data, and the freshly initialized state has nothing there to take`,
      );
    }
    return v;
  }

  private tensor(i: number): Tensor {
    let t = this.tensors[i];
    if (!t) {
      const { shape, data } = this.table[i] as { shape: number[]; data: { i: number } };
      t = ledger().withCategory('rule-state', () => fromArray(this.arrays[data.i], shape));
      this.tensors[i] = t;
    }
    return t;
  }

  decode(e: Encoded): unknown {
    if (e === null || typeof e !== 'object') return e;
    if (Array.isArray(e)) return e.map((x) => this.decode(x));
    if ('$u' in e) return undefined;
    if ('$init' in e) return this.structure(e.$init as Step[]);
    if ('$n' in e) return e.$n === '-0' ? -0 : Number(e.$n);
    if ('$t' in e) return this.tensor(e.$t as number);
    if ('$a' in e) return this.arrays[e.i as number].slice();
    if ('$rng' in e) {
      const r = new Rng(e.$rng as string);
      r.restore(e.state as unknown as RngState);
      return r;
    }
    if ('$m' in e) return new Map((e.$m as Encoded[][]).map(([k, x]) => [this.decode(k), this.decode(x)]));
    return Object.fromEntries(Object.entries(e.$o as Record<string, Encoded>).map(([k, x]) => [k, this.decode(x)]));
  }
}

export interface CheckpointHeader {
  trial: string;
  epoch: number;
  step: number;
  /** Bytes of the partial records file when the checkpoint was taken (later lines are redone). */
  recordsBytes: number;
}

/** Write a checkpoint atomically (temp file, fsync, rename): the old one stays until the new one is whole. */
export function writeCheckpoint(path: string, trial: string, recordsBytes: number, s: Snapshot): void {
  const enc = new Encoder(s.tensors);
  const values = enc.encode(s.values, []);
  const offsets: number[] = [];
  let size = 0;
  for (const a of enc.arrays) {
    offsets.push(size);
    size += Math.ceil(a.byteLength / 8) * 8;
  }
  const header: CheckpointHeader & { tensorCount: number; table: Encoded[]; arrays: [ArrayName, number, number][]; values: Encoded } = {
    trial,
    epoch: s.epoch,
    step: s.step,
    recordsBytes,
    tensorCount: s.tensors.length,
    table: enc.tensorTable,
    arrays: enc.arrays.map((a, i) => [a.constructor.name as ArrayName, offsets[i], a.length]),
    values,
  };
  const head = Buffer.from(JSON.stringify(header));
  const pre = Buffer.alloc(16);
  pre.write(MAGIC, 0, 'latin1');
  pre.writeUInt32LE(head.length, 8);
  const pad = Buffer.alloc((8 - ((16 + head.length) % 8)) % 8);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const b of [pre, head, pad]) writeAll(fd, b);
    for (const a of enc.arrays) {
      writeAll(fd, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
      writeAll(fd, Buffer.alloc(Math.ceil(a.byteLength / 8) * 8 - a.byteLength));
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw Object.assign(e as Error, { path });
  }
}

function writeAll(fd: number, b: Buffer): void {
  for (let off = 0; off < b.length;) off += writeSync(fd, b, off, b.length - off);
}

export interface LoadedCheckpoint extends CheckpointHeader {
  /**
   * Copy the saved tensors into `into` (same order and shapes) and rebuild the other values; what
   * was saved as structure is taken from `fresh` (the same values as a new trial builds them).
   */
  restore(into: readonly Tensor[], fresh: Record<string, unknown>): Record<string, unknown>;
}

/** A checkpoint's header and contents, or null when there is none or it is not whole. */
export function readCheckpoint(path: string): LoadedCheckpoint | null {
  if (!existsSync(path)) return null;
  try {
    const buf = readFileSync(path);
    if (buf.toString('latin1', 0, 8) !== MAGIC) return null;
    const n = buf.readUInt32LE(8);
    const header = JSON.parse(buf.toString('utf8', 16, 16 + n));
    const base = 16 + n + ((8 - ((16 + n) % 8)) % 8);
    const arrays = (header.arrays as [ArrayName, number, number][]).map(([type, off, len]) => {
      const T = ARRAY_TYPES[type];
      const bytes = len * T.BYTES_PER_ELEMENT;
      if (base + off + bytes > buf.length) throw new Error('truncated');
      // Copied out so each array is aligned and owns its memory.
      return new T(buf.buffer.slice(buf.byteOffset + base + off, buf.byteOffset + base + off + bytes)) as Arrays;
    });
    return {
      trial: header.trial,
      epoch: header.epoch,
      step: header.step,
      recordsBytes: header.recordsBytes,
      restore(into, fresh) {
        if (into.length !== header.tensorCount)
          throw new Error(`checkpoint ${path}: ${header.tensorCount} tensors saved, ${into.length} to restore`);
        into.forEach((t, i) => {
          const a = arrays[(header.table[i] as { data: { i: number } }).data.i];
          if (a.length !== t.data.length)
            throw new Error(`checkpoint ${path}: tensor ${i} has ${a.length} values, expected ${t.data.length}`);
          t.data.set(a as Float32Array);
        });
        return new Decoder(header.table, arrays, into, fresh).decode(header.values) as Record<string, unknown>;
      },
    };
  } catch {
    return null;
  }
}
