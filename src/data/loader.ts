// Seeded data plumbing: row selection, train/validation split, subsets, and a batch loader
// that writes each batch into buffers preallocated once per Loader.
import { SpecError } from '../errors.ts';
import type { Rng } from '../random.ts';
import { targetWidth, validateDataset, type Dataset } from './dataset.ts';

/** A new dataset holding the given rows of `ds`, in the given order (features are copied). */
export function select<D extends Dataset>(ds: D, indices: ArrayLike<number>, name: string = ds.name): D {
  const f = ds.features;
  const w = targetWidth(ds);
  const n = indices.length;
  const x = new Float32Array(n * f);
  const y = ds.kind === 'classification' ? new Int32Array(n * w) : new Float32Array(n * w);
  for (let r = 0; r < n; r++) {
    const i = indices[r];
    if (!Number.isInteger(i) || i < 0 || i >= ds.n) {
      throw new SpecError(`select from dataset "${ds.name}": index ${i} at position ${r} is outside [0, ${ds.n})`);
    }
    x.set(ds.x.subarray(i * f, (i + 1) * f), r * f);
    y.set(ds.y.subarray(i * w, (i + 1) * w), r * w);
  }
  // The spread keeps kind-specific fields (classes or targets); y has the same array type as ds.y.
  return validateDataset({ ...ds, name, x, y, n, shape: ds.shape.slice() } as D);
}

function sortedHead(perm: Uint32Array, count: number): Uint32Array {
  return perm.slice(0, count).sort();
}

/**
 * Hold out a validation set. `validation` is a fraction in (0, 1) or a whole count >= 1.
 * Deterministic in rng's seed (uses rng.child('split'), so the caller's stream is not
 * advanced). Both parts keep the original sample order; shuffle with a Loader.
 */
export function split<D extends Dataset>(ds: D, validation: number, rng: Rng): { train: D; validation: D } {
  const count = validation < 1 ? Math.round(validation * ds.n) : validation;
  if (!(validation > 0) || !Number.isInteger(count) || count < 1 || count >= ds.n) {
    throw new SpecError(
      `split of dataset "${ds.name}" (n = ${ds.n}): validation = ${validation} must be a fraction in (0, 1)` +
        ` or a whole count, leaving at least one sample on each side`,
    );
  }
  const perm = rng.child('split').permutation(ds.n);
  const held = sortedHead(perm, count);
  const kept = perm.slice(count).sort();
  return { train: select(ds, kept, `${ds.name}/train`), validation: select(ds, held, `${ds.name}/validation`) };
}

/**
 * The first n samples when no rng is given (cheap, and identical across runs: what tests and
 * quick experiments want); otherwise a seeded sample without replacement via rng.child('subset'),
 * kept in original order.
 */
export function subset<D extends Dataset>(ds: D, n: number, rng?: Rng): D {
  if (!Number.isInteger(n) || n < 1 || n > ds.n) {
    throw new SpecError(`subset of dataset "${ds.name}": n = ${n} must be an integer in [1, ${ds.n}]`);
  }
  if (n === ds.n && !rng) return ds;
  const indices = rng ? sortedHead(rng.child('subset').permutation(ds.n), n) : Uint32Array.from({ length: n }, (_, i) => i);
  return select(ds, indices, `${ds.name}[${n}]`);
}

/** A batch as the loader hands it: rows of plain arrays (a rule's Batch holds them as tensors). */
export interface LoaderBatch<Y extends Int32Array | Float32Array = Int32Array | Float32Array> {
  /** size * features, row-major. */
  x: Float32Array;
  /** size labels (classification) or size * targets values (regression). */
  y: Y;
  size: number;
  /** Dataset row of each batch row. */
  indices: Uint32Array;
}

export interface LoaderOptions {
  batchSize: number;
  /** Shuffle each epoch with rng.child(`epoch-${e}`); requires rng. */
  shuffle: boolean;
  rng?: Rng;
  /** Skip the final partial batch. Default false: every sample is seen once per epoch. */
  dropLast?: boolean;
}

/**
 * Iterates a dataset in batches. Batches are written into buffers allocated once in the
 * constructor and reused for every batch of every epoch: a batch is valid only until the
 * next one is requested, so the caller must copy anything it keeps. Full batches share the
 * same array objects; the final partial batch uses fixed views over the same memory.
 */
export class Loader<D extends Dataset = Dataset> {
  readonly dataset: D;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private readonly rng: Rng | undefined;
  private readonly full: LoaderBatch<D['y']>;
  private readonly tail: LoaderBatch<D['y']> | null;

  constructor(dataset: D, opts: LoaderOptions) {
    const { batchSize, shuffle, rng, dropLast = false } = opts;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new SpecError(`Loader for dataset "${dataset.name}": batchSize = ${batchSize} must be a positive integer`);
    }
    if (shuffle && !rng) throw new SpecError(`Loader for dataset "${dataset.name}": shuffle needs an rng`);
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.rng = rng;
    const cap = Math.min(batchSize, dataset.n);
    const f = dataset.features;
    const w = targetWidth(dataset);
    const x = new Float32Array(cap * f);
    const y = (dataset.kind === 'classification' ? new Int32Array(cap * w) : new Float32Array(cap * w)) as D['y'];
    const indices = new Uint32Array(cap);
    this.full = { x, y, size: cap, indices };
    const rest = dataset.n % batchSize;
    this.tail =
      rest > 0 && !dropLast && dataset.n > batchSize
        ? { x: x.subarray(0, rest * f), y: y.subarray(0, rest * w) as D['y'], size: rest, indices: indices.subarray(0, rest) }
        : null;
  }

  /** Number of batches per epoch. */
  get batches(): number {
    const n = this.dataset.n;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Sample order for epoch e; depends only on (rng seed, e), not on earlier epochs. */
  order(e: number): Uint32Array {
    if (this.shuffle && this.rng) return this.rng.child(`epoch-${e}`).permutation(this.dataset.n);
    return Uint32Array.from({ length: this.dataset.n }, (_, i) => i);
  }

  *epoch(e: number): Generator<LoaderBatch<D['y']>, void, undefined> {
    const ds = this.dataset;
    const order = this.order(e);
    const f = ds.features;
    const w = targetWidth(ds);
    for (let b = 0; b < this.batches; b++) {
      const start = b * this.batchSize;
      const size = Math.min(this.batchSize, ds.n - start);
      const batch = size === this.full.size ? this.full : (this.tail as LoaderBatch<D['y']>);
      for (let r = 0; r < size; r++) {
        const i = order[start + r];
        batch.indices[r] = i;
        batch.x.set(ds.x.subarray(i * f, (i + 1) * f), r * f);
        batch.y.set(ds.y.subarray(i * w, (i + 1) * w), r * w);
      }
      yield batch;
    }
  }
}
