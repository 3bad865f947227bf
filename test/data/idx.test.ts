// IDX reader: valid plain and gzipped files, and each kind of malformed file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.ts';
import { readIdx } from '../../src/data/idx.ts';

const dir = mkdtempSync(join(tmpdir(), 'rulebench-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function idx(dims: number[], data: number[], type = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

function write(name: string, bytes: Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

/** Asserts readIdx throws a DataError whose message names the file and matches `pattern`. */
function expectDataError(file: string, pattern: RegExp): void {
  let err: unknown;
  try {
    readIdx(file);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DataError);
  const msg = (err as Error).message;
  expect(msg).toContain(file);
  expect(msg).toMatch(pattern);
}

const values = [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255];

describe('readIdx', () => {
  it('reads a plain file', () => {
    const file = write('plain', idx([2, 3, 2], values));
    const { dims, data } = readIdx(file);
    expect(dims).toEqual([2, 3, 2]);
    expect(Array.from(data)).toEqual(values);
  });

  it('reads a gzipped file, detected by magic bytes not by name', () => {
    const file = write('zipped-without-gz-suffix', gzipSync(idx([4, 3], values)));
    const { dims, data } = readIdx(file);
    expect(dims).toEqual([4, 3]);
    expect(Array.from(data)).toEqual(values);
  });

  it('rejects a truncated file with expected vs actual bytes', () => {
    const file = write('truncated', idx([2, 3, 2], values).subarray(0, 4 + 12 + 7));
    expectDataError(file, /truncated.*need 28 bytes, got 23/);
  });

  it('rejects a truncated gzipped payload', () => {
    const file = write('truncated.gz', gzipSync(idx([2, 3, 2], values.slice(0, 10))));
    expectDataError(file, /truncated after gunzip.*need 28 bytes, got 26/);
  });

  it('rejects a truncated header', () => {
    const file = write('short-header', idx([2, 3, 2], []).subarray(0, 10));
    expectDataError(file, /truncated IDX header.*expected 16 bytes.*got 10/);
  });

  it('rejects trailing bytes', () => {
    const file = write('trailing', Buffer.concat([idx([3, 4], values), Buffer.from([9, 9])]));
    expectDataError(file, /trailing bytes.*need 24 bytes, got 26.*byte offset 24/);
  });

  it('rejects a wrong magic number', () => {
    const bytes = idx([12], values);
    bytes[0] = 0x42;
    expectDataError(write('bad-magic', bytes), /magic number at byte offset 0/);
  });

  it('rejects unsupported type codes, naming the type', () => {
    expectDataError(write('float', idx([3], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0x0d)), /0x0d.*float32.*only 0x08/);
    expectDataError(write('unknown-type', idx([3], [1, 2, 3], 0x42)), /0x42.*unknown type code/);
  });

  it('rejects zero dimensions and zero-sized dims', () => {
    expectDataError(write('no-dims', idx([], [])), /0 dimensions/);
    expectDataError(write('zero-dim', idx([3, 0], [])), /dimension 1 .*is 0/);
  });

  it('rejects corrupt gzip', () => {
    const gz = gzipSync(idx([12], values));
    const corrupt = Buffer.from(gz);
    for (let i = 10; i < corrupt.length - 8; i++) corrupt[i] ^= 0xa5;
    expectDataError(write('corrupt.gz', corrupt), /corrupt gzip/);
    expectDataError(write('cut.gz', gz.subarray(0, gz.length - 12)), /corrupt gzip/);
  });

  it('names the file when it cannot be read', () => {
    expectDataError(join(dir, 'does-not-exist'), /cannot read/);
  });
});
