// The kernel conformance suite every fast backend runs (WASM builds, native): each kernel against
// the reference oracle — bit for bit where the arithmetic is the same, else within a stated
// tolerance — on the backend's own storage.
import { describe, expect, it } from 'vitest';
import type { Backend, BinaryOp, Buf, NoiseKind, ReduceOp, UnaryOp, WindowGeometry } from '../../src/kernels/backend.ts';
import { FLOAT_FORMATS } from '../../src/kernels/float-formats.ts';
import { STAGE, STAGE_WORDS } from '../../src/kernels/optim-program.ts';
import { uniformAt } from '../../src/kernels/noise.ts';
import { referenceBackend as ref } from '../../src/kernels/reference.ts';
import { withBackend } from '../../src/kernels/index.ts';
import { optimizerFromSpec, type OptimizerSpec } from '../../src/optim/index.ts';
import { fromArray } from '../../src/tensor/tensor.ts';
import { rng } from '../../src/random.ts';
import { exactMismatch, fillUniform, mismatch } from './helpers.ts';

export interface TestedBackend extends Backend {
  owns(buf: Buf): boolean;
}

/** |actual − expected| ≤ abs + rel·|expected|. */
export interface Tolerance {
  rel: number;
  abs: number;
}

/**
 * Where a backend's arithmetic may differ from the reference's more than the suite's defaults
 * allow, stated per kernel and op (WebGPU: WGSL leaves transcendental accuracy to the device).
 */
export interface Tolerances {
  unary?: Partial<Record<UnaryOp, Tolerance>>;
  /**
   * avgPool2d and its backward when not bit for bit: each element within this much times the same
   * kernel's value on |x| (the window's mean of absolute values), plus 2^-126.
   */
  avgPool?: number;
  /** The noise kernels when their stream's words are exact but the transforms are not (f32 on WebGPU). */
  noise?: NoiseTolerances;
  /** axpby, where the reference's f64 arithmetic is emulated (WebGPU: f32 pairs; near-ties may round the other way). */
  axpby?: Tolerance;
  /**
   * The optimizer programs where they run in f32 (WebGPU): the parameter and state after each
   * step (`state`), and the dry runs' sums of squares (`sums`). The clip flags stay exact.
   */
  optimizer?: { state: Tolerance; sums: Tolerance };
  /** fingerprint's Σ|x| and Σx² where they are summed in another order (the bit hash stays exact). */
  fingerprintSums?: Tolerance;
}

/**
 * Where the noise kernels' values may differ from the reference's, the words of the stream being
 * the same: a draw z (addNoise at scale 1 on zeros) within abs + rel·|z| of the reference's; the
 * arithmetic around it (out + scale·s·z) within `arith` relative to |out| + |scale·s·z|.
 */
export interface NoiseTolerances {
  draws: Record<NoiseKind, Tolerance>;
  arith: number;
  /**
   * bernoulliSigmoid: a sample differs from the reference's only where its uniform draw lies
   * within `band` of σ(a); where it agrees, aux and log p(h | a) within `values`.
   */
  bernoulli: { band: number; values: Tolerance };
  /**
   * binaryConcrete: y = σ(z) and slope = σ′(z)/τ for a z within `z`·(|a| + |l|)/τ of the
   * reference's (l the logistic draw), each within `values` besides.
   */
  concrete: { z: number; values: Tolerance };
}

const prod = (s: readonly number[]): number => s.reduce((x, y) => x * y, 1);

