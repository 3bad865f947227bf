// The WASM SIMD backend: its loader and allocator (views surviving memory growth, free/reuse,
// finalization of leaked views, out-of-memory fallback), and the kernel conformance suite for
// both of its builds.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { referenceBackend as ref } from '../../src/kernels/reference.ts';
import { createWasmBackend, loadWasmBackend } from '../../src/kernels/wasm/index.ts';
import { rng } from '../../src/random.ts';
import { kernelConformance } from './conformance.ts';
import { exactMismatch, fillUniform, mismatch } from './helpers.ts';

const W = loadWasmBackend();
const r = rng('wasm-kernels');

/** A WASM-resident copy of `src` (or fresh random data when given a length). */
function wbuf(src: ArrayLike<number> | number, lo = -1, hi = 1): Float32Array {
  if (typeof src === 'number') return fillUniform(W.alloc(src) as Float32Array, r, lo, hi);
  const b = W.alloc(src.length) as Float32Array;
  b.set(Array.from(src));
  return b;
}

describe('loader and allocation', () => {
  it('returns one backend per thread, with storage in WASM memory', () => {
    expect(loadWasmBackend()).toBe(W);
    const v = W.alloc(10);
    expect(v).toBeInstanceOf(Float32Array);
    expect(v.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(W.owns(v)).toBe(true);
    expect(Array.from(v)).toEqual(new Array(10).fill(0));
    expect(W.owns(new Float32Array(10))).toBe(false);
    expect(W.owns(new Float64Array(10))).toBe(false);
    expect(W.alloc(0).length).toBe(0);
  });

  it('keeps old views valid across memory growth', () => {
    const before = W.memoryStats();
    const old = wbuf(1000);
    const snapshot = Array.from(old);
    // 48 x 4 MiB forces several grows.
    const big = Array.from({ length: 48 }, (_, i) => {
      const v = W.alloc(1 << 20);
      v[0] = i;
      v[v.length - 1] = -i;
      return v;
    });
    const after = W.memoryStats();
    expect(after.grows).toBeGreaterThan(before.grows);
    expect(after.memoryBytes).toBeGreaterThan(before.memoryBytes + 48 * 4 * 2 ** 20 - 1);
    // Old view: same contents, still recognized, and aliases the grown memory.
    expect(exactMismatch(old, snapshot)).toBeNull();
    expect(W.owns(old)).toBe(true);
    expect(old.buffer).not.toBe(big[47].buffer);
    const alias = new Float32Array(big[47].buffer, old.byteOffset, old.length);
    old[3] = 42;
    expect(alias[3]).toBe(42);
    big.forEach((v, i) => expect([v[0], v[v.length - 1]]).toEqual([i, -i]));
    // Kernels mixing pre- and post-growth views still run in WASM and agree with the reference.
    const b = wbuf(1000);
    const out = W.alloc(1000);
    W.binary('mul', old, [1000], b, [1000], out, [1000]);
    const expected = new Float32Array(1000);
    ref.binary('mul', old, [1000], b, [1000], expected, [1000]);
    expect(exactMismatch(out, expected)).toBeNull();
    const liveBeforeFree = W.memoryStats().liveBytes;
    for (const v of big) W.free(v);
    expect(liveBeforeFree - W.memoryStats().liveBytes).toBe(48 * 4 * 2 ** 20);
  });

  it('reuses freed blocks zero-filled and ignores stale or foreign frees', () => {
    const a = wbuf(1000);
    const ptr = a.byteOffset;
    const live = W.memoryStats().liveBytes;
    W.free(a);
    expect(W.memoryStats().liveBytes).toBeLessThan(live);
    const b = W.alloc(1000);
    expect(b.byteOffset).toBe(ptr);
    expect(b.every((x) => x === 0)).toBe(true);
    // A second free of the old view must not release b's block (same pointer, different owner).
    W.free(a);
    const c = W.alloc(1000);
    expect(c.byteOffset).not.toBe(ptr);
    // Subarrays and foreign buffers are not blocks.
    const liveNow = W.memoryStats().liveBytes;
    W.free(b.subarray(1));
    W.free(new Float32Array(1000));
    W.free(new Float64Array(4));
    expect(W.memoryStats().liveBytes).toBe(liveNow);
    // A nearby size shares the size class.
    W.free(c);
    expect(W.alloc(999).byteOffset).toBe(c.byteOffset);
  });

  it('reclaims views that are never freed once they are garbage collected', () => {
    // Needs --expose-gc, so it runs in a child process.
    const script = fileURLToPath(new URL('./wasm-finalize.fixture.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], { encoding: 'utf8' });
    const res = JSON.parse(out.trim().split('\n').pop()!) as { finalized: number; liveAfter: number; liveBefore: number };
    expect(res.finalized).toBeGreaterThanOrEqual(100);
    expect(res.liveAfter).toBeLessThan(res.liveBefore);
  });

  it('falls back to JS storage and reference kernels when WASM memory is full', () => {
    const small = createWasmBackend({ maxPages: 64 });
    const emit = process.emitWarning;
    const warnings: string[] = [];
    process.emitWarning = ((w: string | Error) => void warnings.push(String(w))) as typeof emit;
    try {
      const big = small.alloc(8 << 20);
      expect(small.owns(big)).toBe(false);
      expect(big.length).toBe(8 << 20);
      expect(warnings.join()).toMatch(/WASM memory is full/);
      const x = small.alloc(12);
      x.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      const y = small.alloc(12);
      small.unary('square', x, y);
      expect(Array.from(y)).toEqual([1, 4, 9, 16, 25, 36, 49, 64, 81, 100, 121, 144]);
    } finally {
      process.emitWarning = emit;
    }
  });

  it('rejects storage too small for the requested shapes instead of writing past it', () => {
    const a = wbuf(6);
    const b = wbuf(6);
    expect(() => W.matmul(a, b, W.alloc(3), 2, 2, 3, false, false)).toThrow(/matmul: out has 3 elements, needs 4/);
    expect(() => W.unary('exp', a, W.alloc(5))).toThrow(/unary exp/);
  });
});

describe('matmul on foreign storage and edge cases', () => {
  it('the comparison catches a wrong transpose (the test can fail)', () => {
    const [m, n, k] = [9, 9, 9];
    const a = wbuf(m * k);
    const b = wbuf(k * n);
    const out = W.alloc(m * n);
    W.matmul(a, b, out, m, n, k, true, false);
    const expected = new Float32Array(m * n);
    ref.matmul(a, b, expected, m, n, k, false, false);
    expect(mismatch(out, expected, 1e-5, 1e-6 * k)).not.toBeNull();
  });

  it('k = 0 gives zeros', () => {
    const out = wbuf(12);
    W.matmul(W.alloc(0), W.alloc(0), out, 3, 4, 0, false, false);
    expect(Array.from(out)).toEqual(new Array(12).fill(0));
  });

  it('falls back to the reference for Float64Array and plain Float32Array operands', () => {
    const [m, n, k] = [5, 6, 7];
    for (const mk of [(n_: number) => new Float64Array(n_), (n_: number) => new Float32Array(n_), (n_: number) => W.alloc(n_)]) {
      const a = fillUniform(new Float64Array(m * k), r);
      const b = fillUniform(new Float64Array(k * n), r);
      const aa = mk(m * k);
      aa.set(a);
      const out = new Float64Array(m * n);
      W.matmul(aa, b, out, m, n, k, false, true);
      const expected = new Float64Array(m * n);
      ref.matmul(aa, b, expected, m, n, k, false, true);
      expect(exactMismatch(out, expected)).toBeNull();
    }
  });
});

kernelConformance('wasm relaxed-simd build', createWasmBackend({ relaxed: true }));
kernelConformance('wasm baseline-simd build', createWasmBackend({ relaxed: false }));
