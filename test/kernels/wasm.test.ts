// The WASM SIMD backend against the reference oracle, method by method, plus its allocator:
// views surviving memory growth, free/reuse, finalization of leaked views, out-of-memory fallback.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BinaryOp, Buf, ReduceOp, UnaryOp } from '../../src/kernels/backend.ts';
import { STAGE, STAGE_WORDS } from '../../src/kernels/optim-program.ts';
import { referenceBackend as ref } from '../../src/kernels/reference.ts';
import { createWasmBackend, loadWasmBackend } from '../../src/kernels/wasm/index.ts';
import { rng } from '../../src/random.ts';
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

const prod = (s: readonly number[]): number => s.reduce((x, y) => x * y, 1);

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

// Both kernel builds: relaxed SIMD (5×8 FMA micro-kernel) and baseline SIMD (4×8 mul + add).
const builds = [['relaxed-simd', createWasmBackend({ relaxed: true })], ['baseline-simd', createWasmBackend({ relaxed: false })]] as const;

describe.each(builds)('matmul (%s build)', (_build, B) => {
  const bbuf = (n: number): Float32Array => fillUniform(B.alloc(n) as Float32Array, r);
  const shapes: [number, number, number][] = [
    [1, 1, 1], [1, 7, 3], [3, 1, 7], [7, 3, 1], [3, 7, 17], [17, 33, 7], [33, 129, 17], [129, 17, 33],
    [4, 8, 256], [5, 9, 257], [6, 16, 1], [131, 9, 300], [2, 1030, 5], [64, 64, 513], [128, 256, 784],
    // Crosses every blocking boundary at once (MC = 130 or 104 rows, NC = 1024, K blocks of ≤ 512).
    [131, 1027, 520],
  ];
  for (const [m, n, k] of shapes) {
    for (const [tA, tB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
      it(`${m}x${n}x${k} transA=${tA} transB=${tB}`, () => {
        const a = bbuf(m * k);
        const b = bbuf(k * n);
        const out = bbuf(m * n); // garbage in out must be overwritten
        B.matmul(a, b, out, m, n, k, tA, tB);
        expect(B.owns(out)).toBe(true);
        const expected = new Float32Array(m * n);
        ref.matmul(a, b, expected, m, n, k, tA, tB);
        expect(mismatch(out, expected, 1e-5, 1e-6 * k)).toBeNull();
      });
    }
  }
});

describe('matmul', () => {
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

describe('binary', () => {
  const ops: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min', 'pow', 'gt'];
  const cases: [string, number[], number[], number[]][] = [
    ['same shape', [7, 33], [7, 33], [7, 33]],
    ['same shape, odd length', [129], [129], [129]],
    ['scalar b (rank 0)', [3, 17], [], [3, 17]],
    ['scalar b [1]', [3, 17], [1], [3, 17]],
    ['scalar a', [1, 1], [5, 9], [5, 9]],
    ['row bias', [128, 10], [10], [128, 10]],
    ['row bias [1, c]', [33, 7], [1, 7], [33, 7]],
    ['row broadcast on a', [17], [9, 17], [9, 17]],
    ['column', [9, 17], [9, 1], [9, 17]],
    ['column on a', [9, 1], [9, 17], [9, 17]],
    ['outer product', [7, 1], [1, 13], [7, 13]],
    ['rank-3 middle', [4, 3, 5], [4, 1, 5], [4, 3, 5]],
    ['rank-3 both', [2, 1, 5], [3, 1], [2, 3, 5]],
    ['rank-3 leading', [1, 3, 5], [6, 3, 5], [6, 3, 5]],
    ['rank-4 alternating (falls back)', [2, 1, 4, 1], [3, 1, 5], [2, 3, 4, 5]],
    ['empty', [0, 3], [3], [0, 3]],
  ];
  for (const op of ops) {
    for (const [name, aShape, bShape, outShape] of cases) {
      it(`${op}: ${name}`, () => {
        // pow takes a positive base so results are real.
        const a = wbuf(prod(aShape), op === 'pow' ? 0.1 : -2, 2);
        const b = wbuf(prod(bShape), -2, 2);
        if (op === 'max' || op === 'min' || op === 'gt') {
          // Ties and signed zeros take the reference's branch (a >= b ? a : b).
          if (a.length > 2 && b.length > 2) {
            a[0] = b[0];
            a[1] = -0;
            b[1] = 0;
          }
        }
        const out = wbuf(prod(outShape));
        W.binary(op, a, aShape, b, bShape, out, outShape);
        const expected = new Float32Array(prod(outShape));
        ref.binary(op, a, aShape, b, bShape, expected, outShape);
        // +,-,*,/ in f32 round exactly like the reference's f64-then-round; pow goes through f64.
        if (op === 'pow') expect(mismatch(out, expected, 1e-6, 1e-7)).toBeNull();
        else expect(exactMismatch(out, expected)).toBeNull();
        if (op === 'max' && a.length > 2 && b.length > 2 && name.startsWith('same')) expect(Object.is(out[1], -0)).toBe(true);
      });
    }
  }

  it('propagates NaN like the reference', () => {
    const a = wbuf([NaN, 1, NaN, -Infinity, 5, 6, 7, 8, NaN]);
    const b = wbuf([1, NaN, NaN, Infinity, 0, 0, 0, 0, 2]);
    for (const op of ops) {
      const out = W.alloc(9);
      W.binary(op, a, [9], b, [9], out, [9]);
      const expected = new Float32Array(9);
      ref.binary(op, a, [9], b, [9], expected, [9]);
      expect(exactMismatch(out, expected), op).toBeNull();
    }
  });
});

describe('unary and leakyRelu', () => {
  const ops: UnaryOp[] = ['neg', 'exp', 'log', 'tanh', 'sigmoid', 'relu', 'softplus', 'sqrt', 'square', 'abs', 'sign', 'step', 'gelu', 'geluGrad', 'reciprocal', 'sin', 'cos'];
  const special = [0, -0, 1, -1, NaN, Infinity, -Infinity, 1e-30, -1e-30, 88, -88, 100, -100, 20, -20];
  for (const op of ops) {
    for (const n of [1, 3, 7, 17, 1000]) {
      it(`${op} n=${n}`, () => {
        const a = wbuf(n, -6, 6);
        if (n === 1000) a.set(special, 100);
        const out = W.alloc(n);
        W.unary(op, a, out);
        const expected = new Float32Array(n);
        ref.unary(op, a, expected);
        expect(mismatch(out, expected, 2e-7, 1e-30)).toBeNull();
      });
    }
  }

  it('runs in place', () => {
    const a = wbuf(37);
    const expected = new Float32Array(37);
    ref.unary('tanh', a, expected);
    W.unary('tanh', a, a);
    expect(mismatch(a, expected, 2e-7, 0)).toBeNull();
  });

  for (const grad of [false, true]) {
    it(`leakyRelu grad=${grad}`, () => {
      const a = wbuf(133);
      a.set([0, -0, NaN, 1, -1]);
      const out = W.alloc(133);
      W.leakyRelu(a, out, 0.01, grad);
      const expected = new Float32Array(133);
      ref.leakyRelu(a, expected, 0.01, grad);
      expect(exactMismatch(out, expected)).toBeNull();
    });
  }
});

describe('reduce', () => {
  const ops: ReduceOp[] = ['sum', 'max', 'mean'];
  // [outer, axisLen, inner]: bias grads (1, 128, 256), rows, columns, wide inner chunks.
  const layouts: [number, number, number][] = [
    [1, 128, 256], [1, 1, 1], [1, 7, 1], [3, 129, 1], [1, 33, 17], [4, 5, 3], [2, 3, 600], [1, 2, 1030], [5, 0, 3],
  ];
  for (const op of ops) {
    for (const [outer, axisLen, inner] of layouts) {
      it(`${op} over [${outer}, ${axisLen}, ${inner}]`, () => {
        const a = wbuf(outer * axisLen * inner, -3, 3);
        const out = wbuf(outer * inner);
        W.reduce(op, a, out, outer, axisLen, inner);
        const expected = new Float32Array(outer * inner);
        ref.reduce(op, a, expected, outer, axisLen, inner);
        // Both accumulate in f64; only the summation order differs.
        expect(mismatch(out, expected, 1e-6, 1e-6)).toBeNull();
      });
    }

    it(`${op} over each axis of a rank-3 tensor`, () => {
      const shape = [5, 7, 9];
      const a = wbuf(prod(shape));
      for (let axis = 0; axis < 3; axis++) {
        const outer = prod(shape.slice(0, axis));
        const inner = prod(shape.slice(axis + 1));
        const out = W.alloc(outer * inner);
        W.reduce(op, a, out, outer, shape[axis], inner);
        const expected = new Float32Array(outer * inner);
        ref.reduce(op, a, expected, outer, shape[axis], inner);
        expect(mismatch(out, expected, 1e-6, 1e-6), `axis ${axis}`).toBeNull();
      }
    });
  }

  it('max propagates NaN and handles -Infinity rows', () => {
    const a = wbuf([1, NaN, 3, 4, 5, 6, 7, 8, -Infinity, -Infinity, -Infinity, -Infinity, 2, 9, NaN, 1]);
    for (const [outer, axisLen, inner] of [[4, 4, 1], [1, 4, 4], [2, 2, 4]] as const) {
      const out = W.alloc(outer * inner);
      W.reduce('max', a, out, outer, axisLen, inner);
      const expected = new Float32Array(outer * inner);
      ref.reduce('max', a, expected, outer, axisLen, inner);
      expect(exactMismatch(out, expected)).toBeNull();
    }
  });
});

describe('softmax', () => {
  for (const log of [false, true]) {
    for (const [rows, cols, scale] of [[128, 10, 3], [3, 1, 1], [7, 17, 50], [5, 129, 1e4], [2, 1000, 80], [2, 5000, 30]] as const) {
      it(`${log ? 'log-' : ''}softmax ${rows}x${cols}, values up to ${scale}`, () => {
        const a = wbuf(rows * cols, -scale, scale);
        const out = W.alloc(rows * cols);
        W.softmax(a, out, rows, cols, log);
        const expected = new Float32Array(rows * cols);
        ref.softmax(a, expected, rows, cols, log);
        expect(out.every(Number.isFinite)).toBe(true);
        expect(mismatch(out, expected, 1e-6, log ? 1e-6 : 1e-12)).toBeNull();
        if (!log) {
          for (let i = 0; i < rows; i++) {
            let s = 0;
            for (let j = 0; j < cols; j++) s += out[i * cols + j];
            expect(s).toBeCloseTo(1, 5);
          }
        }
      });
    }
  }
});

describe('transpose', () => {
  const cases: [number[], number[]][] = [
    [[1, 1], [1, 0]], [[3, 7], [1, 0]], [[33, 129], [1, 0]], [[37, 1], [1, 0]], [[128, 784], [1, 0]],
    [[4, 5, 6], [0, 2, 1]], [[4, 5, 6], [1, 0, 2]], [[4, 5, 6], [2, 1, 0]], [[4, 5, 6], [1, 2, 0]],
    [[2, 3, 4, 5], [0, 1, 3, 2]], [[2, 3, 4, 5], [3, 1, 0, 2]], [[2, 3, 4, 5], [0, 1, 2, 3]],
    [[1, 5, 1, 3], [3, 2, 1, 0]], [[6], [0]], [[0, 3], [1, 0]],
  ];
  for (const [shape, perm] of cases) {
    it(`[${shape}] by [${perm}]`, () => {
      const a = wbuf(prod(shape));
      const out = wbuf(prod(shape));
      W.transpose(a, shape, perm, out);
      const expected = new Float32Array(prod(shape));
      ref.transpose(a, shape, perm, expected);
      expect(exactMismatch(out, expected)).toBeNull();
    });
  }
});

describe('axpby', () => {
  for (const n of [1, 3, 7, 17, 1001]) {
    it(`n=${n} matches the reference bit for bit`, () => {
      const a = wbuf(n);
      const b = wbuf(n);
      const out = W.alloc(n);
      W.axpby(a, 0.1, b, -0.9, out);
      const expected = new Float32Array(n);
      ref.axpby(a, 0.1, b, -0.9, expected);
      expect(exactMismatch(out, expected)).toBeNull();
      // In place, as gradient accumulation uses it.
      const acc = Float32Array.from(a);
      ref.axpby(acc, 1, b, 1, acc);
      W.axpby(a, 1, b, 1, a);
      expect(exactMismatch(a, acc)).toBeNull();
    });
  }
});

describe('the optimizer kernel and the finite check match the reference bit for bit', () => {
  /** A program of every stage kind, Adam's bias corrections at step t, slots 0: velocity, 1: m, 2: v. */
  const program = (t: number): Float64Array => {
    const words = [
      [STAGE.clipValue, -1, -1, 0.7],
      [STAGE.scale, -1, -1, 0.9],
      [STAGE.addDecayed, -1, -1, 0.01],
      [STAGE.momentum, 0, -1, 0.9, 1],
      [STAGE.adam, 1, 2, 0.9, 1 - 0.9, 0.999, 1 - 0.999, 1e-8, 1 - 0.9 ** t, 1 - 0.999 ** t],
      [STAGE.addDecayed, -1, -1, 0.02],
      [STAGE.scale, -1, -1, -1e-3],
    ];
    const prog = new Float64Array(words.length * STAGE_WORDS);
    words.forEach((w, k) => prog.set(w, k * STAGE_WORDS));
    return prog;
  };
  const stages = 7;

  for (const n of [1, 3, 4, 7, 256, 257, 1001]) {
    it(`a 7-stage program over ${n} elements, 4 steps, then dry-run sums of squares`, () => {
      const init = fillUniform(new Float32Array(n), r);
      const updates = Array.from({ length: 4 }, () => fillUniform(new Float32Array(n), r, -2, 2));
      const run = (alloc: (k: number) => Buf, kernel: typeof ref.optimizerStep) => {
        const mk = (src?: Float32Array): Buf => {
          const b = alloc(n);
          if (src) b.set(src);
          return b;
        };
        const p = mk(init);
        const slots = [mk(), mk(), mk()];
        const flags = updates.map((u0, t) => kernel(program(t + 1), stages, p, mk(u0), slots, -1));
        const sums = [0, 1, 4, 5, 7].map((k) => kernel(program(5), stages, p, mk(updates[0]), slots, k));
        return { p, slots, flags, sums };
      };
      const got = run((k) => W.alloc(k), W.optimizerStep);
      const want = run((k) => new Float32Array(k), ref.optimizerStep);
      expect(W.owns(got.p)).toBe(true);
      expect(exactMismatch(got.p, want.p)).toBeNull();
      got.slots.forEach((s, i) => expect(exactMismatch(s, want.slots[i]), `slot ${i}`).toBeNull());
      expect(got.flags).toEqual(want.flags);
      // The clip stage (bit 0) fires whenever an update leaves ±0.7, which these draws do for n > 3.
      if (n > 3) expect(got.flags.every((f) => f === 1)).toBe(true);
      expect(got.sums).toEqual(want.sums);
      expect(got.sums[0]).toBeCloseTo(updates[0].reduce((a, x) => a + x * x, 0), 3);
    });
  }

  it('the update buffer is read only and the dry run stores nothing', () => {
    const n = 300;
    const p = wbuf(n), u = wbuf(n), slots = [wbuf(n), wbuf(n), wbuf(n)];
    const before = [p, u, ...slots].map((b) => Array.from(b));
    W.optimizerStep(program(1), stages, p, u, slots, stages);
    [p, u, ...slots].forEach((b, i) => expect(exactMismatch(b, before[i]), `buffer ${i}`).toBeNull());
    W.optimizerStep(program(1), stages, p, u, slots, -1);
    expect(exactMismatch(u, before[1])).toBeNull();
    expect(exactMismatch(p, before[0])).not.toBeNull();
  });

  it('falls back to the reference on foreign storage', () => {
    const p = fillUniform(new Float64Array(9), r);
    const q = Float64Array.from(p);
    const u = fillUniform(new Float64Array(9), r);
    const slots = () => [new Float64Array(9), new Float64Array(9), new Float64Array(9)];
    W.optimizerStep(program(1), stages, p, u, slots(), -1);
    ref.optimizerStep(program(1), stages, q, u, slots(), -1);
    expect(exactMismatch(p, q)).toBeNull();
  });

  for (const n of [0, 1, 5, 16, 17, 4099]) {
    it(`allFinite over ${n} elements finds a NaN or ±Inf anywhere`, () => {
      const a = wbuf(n);
      expect(W.allFinite(a)).toBe(true);
      for (const bad of [NaN, Infinity, -Infinity]) {
        for (const at of n ? [0, n >> 1, n - 1] : []) {
          const old = a[at];
          a[at] = bad;
          expect(W.allFinite(a), `${bad} at ${at}`).toBe(false);
          expect(ref.allFinite(a)).toBe(false);
          a[at] = old;
        }
      }
      a[0] = n ? 3.4e38 : 0;
      expect(W.allFinite(a)).toBe(true);
    });
  }
});
