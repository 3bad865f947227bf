// CIFAR-10 from a user's own copy of its binary version (data_batch_1..5.bin, test_batch.bin:
// each record one label byte and 3072 pixel bytes, R then G then B planes of 32×32). It cannot
// be installed here, so it is read from the directory a spec names. Cached per directory.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../errors.ts';
import { classificationDataset, type ClassificationDataset } from './dataset.ts';

export type Cifar10Split = 'train' | 'test';

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

const RECORD = 1 + 3 * 32 * 32;
const FILES: Record<Cifar10Split, string[]> = {
  train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`),
  test: ['test_batch.bin'],
};
const cache = new Map<string, ClassificationDataset>();

/** Records in each file of the binary version (five training batches and the test batch). */
export const CIFAR10_RECORDS_PER_FILE = 10000;

/**
 * The split's files in `dir`, each of `perFile` records (CIFAR-10's own 10000; a file holding
 * another count is a partial or foreign copy, refused naming it).
 */
export function loadCifar10(dir: string, split: Cifar10Split, perFile = CIFAR10_RECORDS_PER_FILE): ClassificationDataset {
  const key = `${dir}\0${split}\0${perFile}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const chunks = FILES[split].map((f) => {
    const path = join(dir, f);
    if (!existsSync(path))
      throw new DataError(`${path}: CIFAR-10 file not found (the binary version: ${FILES[split].join(', ')} in data.dir)`);
    const bytes = readFileSync(path);
    if (bytes.length === 0 || bytes.length % RECORD !== 0) {
      throw new DataError(
        `${path}: ${bytes.length} bytes is not a whole number of ${RECORD}-byte CIFAR-10 records (label + 3×32×32 pixels)`,
      );
    }
    if (bytes.length / RECORD !== perFile)
      throw new DataError(`${path}: ${bytes.length / RECORD} records; each file of the CIFAR-10 binary version holds ${perFile}`);
    return { path, bytes };
  });
  const n = chunks.reduce((s, c) => s + c.bytes.length / RECORD, 0);
  const x = new Float32Array(n * 3072);
  const y = new Int32Array(n);
  let r = 0;
  for (const { path, bytes } of chunks) {
    for (let off = 0; off < bytes.length; off += RECORD, r++) {
      const label = bytes[off];
      if (label > 9) throw new DataError(`${path}: record ${off / RECORD} has label ${label}, outside [0, 10)`);
      y[r] = label;
      for (let k = 0; k < 3072; k++) x[r * 3072 + k] = bytes[off + 1 + k] / 255;
    }
  }
  const ds = classificationDataset(`cifar10-${split}`, x, y, [3, 32, 32], 10);
  cache.set(key, ds);
  return ds;
}
