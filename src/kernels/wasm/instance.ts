// The WASM SIMD backend on a compiled kernels module (AssemblyScript, see ./assembly), wherever
// it was loaded: ./index.ts in Node (reads the file, rebuilds it when stale, runs kernel
// threads), ./browser.ts in a browser (fetches it). Tensor storage lives in the module's shared
// memory; any call on foreign storage falls back to the reference backend.
import { ShapeError } from '../../errors.ts';
import type { Backend, BinaryOp, Buf, ReduceOp, UnaryOp, WindowGeometry } from '../backend.ts';
import { kernelThreads } from '../index.ts';
import { MAX_SLOTS, MAX_STAGES, STAGE_WORDS } from '../optim-program.ts';
import { NOISE_KINDS } from '../noise.ts';
import { referenceBackend } from '../reference.ts';
import { WasmHeap, type HeapStats } from './allocator.ts';
import { collapseBroadcast, planPermute } from './layout.ts';
import type { KernelThreads, ThreadsSetup } from './thread-pool.ts';
import { WebAssemblyApi } from './webassembly.ts';

/** Exports of kernels.wasm (pointers are byte offsets into the shared memory). */
interface KernelExports {
  heapBase(): number;
  scratchBytes(): number;
  setScratch(ptr: number): void;
  matmul(
    a: number,
    b: number,
    out: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    part: number,
    parts: number,
  ): void;
  unary(op: number, a: number, out: number, n: number): void;
  binary(
    op: number,
    a: number,
    b: number,
    out: number,
    d0: number,
    d1: number,
    d2: number,
    sa0: number,
    sa1: number,
    sa2: number,
    sb0: number,
    sb1: number,
    sb2: number,
  ): void;
  leakyRelu(a: number, out: number, n: number, alpha: number, grad: number): void;
  axpby(a: number, scale: number, b: number, bScale: number, out: number, n: number): void;
  axpbyWide(a: number, scale: number, b: number, bScale: number, out: number, n: number): void;
  reduce(op: number, a: number, out: number, outer: number, axisLen: number, inner: number): void;
  softmax(a: number, out: number, rows: number, cols: number, log: number): void;
  transpose2d(a: number, out: number, batch: number, rows: number, cols: number): void;
  transposeBlocks(a: number, out: number, batch: number, rows: number, cols: number, block: number): void;
  zero(ptr: number, bytes: number): void;
  copy(dst: number, src: number, bytes: number): void;
  allFinite(a: number, n: number): number;
  fingerprint(a: number, n: number): number;
  fingerprintAbs: { value: number };
  fingerprintSquares: { value: number };
  addNoise(
    out: number,
    n: number,
    scale: number,
    k0: number,
    k1: number,
    offset: number,
    kind: number,
    elementScale: number,
    wide: number,
  ): void;
  bernoulliSigmoid(a: number, n: number, k0: number, k1: number, h: number, aux: number, mode: number, logProb: number): void;
  binaryConcrete(a: number, n: number, k0: number, k1: number, temperature: number, y: number, slope: number): void;
  sigmoidAffine(a: number, n: number, scale: number, shift: number, out: number): void;
  quantize(
    x: number,
    out: number,
    n: number,
    mantissa: number,
    minExp: number,
    max: number,
    saturate: number,
    stochastic: number,
    k0: number,
    k1: number,
    offset: number,
    scale: number,
  ): bigint;
  matmulRounded(
    a: number,
    b: number,
    out: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    mantissa: number,
    minExp: number,
    max: number,
    saturate: number,
    scale: number,
  ): void;
  optimProgram(): number;
  optimSlots(): number;
  optimizerStep(stages: number, param: number, update: number, n: number, mode: number): number;
  im2col(...xColsGeometryPart: number[]): void;
  col2im(...colsDxGeometryPart: number[]): void;
  maxPool2d(x: number, out: number, argmax: number, ...geometry: number[]): void;
  maxPool2dBackward(gOut: number, argmax: number, dx: number, n: number, c: number, h: number, w: number, oh: number, ow: number): void;
  avgPool2d(x: number, out: number, ...geometry: number[]): void;
  avgPool2dBackward(gOut: number, dx: number, ...geometry: number[]): void;
}

