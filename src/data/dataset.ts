// The in-memory Dataset: row-major Float32 features plus either class labels or regression
// targets, and the check every loader and generator runs before handing a dataset out.
import { DataError } from '../errors.ts';

interface DatasetBase {
  name: string;
  /** n * features, row-major: sample i occupies x[i*features .. (i+1)*features). */
  x: Float32Array;
  n: number;
  features: number;
  /** Per-sample shape, e.g. [28, 28]; its product equals `features`. */
  shape: number[];
}

export interface ClassificationDataset extends DatasetBase {
  kind: 'classification';
  /** One label in [0, classes) per sample, or `positions` per sample (row-major) for a sequence. */
  y: Int32Array;
  classes: number;
  /**
   * A sequence dataset labels every position: `positions` labels per sample (next-character
   * targets; a label of -1 is a position no loss scores). Absent: one label per sample.
   */
  positions?: number;
  /** What the inputs' token ids stand for (x holds ids as float values). */
  tokens?: TokenInfo;
}

export interface TokenInfo {
  /** Printable form of every id (the unknown symbol's is "\uFFFD"). */
  vocab: readonly string[];
  /** What one position is, for the metric's name (bitsPerChar): "char", "symbol". */
  unit: string;
  /** The id of characters outside the vocabulary, or null. */
  unknown: number | null;
}

export interface RegressionDataset extends DatasetBase {
  kind: 'regression';
  /** n * targets, row-major. */
  y: Float32Array;
  targets: number;
  /** Always 0, so `classes` can be read without narrowing first. */
  classes: 0;
}

/** Shared datasets (e.g. cached MNIST) must be treated as read-only by every consumer. */
export type Dataset = ClassificationDataset | RegressionDataset;

/** Number of label/target values per sample: 1 for classification, `targets` for regression. */
export function targetWidth(ds: Dataset): number {
  return ds.kind === 'classification' ? (ds.positions ?? 1) : ds.targets;
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function classificationDataset(
  name: string,
  x: Float32Array,
  y: Int32Array,
  shape: number[],
  classes: number,
): ClassificationDataset {
  const features = product(shape);
  return validateDataset({ kind: 'classification', name, x, y, n: y.length, features, shape, classes });
}

export function regressionDataset(name: string, x: Float32Array, y: Float32Array, shape: number[], targets: number): RegressionDataset {
  const features = product(shape);
  const n = targets > 0 ? y.length / targets : 0;
  return validateDataset({ kind: 'regression', name, x, y, n, features, shape, targets, classes: 0 });
}

/**
 * Throws DataError on inconsistent sizes, NaN/Inf features or targets, or labels outside
 * [0, classes); the message names the dataset, the sample index and the array offset.
 * Returns its argument so constructors can chain it.
 */
export function validateDataset<D extends Dataset>(ds: D): D {
  const where = `dataset "${ds.name}"`;
  if (!Number.isInteger(ds.n) || ds.n < 0) throw new DataError(`${where}: n = ${ds.n} is not a non-negative integer`);
  if (product(ds.shape) !== ds.features || ds.features <= 0) {
    throw new DataError(`${where}: shape [${ds.shape.join(', ')}] does not give features = ${ds.features}`);
  }
  if (ds.x.length !== ds.n * ds.features) {
    throw new DataError(`${where}: x has ${ds.x.length} values, expected n * features = ${ds.n} * ${ds.features}`);
  }
  const width = targetWidth(ds);
  if (!Number.isInteger(width) || width <= 0 || ds.y.length !== ds.n * width) {
    throw new DataError(`${where}: y has ${ds.y.length} values, expected ${ds.n} samples * ${width}`);
  }
  const x = ds.x;
  for (let i = 0; i < x.length; i++) {
    // x - x is 0 for finite values and NaN for NaN/±Inf: one comparison per element.
    if (x[i] - x[i] !== 0) {
      const sample = Math.floor(i / ds.features);
      throw new DataError(`${where}: sample ${sample} feature ${i % ds.features} is ${x[i]} (x offset ${i}); features must be finite`);
    }
  }
  if (ds.kind === 'classification') {
    if (!Number.isInteger(ds.classes) || ds.classes < 1 || ds.classes > 65536) {
      throw new DataError(`${where}: classes = ${ds.classes} must be an integer in [1, 65536]`);
    }
    const y = ds.y;
    // Sequences may mark unscored positions with -1.
    const lowest = ds.positions ? -1 : 0;
    for (let i = 0; i < y.length; i++) {
      if (y[i] >= ds.classes || y[i] < lowest) {
        const at = ds.positions ? `sample ${Math.floor(i / ds.positions)} position ${i % ds.positions}` : `sample ${i}`;
        throw new DataError(`${where}: ${at} has label ${y[i]}, outside [${lowest}, ${ds.classes})`);
      }
    }
  } else {
    const y = ds.y;
    for (let i = 0; i < y.length; i++) {
      if (y[i] - y[i] !== 0) {
        throw new DataError(
          `${where}: sample ${Math.floor(i / width)} target ${i % width} is ${y[i]} (y offset ${i}); targets must be finite`,
        );
      }
    }
  }
  return ds;
}