export function kernelConformance(label: string, B: TestedBackend, tolerances: Tolerances = {}): void {
  const unaryTol = (op: UnaryOp): Tolerance => tolerances.unary?.[op] ?? { rel: 2e-7, abs: 1e-30 };
  const r = rng(`conformance-${label}`);
  /** A copy of `src` in the backend's storage (or fresh random data when given a length). */
  const buf = (src: ArrayLike<number> | number, lo = -1, hi = 1): Float32Array => {
    if (typeof src === 'number') return fillUniform(B.alloc(src) as Float32Array, r, lo, hi);
    const b = B.alloc(src.length) as Float32Array;
    b.set(Array.from(src));
    return b;
  };

  describe(`${label}: matmul`, () => {
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [1, 7, 3],
      [3, 1, 7],
      [7, 3, 1],
      [3, 7, 17],
      [17, 33, 7],
      [33, 129, 17],
      [129, 17, 33],
      [4, 8, 256],
      [5, 9, 257],
      [6, 16, 1],
      [131, 9, 300],
      [2, 1030, 5],
      [64, 64, 513],
      [128, 256, 784],
      // Crosses every blocking boundary at once (MC = 130 or 104 rows, NC = 1024, K blocks of ≤ 512).
      [131, 1027, 520],
    ];
    for (const [m, n, k] of shapes) {
      for (const [tA, tB] of [
        [false, false],
        [false, true],
        [true, false],
        [true, true],
      ] as const) {
        it(`${m}x${n}x${k} transA=${tA} transB=${tB}`, () => {
          const a = buf(m * k);
          const b = buf(k * n);
          const out = buf(m * n); // garbage in out must be overwritten
          B.matmul(a, b, out, m, n, k, tA, tB);
          expect(B.owns(out)).toBe(true);
          const expected = new Float32Array(m * n);
          ref.matmul(a, b, expected, m, n, k, tA, tB);
          expect(mismatch(out, expected, 1e-5, 1e-6 * k)).toBeNull();
        });
      }
    }
  });

  describe(`${label}: binary`, () => {
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
          const a = buf(prod(aShape), op === 'pow' ? 0.1 : -2, 2);
          const b = buf(prod(bShape), -2, 2);
          if (op === 'max' || op === 'min' || op === 'gt') {
            // Ties and signed zeros take the reference's branch (a >= b ? a : b).
            if (a.length > 2 && b.length > 2) {
              a[0] = b[0];
              a[1] = -0;
              b[1] = 0;
            }
          }
          const out = buf(prod(outShape));
          B.binary(op, a, aShape, b, bShape, out, outShape);
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
      const a = buf([NaN, 1, NaN, -Infinity, 5, 6, 7, 8, NaN]);
      const b = buf([1, NaN, NaN, Infinity, 0, 0, 0, 0, 2]);
      for (const op of ops) {
        const out = B.alloc(9);
        B.binary(op, a, [9], b, [9], out, [9]);
        const expected = new Float32Array(9);
        ref.binary(op, a, [9], b, [9], expected, [9]);
        expect(exactMismatch(out, expected), op).toBeNull();
      }
    });
  });

  describe(`${label}: unary and leakyRelu`, () => {
    const ops: UnaryOp[] = [
      'neg',
      'exp',
      'log',
      'tanh',
      'sigmoid',
      'relu',
      'softplus',
      'sqrt',
      'square',
      'abs',
      'sign',
      'step',
      'gelu',
      'geluGrad',
      'reciprocal',
      'sin',
      'cos',
    ];
    const special = [0, -0, 1, -1, NaN, Infinity, -Infinity, 1e-30, -1e-30, 88, -88, 100, -100, 20, -20];
    for (const op of ops) {
      for (const n of [1, 3, 7, 17, 1000]) {
        it(`${op} n=${n}`, () => {
          const a = buf(n, -6, 6);
          if (n === 1000) a.set(special, 100);
          const out = B.alloc(n);
          B.unary(op, a, out);
          const expected = new Float32Array(n);
          ref.unary(op, a, expected);
          const { rel, abs } = unaryTol(op);
          expect(mismatch(out, expected, rel, abs)).toBeNull();
        });
      }
    }

    it('runs in place', () => {
      const a = buf(37);
      const expected = new Float32Array(37);
      ref.unary('tanh', a, expected);
      B.unary('tanh', a, a);
      expect(mismatch(a, expected, unaryTol('tanh').rel, tolerances.unary?.tanh?.abs ?? 0)).toBeNull();
    });

    for (const grad of [false, true]) {
      it(`leakyRelu grad=${grad}`, () => {
        const a = buf(133);
        a.set([0, -0, NaN, 1, -1]);
        const out = B.alloc(133);
        B.leakyRelu(a, out, 0.01, grad);
        const expected = new Float32Array(133);
        ref.leakyRelu(a, expected, 0.01, grad);
        expect(exactMismatch(out, expected)).toBeNull();
      });
    }
  });

  describe(`${label}: reduce`, () => {
    const ops: ReduceOp[] = ['sum', 'max', 'mean'];
    // [outer, axisLen, inner]: bias grads (1, 128, 256), rows, columns, wide inner chunks.
    const layouts: [number, number, number][] = [
      [1, 128, 256],
      [1, 1, 1],
      [1, 7, 1],
      [3, 129, 1],
      [1, 33, 17],
      [4, 5, 3],
      [2, 3, 600],
      [1, 2, 1030],
      [5, 0, 3],
    ];
    for (const op of ops) {
      for (const [outer, axisLen, inner] of layouts) {
        it(`${op} over [${outer}, ${axisLen}, ${inner}]`, () => {
          const a = buf(outer * axisLen * inner, -3, 3);
          const out = buf(outer * inner);
          B.reduce(op, a, out, outer, axisLen, inner);
          const expected = new Float32Array(outer * inner);
          ref.reduce(op, a, expected, outer, axisLen, inner);
          // Both accumulate in f64; only the summation order differs.
          expect(mismatch(out, expected, 1e-6, 1e-6)).toBeNull();
        });
      }

      it(`${op} over each axis of a rank-3 tensor`, () => {
        const shape = [5, 7, 9];
        const a = buf(prod(shape));
        for (let axis = 0; axis < 3; axis++) {
          const outer = prod(shape.slice(0, axis));
          const inner = prod(shape.slice(axis + 1));
          const out = B.alloc(outer * inner);
          B.reduce(op, a, out, outer, shape[axis], inner);
          const expected = new Float32Array(outer * inner);
          ref.reduce(op, a, expected, outer, shape[axis], inner);
          expect(mismatch(out, expected, 1e-6, 1e-6), `axis ${axis}`).toBeNull();
        }
      });
    }

    it('max propagates NaN and handles -Infinity rows', () => {
      const a = buf([1, NaN, 3, 4, 5, 6, 7, 8, -Infinity, -Infinity, -Infinity, -Infinity, 2, 9, NaN, 1]);
      for (const [outer, axisLen, inner] of [
        [4, 4, 1],
        [1, 4, 4],
        [2, 2, 4],
      ] as const) {
        const out = B.alloc(outer * inner);
        B.reduce('max', a, out, outer, axisLen, inner);
        const expected = new Float32Array(outer * inner);
        ref.reduce('max', a, expected, outer, axisLen, inner);
        expect(exactMismatch(out, expected)).toBeNull();
      }
    });
  });

  describe(`${label}: softmax`, () => {
    for (const log of [false, true]) {
      for (const [rows, cols, scale] of [
        [128, 10, 3],
        [3, 1, 1],
        [7, 17, 50],
        [5, 129, 1e4],
        [2, 1000, 80],
        [2, 5000, 30],
      ] as const) {
        it(`${log ? 'log-' : ''}softmax ${rows}x${cols}, values up to ${scale}`, () => {
          const a = buf(rows * cols, -scale, scale);
          const out = B.alloc(rows * cols);
          B.softmax(a, out, rows, cols, log);
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

  describe(`${label}: transpose`, () => {
    const cases: [number[], number[]][] = [
      [
        [1, 1],
        [1, 0],
      ],
      [
        [3, 7],
        [1, 0],
      ],
      [
        [33, 129],
        [1, 0],
      ],
      [
        [37, 1],
        [1, 0],
      ],
      [
        [128, 784],
        [1, 0],
      ],
      [
        [4, 5, 6],
        [0, 2, 1],
      ],
      [
        [4, 5, 6],
        [1, 0, 2],
      ],
      [
        [4, 5, 6],
        [2, 1, 0],
      ],
      [
        [4, 5, 6],
        [1, 2, 0],
      ],
      [
        [2, 3, 4, 5],
        [0, 1, 3, 2],
      ],
      [
        [2, 3, 4, 5],
        [3, 1, 0, 2],
      ],
      [
        [2, 3, 4, 5],
        [0, 1, 2, 3],
      ],
      [
        [1, 5, 1, 3],
        [3, 2, 1, 0],
      ],
      [[6], [0]],
      [
        [0, 3],
        [1, 0],
      ],
      // Block transposes (NCHW ↔ CNHW): whole rows move.
      [
        [6, 3, 28],
        [1, 0, 2],
      ],
      [
        [2, 3, 4, 5],
        [0, 2, 1, 3],
      ],
      [
        [2, 3, 4, 5],
        [1, 0, 3, 2],
      ],
    ];
    for (const [shape, perm] of cases) {
      it(`[${shape}] by [${perm}]`, () => {
        const a = buf(prod(shape));
        const out = buf(prod(shape));
        B.transpose(a, shape, perm, out);
        const expected = new Float32Array(prod(shape));
        ref.transpose(a, shape, perm, expected);
        expect(exactMismatch(out, expected)).toBeNull();
      });
    }
  });

  const axpbyTol = tolerances.axpby ?? { rel: 0, abs: 0 };
  describe(`${label}: axpby`, () => {
    for (const n of [1, 3, 7, 17, 1001, 65537]) {
      it(`n=${n} matches the reference ${tolerances.axpby ? 'within its tolerance' : 'bit for bit'}`, () => {
        const a = buf(n);
        const b = buf(n);
        const out = B.alloc(n);
        B.axpby(a, 0.1, b, -0.9, out);
        const expected = new Float32Array(n);
        ref.axpby(a, 0.1, b, -0.9, expected);
        expect(mismatch(out, expected, axpbyTol.rel, axpbyTol.abs)).toBeNull();
        // In place, as gradient accumulation uses it.
        const acc = Float32Array.from(a);
        ref.axpby(acc, 1, b, 1, acc);
        B.axpby(a, 1, b, 1, a);
        expect(mismatch(a, acc, axpbyTol.rel, axpbyTol.abs)).toBeNull();
      });
    }
  });

  const stateTol = tolerances.optimizer?.state ?? { rel: 0, abs: 0 };
  const sumsTol = tolerances.optimizer?.sums ?? { rel: 0, abs: 0 };
  const within = (got: number[], want: number[], tol: Tolerance) => mismatch(got, want, tol.rel, tol.abs);
  describe(`${label}: the optimizer kernel and the finite check match the reference${tolerances.optimizer ? ' within their tolerances' : ' bit for bit'}`, () => {
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

    for (const n of [1, 3, 4, 7, 256, 257, 1001, 65537]) {
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
        const got = run((k) => B.alloc(k), B.optimizerStep);
        const want = run((k) => new Float32Array(k), ref.optimizerStep);
        expect(B.owns(got.p)).toBe(true);
        expect(mismatch(got.p, want.p, stateTol.rel, stateTol.abs)).toBeNull();
        got.slots.forEach((s, i) => expect(mismatch(s, want.slots[i], stateTol.rel, stateTol.abs), `slot ${i}`).toBeNull());
        expect(got.flags).toEqual(want.flags);
        // The clip stage (bit 0) fires whenever an update leaves ±0.7, which these draws do for n > 3.
        if (n > 3) expect(got.flags.every((f) => f === 1)).toBe(true);
        expect(within(got.sums, want.sums, sumsTol)).toBeNull();
        expect(got.sums[0]).toBeCloseTo(
          updates[0].reduce((a, x) => a + x * x, 0),
          3,
        );
      });
    }

    // Every built-in optimizer's programs as its chain compiles them (recorded from a run on the
    // reference), replayed on the backend and on the reference over awkward sizes. At lr 1, so
    // that an error in an update shows in its parameter at the update's own scale.
    const specs: OptimizerSpec[] = [
      { name: 'sgd', lr: 1 },
      { name: 'sgd', lr: 1, weightDecay: 0.01, clipValue: 0.5 },
      { name: 'momentum', lr: 1, momentum: 0.9 },
      { name: 'momentum', lr: 1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 },
      { name: 'rmsprop', lr: 1, weightDecay: 1e-3 },
      { name: 'adam', lr: 1 },
      { name: 'adam', lr: 1, weightDecay: 1e-2, clipNorm: 1 },
      { name: 'adamw', lr: 1, clipValue: 1 },
    ];
    for (const spec of specs) {
      const what = JSON.stringify(spec);
      it(`${what}: 3 steps over 1, 255, 257 and 4099 elements`, () => {
        // Record the programs the optimizer runs (two parameters, so global-norm clipping sums both).
        const calls: { program: Float64Array; stages: number; mode: number; param: number }[] = [];
        const recorder = {
          ...ref,
          optimizerStep(program: Float64Array, stages: number, p: Buf, u: Buf, slots: readonly Buf[], mode: number) {
            calls.push({ program: program.slice(), stages, mode, param: p === params[0].buf ? 0 : 1 });
            return ref.optimizerStep(program, stages, p, u, slots, mode);
          },
        };
        const params = [fromArray([0.5], [1]), fromArray([-0.25], [1])];
        withBackend(recorder, () => {
          const opt = optimizerFromSpec(spec);
          const state = opt.init(params);
          for (let step = 0; step < 3; step++) opt.update(params, [fromArray([2], [1]), fromArray([-3], [1])], state, step);
        });
        const slotCount = Math.max(
          0,
          ...calls.map(({ program, stages }) =>
            Math.max(
              0,
              ...Array.from({ length: stages }, (_, s) => program[s * STAGE_WORDS + 2] + 1),
              ...Array.from({ length: stages }, (_, s) => program[s * STAGE_WORDS + 1] + 1),
            ),
          ),
        );
        for (const n of [1, 255, 257, 4099]) {
          const init = [0, 1].map(() => fillUniform(new Float32Array(n), r));
          const updates = [0, 1].map(() => fillUniform(new Float32Array(n), r, -3, 3));
          const run = (alloc: (k: number) => Buf, kernel: typeof ref.optimizerStep) => {
            const mk = (src?: Float32Array): Buf => {
              const b = alloc(n);
              if (src) b.set(src);
              return b;
            };
            const p = init.map((x) => mk(x));
            const u = updates.map((x) => mk(x));
            const slots = [0, 1].map(() => Array.from({ length: slotCount }, () => mk()));
            const out = calls.map((c) => kernel(c.program, c.stages, p[c.param], u[c.param], slots[c.param], c.mode));
            return { p, slots, out, modes: calls.map((c) => c.mode) };
          };
          const got = run((k) => B.alloc(k), B.optimizerStep);
          const want = run((k) => new Float32Array(k), ref.optimizerStep);
          [0, 1].forEach((i) => {
            expect(mismatch(got.p[i], want.p[i], stateTol.rel, stateTol.abs), `n=${n}, parameter ${i}`).toBeNull();
            got.slots[i].forEach((s, k) =>
              expect(mismatch(s, want.slots[i][k], stateTol.rel, stateTol.abs), `n=${n}, slot ${k}`).toBeNull(),
            );
          });
          // Flags (full runs) exactly; sums of squares (dry runs) within their tolerance.
          const pick = (o: { out: number[]; modes: number[] }, dry: boolean) => o.out.filter((_, j) => o.modes[j] >= 0 === dry);
          expect(pick(got, false), `n=${n}`).toEqual(pick(want, false));
          expect(within(pick(got, true), pick(want, true), sumsTol), `n=${n}`).toBeNull();
        }
      });
    }

    it('the update buffer is read only and the dry run stores nothing', () => {
      const n = 300;
      const p = buf(n),
        u = buf(n),
        slots = [buf(n), buf(n), buf(n)];
      const before = [p, u, ...slots].map((b) => Array.from(b));
      B.optimizerStep(program(1), stages, p, u, slots, stages);
      [p, u, ...slots].forEach((b, i) => expect(exactMismatch(b, before[i]), `buffer ${i}`).toBeNull());
      B.optimizerStep(program(1), stages, p, u, slots, -1);
      expect(exactMismatch(u, before[1])).toBeNull();
      expect(exactMismatch(p, before[0])).not.toBeNull();
    });

    it('falls back to the reference on foreign storage', () => {
      const p = fillUniform(new Float64Array(9), r);
      const q = Float64Array.from(p);
      const u = fillUniform(new Float64Array(9), r);
      const slots = () => [new Float64Array(9), new Float64Array(9), new Float64Array(9)];
      B.optimizerStep(program(1), stages, p, u, slots(), -1);
      ref.optimizerStep(program(1), stages, q, u, slots(), -1);
      expect(exactMismatch(p, q)).toBeNull();
    });

    for (const n of [0, 1, 5, 16, 17, 4099, 65537]) {
      it(`allFinite over ${n} elements finds a NaN or ±Inf anywhere`, () => {
        const a = buf(n);
        const other = buf(3);
        expect(B.allFinite(a)).toBe(true);
        expect(B.allFinite([other, a])).toBe(true);
        for (const bad of [NaN, Infinity, -Infinity]) {
          for (const at of n ? [0, n >> 1, n - 1] : []) {
            const old = a[at];
            a[at] = bad;
            expect(B.allFinite(a), `${bad} at ${at}`).toBe(false);
            expect(B.allFinite([other, a]), `${bad} at ${at}, in a list`).toBe(false);
            expect(ref.allFinite(a)).toBe(false);
            a[at] = old;
          }
        }
        a[0] = n ? 3.4e38 : 0;
        expect(B.allFinite(a)).toBe(true);
      });
    }

    const fpTol = tolerances.fingerprintSums ?? { rel: 0, abs: 0 };
    it('allFinite over a list of 70 buffers names a bad value in any of them', () => {
      const bufs = Array.from({ length: 70 }, (_, k) => buf(1 + (k % 5)));
      expect(B.allFinite(bufs)).toBe(true);
      for (const at of [0, 63, 64, 69]) {
        bufs[at][0] = NaN;
        expect(B.allFinite(bufs), `NaN in buffer ${at}`).toBe(false);
        bufs[at][0] = 0.5;
      }
      expect(B.allFinite([])).toBe(true);
    });

    for (const n of [0, 1, 3, 4, 7, 4099, 65537]) {
      it(`fingerprint over ${n} elements equals the reference's and sees a one-bit change anywhere`, () => {
        const a = buf(n);
        // Spread: a backend may hand back a fingerprint whose fields are read on first use.
        const f = { ...B.fingerprint(a) };
        const want = ref.fingerprint(Float32Array.from(a));
        expect(f.bits).toBe(want.bits);
        expect(within([f.abs, f.squares], [want.abs, want.squares], fpTol)).toBeNull();
        const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
        for (const at of n ? [0, n >> 1, n - 1] : []) {
          bits[at] ^= 1;
          expect(B.fingerprint(a).bits, `bit flipped at ${at}`).not.toBe(f.bits);
          bits[at] ^= 1;
        }
        // Deterministic: the same value again, bit for bit.
        expect({ ...B.fingerprint(a) }).toEqual(f);
      });
    }
  });

  describe(`${label}: image kernels match the reference bit for bit`, () => {
    const window = (n: number, c: number, h: number, w: number, k: number, s: number, p: number, kw = k): WindowGeometry => ({
      n,
      c,
      h,
      w,
      kh: k,
      kw,
      sh: s,
      sw: s,
      ph: p,
      pw: p,
      oh: Math.floor((h + 2 * p - k) / s) + 1,
      ow: Math.floor((w + 2 * p - kw) / s) + 1,
    });
    const cases: Array<[string, WindowGeometry]> = [
      ['LeNet conv1 5×5 on 32×32', window(3, 1, 32, 32, 5, 1, 0)],
      ['LeNet conv2 5×5, 6 channels', window(2, 6, 14, 14, 5, 1, 0)],
      ['ResNet 3×3 pad 1', window(2, 4, 9, 9, 3, 1, 1)],
      ['3×3 stride 2 pad 1, odd size', window(2, 3, 11, 7, 3, 2, 1)],
      ['1×1 stride 2 (shortcut)', window(2, 5, 8, 8, 1, 2, 0)],
      ['2×3 window, pad 2', window(1, 2, 5, 6, 2, 1, 2, 3)],
      ['window larger than a padded edge', window(1, 1, 3, 3, 3, 2, 1)],
    ];
    for (const [name, g] of cases) {
      const xs = g.n * g.c * g.h * g.w;
      const cs = g.c * g.kh * g.kw * g.n * g.oh * g.ow;
      const os = g.n * g.c * g.oh * g.ow;
      it(`im2col and col2im: ${name}`, () => {
        const x = buf(xs);
        const cols = buf(cs); // garbage must be overwritten
        B.im2col(x, cols, g);
        const want = new Float32Array(cs);
        ref.im2col(x, want, g);
        expect(exactMismatch(cols, want)).toBeNull();
        const dcols = buf(cs);
        const dx = buf(xs);
        B.col2im(dcols, dx, g);
        const wantDx = new Float32Array(xs);
        ref.col2im(dcols, wantDx, g);
        expect(exactMismatch(dx, wantDx)).toBeNull();
      });
      it(`max and average pooling, forward and backward: ${name}`, () => {
        const x = buf(xs, -3, 3);
        // Ties and NaN: the first maximum wins, a NaN wins.
        if (xs > 8) {
          x[1] = x[0];
          x[5] = NaN;
        }
        const out = buf(os),
          arg = buf(os),
          wantOut = new Float32Array(os),
          wantArg = new Float32Array(os);
        B.maxPool2d(x, out, arg, g);
        ref.maxPool2d(x, wantOut, wantArg, g);
        expect(exactMismatch(out, wantOut)).toBeNull();
        expect(exactMismatch(arg, wantArg)).toBeNull();
        const gOut = buf(os);
        const dx = buf(xs),
          wantDx = new Float32Array(xs);
        B.maxPool2dBackward(gOut, arg, dx, g);
        ref.maxPool2dBackward(gOut, wantArg, wantDx, g);
        expect(exactMismatch(dx, wantDx)).toBeNull();
        B.avgPool2d(x, out, g);
        ref.avgPool2d(x, wantOut, g);
        B.avgPool2dBackward(gOut, dx, g);
        ref.avgPool2dBackward(gOut, wantDx, g);
        if (tolerances.avgPool === undefined) {
          expect(exactMismatch(out, wantOut)).toBeNull();
          expect(exactMismatch(dx, wantDx)).toBeNull();
        } else {
          // The scale of each element: the same kernel on absolute values.
          const [outScale, dxScale] = [new Float32Array(os), new Float32Array(xs)];
          ref.avgPool2d(x.map(Math.abs), outScale, g);
          ref.avgPool2dBackward(gOut.map(Math.abs), dxScale, g);
          const rel = tolerances.avgPool;
          expect(mismatch(out, wantOut, 0, (i) => rel * outScale[i] + 2 ** -126)).toBeNull();
          expect(mismatch(dx, wantDx, 0, (i) => rel * dxScale[i] + 2 ** -126)).toBeNull();
        }
      });
    }

    it('the comparison catches a wrong window (the test can fail)', () => {
      const g = window(1, 2, 6, 6, 3, 1, 1);
      const x = buf(g.n * g.c * g.h * g.w);
      const cols = B.alloc(g.c * g.kh * g.kw * g.oh * g.ow);
      B.im2col(x, cols, g);
      const want = new Float32Array(cols.length);
      ref.im2col(x, want, { ...g, ph: 0, pw: 0 });
      expect(exactMismatch(cols, want)).not.toBeNull();
    });
  });

  // The noise kernels draw their data from their own stream, leaving the other tests' draws as they were.
  const nr = rng(`conformance-${label}-noise`);
  const nbuf = (n: number, lo = -1, hi = 1): Float32Array => fillUniform(B.alloc(n) as Float32Array, nr, lo, hi);

  const noiseTol = tolerances.noise;
  /** The reference's draws z(key, offset + k), k < n (at scale 1 on zeros). */
  const draws = (key: readonly [number, number], offset: number, n: number, kind: NoiseKind): Float32Array => {
    const z = new Float32Array(n);
    ref.addNoise(z, 1, key, offset, kind, null);
    return z;
  };
  describe(`${label}: addNoise matches the reference ${noiseTol ? 'within the stated tolerance' : 'bit for bit'}`, () => {
    const keys: [number, number][] = [[0, 0], [1, 2], [0xffffffff, 0x80000000], nr.key()];
    // Lengths and offsets around the Box–Muller pairing (odd starts and ends), every path of the
    // Gaussian kernel's blocks of 16 and 8 and its tails of 1 to 7, and the 2^31 boundary.
    const ranges: [number, number][] = [
      [0, 0],
      [0, 1],
      [1, 1],
      [0, 2],
      [1, 2],
      [3, 7],
      [0, 15],
      [2, 29],
      [0, 4097],
      [4095, 4100],
      [2 ** 31 - 3, 9],
      [2 ** 32 - 12, 11],
    ];
    for (const kind of ['gaussian', 'rademacher', 'logistic'] as const) {
      for (const scaled of [false, true]) {
        it(`${kind}${scaled ? ', per-element scale' : ''}`, () => {
          for (const key of keys) {
            for (const [offset, n] of ranges) {
              const out = nbuf(n);
              const expected = Float32Array.from(out);
              const s = scaled ? nbuf(n, 0, 2) : null;
              const before = Float32Array.from(out);
              B.addNoise(out, 0.37, key, offset, kind, s);
              ref.addNoise(expected, 0.37, key, offset, kind, s ? Float32Array.from(s) : null);
              expect(B.owns(out)).toBe(true);
              const where = `key ${key}, offset ${offset}, n ${n}`;
              if (!noiseTol) {
                expect(exactMismatch(out, expected), where).toBeNull();
                continue;
              }
              const z = draws(key, offset, n, kind);
              const { rel, abs } = noiseTol.draws[kind];
              const coef = (k: number) => Math.abs(0.37 * (s ? s[k] : 1));
              const tol = (k: number) =>
                coef(k) * (abs + rel * Math.abs(z[k])) + noiseTol.arith * (Math.abs(before[k]) + coef(k) * Math.abs(z[k]));
              expect(mismatch(out, expected, 0, tol), where).toBeNull();
            }
          }
        });
      }
    }
  });

  describe(`${label}: quantize matches the reference bit for bit`, () => {
    // Magnitudes from float32's subnormals to its overflow, zeros of both signs, ±∞ and NaN.
    const n = 4099;
    const x = B.alloc(n) as Float32Array;
    for (let i = 0; i < n; i++) x[i] = (nr.range(0, 1) < 0.5 ? -1 : 1) * nr.range(1, 2) * 2 ** Math.floor(nr.range(-150, 129));
    x.set([0, -0, Infinity, -Infinity, NaN, 448, 464, 465, 65504, 65520, 57344, 61440], 0);
    const bits = (b: Float32Array) => Array.from(new Uint32Array(b.buffer, b.byteOffset, b.length));
    for (const f of [...FLOAT_FORMATS.values()].filter((f) => f.bits < 32)) {
      for (const key of [null, [7, 0xfffffff0] as const]) {
        it(`${f.name}, ${key ? 'stochastic' : 'nearest-even'}, in place and not`, () => {
          const out = B.alloc(n, false) as Float32Array;
          const expected = new Float32Array(n);
          const counts = B.quantize(x, out, f, key, 2 ** 32 - 5);
          expect(counts).toEqual(ref.quantize(Float32Array.from(x), expected, f, key, 2 ** 32 - 5));
          expect(B.owns(out)).toBe(true);
          expect(bits(out)).toEqual(bits(expected));
          const inPlace = B.alloc(n, false) as Float32Array;
          inPlace.set(x);
          B.quantize(inPlace, inPlace, f, key, 2 ** 32 - 5);
          expect(bits(inPlace)).toEqual(bits(expected));
        });
      }
    }
  });

  describe(`${label}: matmulRounded matches the reference bit for bit`, () => {
    for (const f of [...FLOAT_FORMATS.values()].filter((f) => f.bits < 32)) {
      it(`${f.name}, every transpose, scales 1 and 2^10`, () => {
        const [m, n, k] = [5, 7, 33];
        for (const [tA, tB] of [
          [false, false],
          [true, false],
          [false, true],
          [true, true],
        ]) {
          for (const scale of [1, 2 ** 10]) {
            const a = nbuf(m * k, -3, 3);
            const b = nbuf(k * n, -3, 3);
            const out = B.alloc(m * n, false) as Float32Array;
            const expected = new Float32Array(m * n);
            B.matmulRounded(a, b, out, m, n, k, tA, tB, f, scale);
            ref.matmulRounded(Float32Array.from(a), Float32Array.from(b), expected, m, n, k, tA, tB, f, scale);
            expect(exactMismatch(out, expected), `transA ${tA} transB ${tB} scale ${scale}`).toBeNull();
          }
        }
      });
    }
  });

  // Full-width buffers in the backend's memory (WideNoise, src/rules/zeroth-order.ts): an f64 view of an allocation.
  const wide = (n: number, lo = -1, hi = 1): Float64Array => {
    const b = B.alloc(2 * n);
    return fillUniform(new Float64Array(b.buffer, b.byteOffset, n), nr, lo, hi);
  };

  describe(`${label}: addNoise into an f64 buffer keeps the full width, as the reference`, () => {
    for (const kind of ['gaussian', 'rademacher', 'logistic'] as const) {
      it(kind, () => {
        for (const [offset, n] of [
          [0, 1],
          [1, 2],
          [3, 7],
          [4095, 4100],
        ]) {
          const out = wide(n);
          const expected = Float64Array.from(out);
          const s = nbuf(n, 0, 2);
          B.addNoise(out, 0.37, [5, 9], offset, kind, s);
          ref.addNoise(expected, 0.37, [5, 9], offset, kind, Float32Array.from(s));
          expect(exactMismatch(out, expected), `offset ${offset}, n ${n}`).toBeNull();
        }
      });
    }
  });

  describe(`${label}: axpby with an f64 b reads it at full width, as the reference`, () => {
    for (const n of [1, 7, 1001]) {
      it(`n=${n}`, () => {
        const a = nbuf(n);
        const b = wide(n, -1e-3, 1e-3);
        const expected = Float32Array.from(a);
        ref.axpby(expected, 1, b, -2, expected);
        B.axpby(a, 1, b, -2, a);
        expect(exactMismatch(a, expected)).toBeNull();
      });
    }
  });

  describe(`${label}: binaryConcrete matches the reference ${noiseTol ? 'within the stated tolerance' : 'bit for bit'}`, () => {
    // Powers of two (the kernel multiplies by their inverse) and others (it divides).
    for (const temperature of [0.1, 0.67, 2, 1, 0.125]) {
      it(`temperature ${temperature}`, () => {
        for (const n of [0, 1, 7, 4099]) {
          const a = nbuf(n, -8, 8);
          if (n > 6) a.set([0, -0, 800, -800, 1e-30, -1e-30], 1);
          const key = nr.key();
          const y = nbuf(n),
            slope = nbuf(n);
          const y0 = new Float32Array(n),
            slope0 = new Float32Array(n);
          B.binaryConcrete(a, key, temperature, y, slope);
          ref.binaryConcrete(Float32Array.from(a), key, temperature, y0, slope0);
          if (!noiseTol) {
            expect(exactMismatch(y, y0)).toBeNull();
            expect(exactMismatch(slope, slope0)).toBeNull();
            continue;
          }
          const l = draws(key, 0, n, 'logistic');
          const { z, values } = noiseTol.concrete;
          // How far z may be off, and what that moves: y by σ′(z)·Δz, the slope by (1 − 2y)·Δz relative.
          const dz = (i: number) => (z * (Math.abs(a[i]) + Math.abs(l[i]))) / temperature;
          expect(mismatch(y, y0, values.rel, (i) => slope0[i] * temperature * dz(i) + values.abs)).toBeNull();
          expect(mismatch(slope, slope0, values.rel, (i) => slope0[i] * dz(i) + values.abs)).toBeNull();
        }
      });
    }
  });

  describe(`${label}: sigmoidAffine matches the reference bit for bit`, () => {
    // Every backend runs it in f64 with the counter-based kernels' own exponential (no device shader).
    for (const [scale, shift] of [
      [4, -2],
      [1, 0],
      [-0.37, 1.5],
      [1e3, 0.25],
    ]) {
      it(`σ(${scale}·x + ${shift})`, () => {
        for (const n of [0, 1, 3, 7, 4099]) {
          const a = nbuf(n, -8, 8);
          if (n > 10) a.set([0, -0, 800, -800, 1e-30, -1e-30, NaN, Infinity, -Infinity, 0.5], 1);
          const out = nbuf(n);
          const expected = new Float32Array(n);
          B.sigmoidAffine(a, scale, shift, out);
          ref.sigmoidAffine(Float32Array.from(a), scale, shift, expected);
          expect(exactMismatch(out, expected)).toBeNull();
          // In place.
          B.sigmoidAffine(a, scale, shift, a);
          expect(exactMismatch(a, expected)).toBeNull();
        }
      });
    }
    it('is σ to within the reference exponential’s 1e-14 before rounding', () => {
      const x = Float32Array.from({ length: 2001 }, (_, i) => (i - 1000) / 40);
      const out = new Float32Array(x.length);
      ref.sigmoidAffine(x, 4, -2, out);
      x.forEach((v, i) => expect(Math.abs(out[i] - 1 / (1 + Math.exp(-(4 * v - 2))))).toBeLessThanOrEqual(6e-8 * out[i] + 1e-45));
    });
  });

  describe(`${label}: bernoulliSigmoid matches the reference ${noiseTol ? 'within the stated tolerance' : 'bit for bit'}`, () => {
    for (const [kind, withLogProb] of [
      [null, false],
      ['slope', false],
      ['score', false],
      ['score', true],
      [null, true],
    ] as const) {
      it(`samples${kind ? ` and ${kind}` : ''}${withLogProb ? ' and log p(h | a)' : ''}`, () => {
        for (const n of [0, 1, 7, 4099]) {
          const a = nbuf(n, -8, 8);
          // Both signs of zero, and far tails (e^−|a| clamped at −700).
          if (n > 6) a.set([0, -0, 800, -800, 1e-30, -1e-30], 1);
          const key = nr.key();
          const h = nbuf(n);
          const aux = kind ? nbuf(n) : null;
          const lp = withLogProb ? nbuf(n) : null;
          const h0 = new Float32Array(n);
          const aux0 = kind ? new Float32Array(n) : null;
          const lp0 = withLogProb ? new Float32Array(n) : null;
          B.bernoulliSigmoid(a, key, h, aux, kind, lp);
          ref.bernoulliSigmoid(Float32Array.from(a), key, h0, aux0, kind, lp0);
          if (!noiseTol) {
            expect(exactMismatch(h, h0)).toBeNull();
            if (aux && aux0) expect(exactMismatch(aux, aux0)).toBeNull();
            if (lp && lp0) expect(exactMismatch(lp, lp0)).toBeNull();
            continue;
          }
          const { band, values } = noiseTol.bernoulli;
          const sigma = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
          const agree: number[] = [];
          for (let i = 0; i < n; i++) {
            if (h[i] === h0[i]) agree.push(i);
            else
              expect(Math.abs(uniformAt(i, key[0], key[1]) - sigma(a[i])), `sample ${i} flipped away from σ(a)`).toBeLessThanOrEqual(band);
          }
          const at = (b: Float32Array) => agree.map((i) => b[i]);
          if (aux && aux0) expect(mismatch(at(aux), at(aux0), values.rel, values.abs)).toBeNull();
          if (lp && lp0) expect(mismatch(at(lp), at(lp0), values.rel, values.abs)).toBeNull();
        }
      });
    }
  });
}