/** A window geometry as the kernels' argument list. */
const geo = (g: WindowGeometry): number[] => [g.n, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oh, g.ow];
const inputSize = (g: WindowGeometry): number => g.n * g.c * g.h * g.w;
const outputSize = (g: WindowGeometry): number => g.n * g.c * g.oh * g.ow;
const colsSize = (g: WindowGeometry): number => g.c * g.kh * g.kw * g.n * g.oh * g.ow;

// Op codes; keep in sync with assembly/elementwise.ts and assembly/reduce.ts.
const UNARY: Record<UnaryOp, number> = {
  neg: 0,
  exp: 1,
  log: 2,
  tanh: 3,
  sigmoid: 4,
  relu: 5,
  softplus: 6,
  sqrt: 7,
  square: 8,
  abs: 9,
  sign: 10,
  step: 11,
  gelu: 12,
  geluGrad: 13,
  reciprocal: 14,
  sin: 15,
  cos: 16,
};
const BINARY: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, pow: 6, gt: 7 };
const REDUCE: Record<ReduceOp, number> = { sum: 0, max: 1, mean: 2 };

/** The WASM backend: the kernel interface and memory management. */
export interface WasmBackend extends Backend {
  /** Return storage from alloc() to the allocator now (anything else is ignored). */
  free(buf: Buf): void;
  /** True if buf lives in this backend's WASM memory (so kernels on it run in WASM). */
  owns(buf: Buf): boolean;
  memoryStats(): HeapStats;
  /**
   * Threads of the last partitioned kernel call (1: the calling thread only). A call uses as many
   * as the engine's thread count (withThreads): n − 1 kernel workers on this backend's memory,
   * started when the count first changes. Results are bit-identical for every n.
   */
  readonly threads: number;
}

export interface WasmOptions {
  /** Upper bound on WASM memory in 64 KiB pages (default and maximum 65536 = 4 GiB). */
  maxPages?: number;
  /** The relaxed-SIMD (FMA) build or the baseline one (default: the relaxed one where the runtime has relaxed SIMD). */
  relaxed?: boolean;
}

// Below this many multiply-adds a matmul runs on the calling thread: waking another costs
// more than it saves (a hand-off is tens of microseconds on a busy machine).
const THREADED_MIN_MACS = 1 << 20;
const THREADED_MIN_ELEMENTS = 1 << 16;

/** The kernels' file names, next to this module in the source and in the playground's build. */
export const wasmFileName = (relaxed: boolean): string => (relaxed ? 'kernels-relaxed.wasm' : 'kernels.wasm');

export const MAX_PAGES = 65536;

// (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
export const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11,
]);

/** What the runtime lends the backend: kernel threads (Node's worker_threads), and a way to warn. */
export interface WasmHost {
  /** Start kernel threads on the module's memory; absent, every call runs on the calling thread. */
  startThreads?(setup: ThreadsSetup): KernelThreads;
  /** Say something once (WASM memory is full). */
  warn(message: string): void;
}

/**
 * A WASM backend with its own memory on the compiled kernels `module` (the `relaxed` build or
 * the baseline one), however it was loaded.
 */
