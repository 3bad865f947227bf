// The CIFAR-10 binary loader, on small files written here (CIFAR-10 itself cannot be installed).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError, loadCifar10, loadDataset } from '../../src/index.ts';

const RECORD = 1 + 3072;

/** A directory with the six CIFAR-10 files, `per` records each; pixel k of record r is (r + k) mod 256. */
function fakeCifar(per: number, corrupt: string | null = null): string {
  const dir = mkdtempSync(join(tmpdir(), 'cifar-'));
  const files = [...[1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), 'test_batch.bin'];
  files.forEach((f, fi) => {
    const b = Buffer.alloc(per * RECORD);
    for (let r = 0; r < per; r++) {
      b[r * RECORD] = (fi + r) % 10;
      for (let k = 0; k < 3072; k++) b[r * RECORD + 1 + k] = (fi * per + r + k) % 256;
    }
    writeFileSync(join(dir, f), f === corrupt ? b.subarray(0, b.length - 7) : b);
  });
  return dir;
}

describe('CIFAR-10 loader', () => {
  it('reads labels and R, G, B planes of 32×32 into [3, 32, 32] samples in [0, 1]', () => {
    const dir = fakeCifar(3);
    // Files of 3 records, read as such (CIFAR-10's own hold 10000).
    const [train, test] = [loadCifar10(dir, 'train', 3), loadCifar10(dir, 'test', 3)];
    expect([train.n, test.n]).toEqual([15, 3]);
    expect(train.shape).toEqual([3, 32, 32]);
    expect(Array.from(train.y as Int32Array).slice(0, 4)).toEqual([0, 1, 2, 1]);
    // Record 1 of batch 2 (row 4): its first red pixel is (1·3 + 1 + 0) mod 256, its first green (4 + 1024) mod 256.
    expect(train.x[4 * 3072]).toBeCloseTo(4 / 255, 6);
    expect(train.x[4 * 3072 + 1024]).toBeCloseTo(((4 + 1024) % 256) / 255, 6);
    expect(test.y[0]).toBe(5);
  });

  it('names the file when it is missing or not whole records, and the field when no directory is given', () => {
    // A partial copy: files of 3 records where CIFAR-10's hold 10000.
    expect(() => loadDataset('cifar10', { dir: fakeCifar(3) })).toThrow(
      /data_batch_1\.bin: 3 records; each file of the CIFAR-10 binary version holds 10000$/,
    );
    expect(() => loadCifar10(fakeCifar(2, 'data_batch_3.bin'), 'train', 2)).toThrow(
      /data_batch_3\.bin: .* not a whole number of 3073-byte/,
    );
    expect(() => loadDataset('cifar10', { dir: '/nonexistent' })).toThrow(DataError);
    expect(() => loadDataset('cifar10', {})).toThrow(/data\.dir/);
  });
});
