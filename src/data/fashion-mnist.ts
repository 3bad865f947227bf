// Fashion-MNIST (60k train / 10k test) from the gzipped IDX files of the Debian package
// dataset-fashion-mnist; RULEBENCH_FASHION_MNIST_DIR overrides the directory. Cached per process.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../errors.ts';
import type { ClassificationDataset } from './dataset.ts';
import { loadIdxImageSet } from './idx-images.ts';

export type FashionMnistSplit = 'train' | 'test';

export const FASHION_MNIST_DEFAULT_DIR = '/usr/share/datasets/fashion-mnist';

/** Label names in class order, for reports. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

// Keyed by directory too, so a test that points the env var elsewhere never sees stale data.
const cache = new Map<string, ClassificationDataset>();

export function fashionMnistDir(): string {
  return process.env.RULEBENCH_FASHION_MNIST_DIR || FASHION_MNIST_DEFAULT_DIR;
}

function locate(dir: string, base: string): string {
  // The Debian package ships .gz; accept an unpacked copy too (readIdx sniffs gzip itself).
  for (const file of [join(dir, `${base}.gz`), join(dir, base)]) if (existsSync(file)) return file;
  throw new DataError(
    `Fashion-MNIST: ${join(dir, `${base}.gz`)} not found; install it with: apt-get install -y dataset-fashion-mnist` +
      ' (or run scripts/ensure-fashion-mnist.sh), or set RULEBENCH_FASHION_MNIST_DIR to a directory holding the IDX files',
  );
}

export function loadFashionMnist(split: FashionMnistSplit): ClassificationDataset {
  const dir = fashionMnistDir();
  const key = `${dir}\0${split}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const prefix = split === 'train' ? 'train' : 't10k';
  const ds = loadIdxImageSet(
    `fashion-mnist-${split}`,
    locate(dir, `${prefix}-images-idx3-ubyte`),
    locate(dir, `${prefix}-labels-idx1-ubyte`),
    10,
  );
  cache.set(key, ds);
  return ds;
}