export function instantiateWasmBackend(module: object, relaxed: boolean, options: WasmOptions, host: WasmHost): WasmBackend {
  const maxPages = Math.min(MAX_PAGES, Math.max(64, Math.floor(options.maxPages ?? MAX_PAGES)));
  const memory = new WebAssemblyApi.Memory({ initial: 32, maximum: maxPages, shared: true });
  const ex = new WebAssemblyApi.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
  const heap = new WasmHeap(memory, ex.heapBase(), maxPages, (ptr, bytes) => ex.zero(ptr, bytes));
  const scratch = heap.allocRaw(ex.scratchBytes());
  if (scratch < 0) throw new Error(`WASM backend: no room for kernel scratch within ${maxPages} pages`);
  ex.setScratch(scratch);

  let pool: KernelThreads | null = null;
  let poolScratch: number[] = [];
  /** The kernel workers for the engine's thread count now (null: one thread). */
  const threaded = (): KernelThreads | null => {
    const n = host.startThreads ? kernelThreads() : 1;
    if (n !== (pool?.threads ?? 1)) resize(n);
    return pool;
  };
  const resize = (n: number): void => {
    pool?.terminate();
    for (const p of poolScratch) heap.freeRaw(p, ex.scratchBytes());
    pool = null;
    poolScratch = [];
    if (n === 1) return;
    for (let i = 1; i < n; i++) {
      const p = heap.allocRaw(ex.scratchBytes());
      if (p < 0) throw new Error(`WASM backend: no room for kernel scratch of ${n} threads within ${maxPages} pages`);
      poolScratch.push(p);
    }
    pool = host.startThreads!({ module, memory, scratch: poolScratch });
  };

  const ref = referenceBackend;
  const owns = (buf: Buf): buf is Float32Array => buf instanceof Float32Array && heap.owns(buf);
  // An f64 view of our memory (a rule's full-width noise terms, zeroth-order.ts): kernels that
  // take one read or write it at full width; its byteOffset is a pointer like any other.
  const ownsWide = (buf: Buf): buf is Float64Array => buf instanceof Float64Array && heap.owns(buf) && buf.byteOffset % 8 === 0;
  const need = (op: string, name: string, buf: Buf, n: number): void => {
    if (buf.length < n) throw new ShapeError(`wasm ${op}: ${name} has ${buf.length} elements, needs ${n}`);
  };
  let warnedFallbackAlloc = false;

  const backend: WasmBackend = {
    name: relaxed ? 'wasm-relaxed-simd' : 'wasm-simd',

    alloc(n, zero = true) {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`wasm alloc: invalid element count ${n}`);
      const view = heap.alloc(n, zero);
      if (view) return view;
      if (!warnedFallbackAlloc) {
        warnedFallbackAlloc = true;
        host.warn(
          `rulebench: WASM memory is full (${heap.stats().memoryBytes} bytes); ` +
            'new tensors use JS memory and the slower reference kernels. Free tensors you no longer need.',
        );
      }
      return new Float32Array(n);
    },

    free(buf) {
      heap.free(buf);
    },

    owns,

    memoryStats: () => heap.stats(),

    get threads() {
      return pool?.threads ?? 1;
    },

    matmul(a, b, out, m, n, k, transA, transB) {
      if (!(owns(a) && owns(b) && owns(out))) return ref.matmul(a, b, out, m, n, k, transA, transB);
      need('matmul', 'out', out, m * n);
      need('matmul', 'A', a, m * k);
      need('matmul', 'B', b, k * n);
      const args = [a.byteOffset, b.byteOffset, out.byteOffset, m, n, k, transA ? 1 : 0, transB ? 1 : 0] as const;
      const threads = m * n * k >= THREADED_MIN_MACS ? threaded() : null;
      if (threads) threads.run('matmul', args, (part, parts) => ex.matmul(...args, part, parts));
      else ex.matmul(...args, 0, 1);
    },

    binary(op, a, aShape, b, bShape, out, outShape) {
      if (!(owns(a) && owns(b) && owns(out))) return ref.binary(op, a, aShape, b, bShape, out, outShape);
      const plan = collapseBroadcast(aShape, bShape, outShape);
      if (!plan) return ref.binary(op, a, aShape, b, bShape, out, outShape);
      const [d0, d1, d2] = plan.dims;
      need(`binary ${op}`, 'out', out, d0 * d1 * d2);
      need(
        `binary ${op}`,
        'a',
        a,
        aShape.reduce((x, y) => x * y, 1),
      );
      need(
        `binary ${op}`,
        'b',
        b,
        bShape.reduce((x, y) => x * y, 1),
      );
      if (d0 * d1 * d2 === 0) return;
      const { sa, sb } = plan;
      ex.binary(BINARY[op], a.byteOffset, b.byteOffset, out.byteOffset, d0, d1, d2, sa[0], sa[1], sa[2], sb[0], sb[1], sb[2]);
    },

    unary(op, a, out) {
      if (!(owns(a) && owns(out))) return ref.unary(op, a, out);
      need(`unary ${op}`, 'out', out, a.length);
      ex.unary(UNARY[op], a.byteOffset, out.byteOffset, a.length);
    },

    leakyRelu(a, out, alpha, grad) {
      if (!(owns(a) && owns(out))) return ref.leakyRelu(a, out, alpha, grad);
      need('leakyRelu', 'out', out, a.length);
      ex.leakyRelu(a.byteOffset, out.byteOffset, a.length, alpha, grad ? 1 : 0);
    },

    reduce(op, a, out, outer, axisLen, inner) {
      if (!(owns(a) && owns(out))) return ref.reduce(op, a, out, outer, axisLen, inner);
      need(`reduce ${op}`, 'out', out, outer * inner);
      need(`reduce ${op}`, 'a', a, outer * axisLen * inner);
      ex.reduce(REDUCE[op], a.byteOffset, out.byteOffset, outer, axisLen, inner);
    },

    softmax(a, out, rows, cols, log) {
      if (!(owns(a) && owns(out))) return ref.softmax(a, out, rows, cols, log);
      need('softmax', 'out', out, rows * cols);
      need('softmax', 'a', a, rows * cols);
      ex.softmax(a.byteOffset, out.byteOffset, rows, cols, log ? 1 : 0);
    },

    transpose(a, shape, perm, out) {
      if (!(owns(a) && owns(out))) return ref.transpose(a, shape, perm, out);
      const size = shape.reduce((x, y) => x * y, 1);
      need('transpose', 'a', a, size);
      need('transpose', 'out', out, size);
      const plan = planPermute(shape, perm);
      if (size === 0) return;
      if (plan.kind === 'copy') ex.copy(out.byteOffset, a.byteOffset, size * 4);
      else if (plan.kind === 'transpose2d') ex.transpose2d(a.byteOffset, out.byteOffset, plan.batch, plan.rows, plan.cols);
      else if (plan.kind === 'transposeBlocks')
        ex.transposeBlocks(a.byteOffset, out.byteOffset, plan.batch, plan.rows, plan.cols, plan.block);
      else ref.transpose(a, shape, perm, out);
    },

    axpby(a, scale, b, bScale, out) {
      const wideB = ownsWide(b);
      if (!(owns(a) && (owns(b) || wideB) && owns(out))) return ref.axpby(a, scale, b, bScale, out);
      need('axpby', 'a', a, out.length);
      need('axpby', 'b', b, out.length);
      (wideB ? ex.axpbyWide : ex.axpby)(a.byteOffset, scale, b.byteOffset, bScale, out.byteOffset, out.length);
    },

    im2col(x, cols, g) {
      if (!(owns(x) && owns(cols))) return ref.im2col(x, cols, g);
      need('im2col', 'x', x, inputSize(g));
      need('im2col', 'cols', cols, colsSize(g));
      if (colsSize(g) === 0) return;
      const args = [x.byteOffset, cols.byteOffset, ...geo(g)];
      const threads = colsSize(g) >= THREADED_MIN_ELEMENTS ? threaded() : null;
      if (threads) threads.run('im2col', args, (part, parts) => ex.im2col(...args, part, parts));
      else ex.im2col(...args, 0, 1);
    },

    col2im(cols, dx, g) {
      if (!(owns(cols) && owns(dx))) return ref.col2im(cols, dx, g);
      need('col2im', 'cols', cols, colsSize(g));
      need('col2im', 'dx', dx, inputSize(g));
      if (inputSize(g) === 0) return;
      const args = [cols.byteOffset, dx.byteOffset, ...geo(g)];
      const threads = colsSize(g) >= THREADED_MIN_ELEMENTS ? threaded() : null;
      if (threads) threads.run('col2im', args, (part, parts) => ex.col2im(...args, part, parts));
      else ex.col2im(...args, 0, 1);
    },

    maxPool2d(x, out, argmax, g) {
      if (!(owns(x) && owns(out) && owns(argmax))) return ref.maxPool2d(x, out, argmax, g);
      need('maxPool2d', 'x', x, inputSize(g));
      need('maxPool2d', 'out', out, outputSize(g));
      need('maxPool2d', 'argmax', argmax, outputSize(g));
      ex.maxPool2d(x.byteOffset, out.byteOffset, argmax.byteOffset, ...geo(g));
    },

    maxPool2dBackward(gOut, argmax, dx, g) {
      if (!(owns(gOut) && owns(argmax) && owns(dx))) return ref.maxPool2dBackward(gOut, argmax, dx, g);
      need('maxPool2dBackward', 'gOut', gOut, outputSize(g));
      need('maxPool2dBackward', 'argmax', argmax, outputSize(g));
      need('maxPool2dBackward', 'dx', dx, inputSize(g));
      ex.maxPool2dBackward(gOut.byteOffset, argmax.byteOffset, dx.byteOffset, g.n, g.c, g.h, g.w, g.oh, g.ow);
    },

    avgPool2d(x, out, g) {
      if (!(owns(x) && owns(out))) return ref.avgPool2d(x, out, g);
      need('avgPool2d', 'x', x, inputSize(g));
      need('avgPool2d', 'out', out, outputSize(g));
      ex.avgPool2d(x.byteOffset, out.byteOffset, ...geo(g));
    },

    avgPool2dBackward(gOut, dx, g) {
      if (!(owns(gOut) && owns(dx))) return ref.avgPool2dBackward(gOut, dx, g);
      need('avgPool2dBackward', 'gOut', gOut, outputSize(g));
      need('avgPool2dBackward', 'dx', dx, inputSize(g));
      ex.avgPool2dBackward(gOut.byteOffset, dx.byteOffset, ...geo(g));
    },

    allFinite(a) {
      if (!ArrayBuffer.isView(a)) return a.every((b) => backend.allFinite(b));
      if (!owns(a)) return ref.allFinite(a);
      return a.length === 0 || ex.allFinite(a.byteOffset, a.length) === 1;
    },

    fingerprint(a) {
      if (!owns(a)) return ref.fingerprint(a);
      const bits = ex.fingerprint(a.byteOffset, a.length);
      return { bits, abs: ex.fingerprintAbs.value, squares: ex.fingerprintSquares.value };
    },

    addNoise(out, scale, key, offset, kind, elementScale) {
      const wide = ownsWide(out);
      if (!((owns(out) || wide) && (elementScale === null || owns(elementScale))))
        return ref.addNoise(out, scale, key, offset, kind, elementScale);
      if (elementScale) need('addNoise', 'elementScale', elementScale, out.length);
      if (out.length)
        ex.addNoise(
          out.byteOffset,
          out.length,
          scale,
          key[0],
          key[1],
          offset,
          NOISE_KINDS.indexOf(kind),
          elementScale ? elementScale.byteOffset : 0,
          wide ? 1 : 0,
        );
    },

    bernoulliSigmoid(a, key, h, aux, kind, logProb) {
      if (!(owns(a) && owns(h) && (aux === null || owns(aux)) && (logProb === null || owns(logProb))))
        return ref.bernoulliSigmoid(a, key, h, aux, kind, logProb);
      need('bernoulliSigmoid', 'h', h, a.length);
      if (aux) need('bernoulliSigmoid', 'aux', aux, a.length);
      if (logProb) need('bernoulliSigmoid', 'logProb', logProb, a.length);
      if (a.length)
        ex.bernoulliSigmoid(
          a.byteOffset,
          a.length,
          key[0],
          key[1],
          h.byteOffset,
          aux ? aux.byteOffset : 0,
          aux ? (kind === 'slope' ? 1 : 2) : 0,
          logProb ? logProb.byteOffset : 0,
        );
    },

    sigmoidAffine(a, scale, shift, out) {
      if (!(owns(a) && owns(out))) return ref.sigmoidAffine(a, scale, shift, out);
      need('sigmoidAffine', 'out', out, a.length);
      if (a.length) ex.sigmoidAffine(a.byteOffset, a.length, scale, shift, out.byteOffset);
    },

    binaryConcrete(a, key, temperature, y, slope) {
      if (!(owns(a) && owns(y) && owns(slope))) return ref.binaryConcrete(a, key, temperature, y, slope);
      need('binaryConcrete', 'y', y, a.length);
      need('binaryConcrete', 'slope', slope, a.length);
      if (a.length) ex.binaryConcrete(a.byteOffset, a.length, key[0], key[1], temperature, y.byteOffset, slope.byteOffset);
    },

    quantize(x, out, target, key, offset, scale = 1) {
      if (!(owns(x) && owns(out))) return ref.quantize(x, out, target, key, offset, scale);
      need('quantize', 'out', out, x.length);
      if (!x.length) return { flushed: 0, saturated: 0 };
      const { mantissa, minExp, max, saturate } = target;
      const packed = ex.quantize(
        x.byteOffset,
        out.byteOffset,
        x.length,
        mantissa,
        minExp,
        max,
        saturate ? 1 : 0,
        key ? 1 : 0,
        key ? key[0] : 0,
        key ? key[1] : 0,
        offset,
        scale,
      );
      return { flushed: Number(packed & 0xffffffffn), saturated: Number(packed >> 32n) };
    },

    matmulRounded(a, b, out, m, n, k, transA, transB, target, scale = 1) {
      if (!(owns(a) && owns(b) && owns(out))) return ref.matmulRounded(a, b, out, m, n, k, transA, transB, target, scale);
      need('matmulRounded', 'a', a, m * k);
      need('matmulRounded', 'b', b, k * n);
      need('matmulRounded', 'out', out, m * n);
      const { mantissa, minExp, max, saturate } = target;
      ex.matmulRounded(
        a.byteOffset,
        b.byteOffset,
        out.byteOffset,
        m,
        n,
        k,
        transA ? 1 : 0,
        transB ? 1 : 0,
        mantissa,
        minExp,
        max,
        saturate ? 1 : 0,
        scale,
      );
    },

    optimizerStep(program, stages, param, update, slots, mode) {
      const n = update.length;
      if (!(owns(param) && owns(update) && slots.every(owns)) || stages > MAX_STAGES || slots.length > MAX_SLOTS) {
        return ref.optimizerStep(program, stages, param, update, slots, mode);
      }
      need('optimizerStep', 'param', param, n);
      for (const sl of slots) need('optimizerStep', 'state slot', sl, n);
      if (n === 0) return 0;
      const buf = heap.currentBuffer;
      new Float64Array(buf, ex.optimProgram(), stages * STAGE_WORDS).set(program.subarray(0, stages * STAGE_WORDS));
      const table = new Int32Array(buf, ex.optimSlots(), slots.length);
      for (let i = 0; i < slots.length; i++) table[i] = slots[i].byteOffset;
      return ex.optimizerStep(stages, param.byteOffset, update.byteOffset, n, mode);
    },
  };
  return backend;
}
