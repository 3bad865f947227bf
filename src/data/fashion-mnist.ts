// Fashion-MNIST (60k train / 10k test) from the gzipped IDX files of the Debian package
// dataset-fashion-mnist; `data.dir` in a spec, else RULEBENCH_FASHION_MNIST_DIR, overrides the
// directory. Cached per process and directory.
import { join } from 'node:path';
import { DataError } from '../errors.ts';
import type { ClassificationDataset } from './dataset.ts';
import { loadIdxImageSet } from './idx-images.ts';
import { checkFirstLabels } from './first-labels.ts';
import { findIdxFile, type ImageSetOptions } from './mnist.ts';

export type FashionMnistSplit = 'train' | 'test';

export const FASHION_MNIST_DEFAULT_DIR = '/usr/share/datasets/fashion-mnist';

/** Label names in class order, for reports. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

// Keyed by directory too, so a test that points the env var elsewhere never sees stale data.
const cache = new Map<string, ClassificationDataset>();

export function fashionMnistDir(): string {
  return process.env.RULEBENCH_FASHION_MNIST_DIR || FASHION_MNIST_DEFAULT_DIR;
}

function locate(dir: string, base: string, fromSpec: boolean): string {
  const file = findIdxFile(dir, base);
  if (file) return file;
  throw new DataError(
    fromSpec
      ? `Fashion-MNIST: ${join(dir, `${base}.gz`)} not found; data.dir must hold the four Fashion-MNIST IDX files (plain or .gz)`
      : `Fashion-MNIST: ${join(dir, `${base}.gz`)} not found; install it with: apt-get install -y dataset-fashion-mnist` +
          ' (or run scripts/ensure-fashion-mnist.sh), or set RULEBENCH_FASHION_MNIST_DIR (or data.dir in the spec) to a directory holding the IDX files',
  );
}

export function loadFashionMnist(split: FashionMnistSplit, opts: ImageSetOptions = {}): ClassificationDataset {
  const dir = opts.dir ?? fashionMnistDir();
  const key = `${dir}\0${split}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const prefix = split === 'train' ? 'train' : 't10k';
  const labels = locate(dir, `${prefix}-labels-idx1-ubyte`, opts.dir !== undefined);
  const ds = loadIdxImageSet(`fashion-mnist-${split}`, locate(dir, `${prefix}-images-idx3-ubyte`, opts.dir !== undefined), labels, 10);
  checkFirstLabels('fashion-mnist', split, ds.y, labels);
  if (opts.cache !== false) cache.set(key, ds);
  return ds;
}
