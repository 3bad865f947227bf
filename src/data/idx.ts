// Reader for the IDX format (MNIST and friends), plain or gzipped, unsigned-byte data only.
// Every malformed input becomes a DataError naming the file and, where it applies, the offset.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../errors.ts';

export interface IdxFile {
  dims: number[];
  /** product(dims) bytes, row-major, a view into the file contents (not a copy). */
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/** Read an IDX file from disk; gzip is detected by its magic bytes, not by the file name. */
export function readIdx(file: string): IdxFile {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (e) {
    throw new DataError(`${file}: cannot read IDX file (${(e as Error).message})`);
  }
  return parseIdx(raw, file);
}

/** Parse IDX bytes (plain or gzipped); `file` is used only in error messages. */
export function parseIdx(raw: Uint8Array, file: string): IdxFile {
  let bytes = raw;
  let note = '';
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      bytes = gunzipSync(raw);
    } catch (e) {
      throw new DataError(`${file}: corrupt gzip data (${(e as Error).message}); delete and re-fetch the file`);
    }
    note = ' after gunzip';
  }
  if (bytes.length < 4) {
    throw new DataError(`${file}: ${bytes.length} bytes${note}, too short for the 4-byte IDX magic number`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(`${file}: bad IDX magic number at byte offset 0 (${hex}); the first two bytes must be 00 00`);
  }
  const type = bytes[2];
  if (type !== 0x08) {
    const what = TYPE_NAMES[type] ? `${TYPE_NAMES[type]} data` : 'an unknown type code';
    throw new DataError(
      `${file}: IDX type code 0x${type.toString(16).padStart(2, '0')} at byte offset 2 is ${what}; only 0x08 (unsigned byte) is supported`,
    );
  }
  const ndims = bytes[3];
  if (ndims === 0) throw new DataError(`${file}: IDX header at byte offset 3 declares 0 dimensions`);
  const header = 4 + 4 * ndims;
  if (bytes.length < header) {
    throw new DataError(`${file}: truncated IDX header${note}: expected ${header} bytes for ${ndims} dims, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    if (size === 0) throw new DataError(`${file}: IDX dimension ${d} (byte offset ${4 + 4 * d}) is 0`);
    dims.push(size);
  }
  const expected = header + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) {
    const problem = bytes.length < expected ? 'truncated' : 'has trailing bytes';
    throw new DataError(
      `${file}: IDX file ${problem}${note}: dims [${dims.join(', ')}] need ${expected} bytes, got ${bytes.length}` +
        ` (data should end at byte offset ${expected})`,
    );
  }
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + header, expected - header) };
}
