// The WebGPU backend in Node (docs/webgpu.md): the WASM backend's storage and its kernels, with
// the kernels listed in DEVICE_KERNELS run as WGSL compute shaders on Dawn (the optional npm
// package `webgpu`). Dawn is asynchronous and the kernel interface is not, so Dawn lives on a
// device thread (./device-worker.mjs) and each call blocks in Atomics.wait until that thread has
// written the outputs into the shared WASM memory. Kernels not in DEVICE_KERNELS run in WASM, on
// the same storage: HOST_KERNELS names them, and the backend's `hostKernels` says so at run time.
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { Backend, Buf, WindowGeometry } from '../backend.ts';
import { createWasmBackend, type WasmBackend, type WasmOptions } from '../wasm/index.ts';
import {
  binaryShader,
  col2imShader,
  im2colShader,
  leakyReluShader,
  matmulShader,
  MAX_RANK,
  maxPoolBackwardShader,
  maxPoolShader,
  reduceShader,
  softmaxShader,
  TILE,
  transposeShader,
  unaryShader,
  WG,
} from './shaders.ts';

/** Kernels that run on the GPU (on storage the WASM heap owns; foreign storage takes WASM's own fallback). */
export const DEVICE_KERNELS = [
  'matmul',
  'binary',
  'unary',
  'leakyRelu',
  'reduce',
  'softmax',
  'transpose',
  'im2col',
  'col2im',
  'maxPool2d',
  'maxPool2dBackward',
] as const;

/**
 * Kernels that run in WASM on the same storage, for now: axpby, the optimizer programs and the
 * noise kernels compute in f64 and must match the reference bit for bit; average pooling sums
 * in f64 too; allFinite returns a value to the host anyway.
 */
export const HOST_KERNELS = [
  'axpby',
  'allFinite',
  'fingerprint',
  'addNoise',
  'bernoulliSigmoid',
  'binaryConcrete',
  'optimizerStep',
  'avgPool2d',
  'avgPool2dBackward',
  // Rounding to narrower formats (precision): exact integer bit work, identical on every backend.
  'quantize',
  'matmulRounded',
] as const;

export interface WebGpuBackend extends WasmBackend {
  /** The adapter Dawn found (e.g. "SwiftShader driver 5.0.0"). */
  readonly adapter: string;
  readonly hostKernels: readonly string[];
  /** Stop the device thread (a process exits without it; tests and benchmarks call it). */
  close(): Promise<void>;
}

export interface WebGpuOptions extends WasmOptions {
  /** The module that provides Dawn (default 'webgpu'; tests name a missing one). */
  specifier?: string;
}

const PREFIX = 'RULEBENCH_BACKEND=webgpu';
/** How long a kernel call waits for the device thread before calling it dead (a crashed thread never answers). */
const ANSWER_MS = 120_000;

/** What to do when the device thread could not start, by its reason. */
function advice(reason: string, code: string | undefined, specifier: string): string {
  if (code === 'ERR_MODULE_NOT_FOUND' || /Cannot find (package|module)/.test(reason)) {
    return `${PREFIX}: the optional package "${specifier}" is not installed (npm install, which installs optional dependencies; it ships Dawn for linux-x64, darwin and win32)`;
  }
  if (/no WebGPU adapter/.test(reason)) {
    return (
      `${PREFIX}: ${reason}. Without a GPU, Dawn runs on SwiftShader: bash scripts/ensure-webgpu.sh ` +
      '(installs libvulkan1 and chromium), then export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json and XDG_RUNTIME_DIR'
    );
  }
  return `${PREFIX}: ${reason}`;
}

let cached: Promise<WebGpuBackend> | null = null;

/** The WebGPU backend of this thread (started once). */
export function loadWebGpuBackend(options: WebGpuOptions = {}): Promise<WebGpuBackend> {
  cached ??= createWebGpuBackend(options);
  return cached;
}

interface Binding {
  buf: Buf;
  input?: boolean;
  output?: boolean;
}

/** Starts a device thread and a WASM heap of its own; rejects with what to do when Dawn or an adapter is missing. */
export async function createWebGpuBackend(options: WebGpuOptions = {}): Promise<WebGpuBackend> {
  const specifier = options.specifier ?? 'webgpu';
  // [0] the id of the last request done, [1] its status (0 ok, 1 failed: the error follows as a message).
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(new URL('./device-worker.mjs', import.meta.url), {
    workerData: { specifier, ctl: ctl.buffer, port: port2 },
    transferList: [port2],
  });
  const ready = await new Promise<{ ready: boolean; adapter?: string; error?: string; code?: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  if (!ready.ready) {
    await worker.terminate();
    throw new Error(advice(ready.error ?? 'the device thread failed', ready.code, specifier));
  }
  // The device thread never keeps a finished program alive.
  worker.unref();
  port1.unref();

  const wasm = createWasmBackend(options);
  const { owns } = wasm;
  const compiled = new Set<string>();
  let seq = 0;
  /** The error text the device thread posted for request `id` (posted before the id was stored). */
  const errorOf = (id: number): string => {
    for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) {
      const reply = m.message as { id: number; error: string };
      if (reply.id === id) return reply.error;
    }
    return 'failed, and its error message was lost';
  };
  let attached: ArrayBufferLike | null = null;
  const nanInf = [0x7fc00000, 0x7f800000];

  /** One dispatch, blocking until its outputs are in memory. */
  const dispatch = (shader: string, code: () => string, params: number[], bindings: Binding[], groups: [number, number, number]): void => {
    // Every view the heap owns lies in its newest (largest) SharedArrayBuffer's range.
    for (const { buf } of bindings) {
      if (!attached || buf.buffer.byteLength > attached.byteLength) {
        attached = buf.buffer;
        port1.postMessage({ memory: attached });
      }
    }
    const first = !compiled.has(shader);
    const id = (seq = (seq % 0x7fffffff) + 1);
    port1.postMessage({
      id,
      shader,
      code: first ? code() : undefined,
      params: new Uint32Array(params),
      bindings: bindings.map((b) => ({
        offset: b.buf.byteOffset,
        bytes: b.buf.byteLength,
        input: b.input ?? false,
        output: b.output ?? false,
      })),
      groups,
    });
    const deadline = performance.now() + ANSWER_MS;
    for (let now = Atomics.load(ctl, 0); now !== id; now = Atomics.load(ctl, 0)) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`webgpu kernel ${shader}: the device thread did not answer in ${ANSWER_MS / 1000} s`);
      Atomics.wait(ctl, 0, now, left);
    }
    if (Atomics.load(ctl, 1) !== 0) throw new Error(`webgpu kernel ${shader}: ${errorOf(id)}`);
    compiled.add(shader);
  };

  /** Workgroups for `count` invocations of WG, spread over y past the 65,535 limit of one dimension. */
  const groups = (count: number): [number, number, number] => {
    const n = Math.ceil(count / WG);
    const x = Math.min(n, 65535);
    return [x, Math.ceil(n / x), 1];
  };
  const elementwise = (shader: string, code: () => string, count: number, extra: number[], bindings: Binding[]): void => {
    if (count > 0) dispatch(shader, code, [count, ...nanInf, ...extra], bindings, groups(count));
  };
  const geometry = (g: WindowGeometry): number[] => [g.n, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oh, g.ow];
  const f32Bits = (v: number): number => new Uint32Array(new Float32Array([v]).buffer)[0];
  const pad = (xs: readonly number[], fill: number): number[] => [...new Array<number>(MAX_RANK - xs.length).fill(fill), ...xs];

  const device: Partial<Backend> = {
    matmul(a, b, out, m, n, k, transA, transB) {
      if (!(owns(a) && owns(b) && owns(out)) || m * n === 0) return wasm.matmul(a, b, out, m, n, k, transA, transB);
      dispatch(
        'matmul',
        matmulShader,
        [m * n, ...nanInf, m, n, k, transA ? 1 : 0, transB ? 1 : 0],
        [
          { buf: a, input: true },
          { buf: b, input: true },
          { buf: out.subarray(0, m * n), output: true },
        ],
        [Math.ceil(n / TILE), Math.ceil(m / TILE), 1],
      );
    },
    binary(op, a, aShape, b, bShape, out, outShape) {
      if (!(owns(a) && owns(b) && owns(out)) || outShape.length > MAX_RANK) return wasm.binary(op, a, aShape, b, bShape, out, outShape);
      const strides = (shape: readonly number[]): number[] => {
        const s = new Array<number>(outShape.length).fill(0);
        let acc = 1;
        for (let i = shape.length - 1, o = outShape.length - 1; i >= 0; i--, o--) {
          s[o] = shape[i] === 1 ? 0 : acc;
          acc *= shape[i];
        }
        return s;
      };
      elementwise(
        `binary-${op}`,
        () => binaryShader(op),
        out.length,
        [...pad(outShape, 1), ...pad(strides(aShape), 0), ...pad(strides(bShape), 0)],
        [
          { buf: a, input: true },
          { buf: b, input: true },
          { buf: out, output: true },
        ],
      );
    },
    unary(op, a, out) {
      if (!(owns(a) && owns(out))) return wasm.unary(op, a, out);
      elementwise(
        `unary-${op}`,
        () => unaryShader(op),
        a.length,
        [],
        [
          { buf: a, input: true },
          { buf: out.subarray(0, a.length), output: true },
        ],
      );
    },
    leakyRelu(a, out, alpha, grad) {
      if (!(owns(a) && owns(out))) return wasm.leakyRelu(a, out, alpha, grad);
      const hi = Math.fround(alpha);
      elementwise(
        'leakyRelu',
        leakyReluShader,
        a.length,
        [f32Bits(hi), f32Bits(alpha - hi), grad ? 1 : 0],
        [
          { buf: a, input: true },
          { buf: out.subarray(0, a.length), output: true },
        ],
      );
    },
    reduce(op, a, out, outer, axisLen, inner) {
      if (!(owns(a) && owns(out))) return wasm.reduce(op, a, out, outer, axisLen, inner);
      elementwise(
        `reduce-${op}`,
        () => reduceShader(op),
        outer * inner,
        [outer, axisLen, inner],
        [
          { buf: a.subarray(0, Math.max(1, outer * axisLen * inner)), input: true },
          { buf: out.subarray(0, outer * inner), output: true },
        ],
      );
    },
    softmax(a, out, rows, cols, log) {
      if (!(owns(a) && owns(out))) return wasm.softmax(a, out, rows, cols, log);
      elementwise(
        `softmax-${log}`,
        () => softmaxShader(log),
        cols > 0 ? rows : 0,
        [cols],
        [
          { buf: a, input: true },
          { buf: out.subarray(0, rows * cols), output: true },
        ],
      );
    },
    transpose(a, shape, perm, out) {
      if (!(owns(a) && owns(out)) || shape.length > MAX_RANK) return wasm.transpose(a, shape, perm, out);
      const inStrides = shape.map((_, d) => shape.slice(d + 1).reduce((x, y) => x * y, 1));
      elementwise(
        'transpose',
        transposeShader,
        out.length,
        [
          ...pad(
            perm.map((q) => shape[q]),
            1,
          ),
          ...pad(
            perm.map((q) => inStrides[q]),
            0,
          ),
        ],
        [
          { buf: a, input: true },
          { buf: out, output: true },
        ],
      );
    },
    im2col(x, cols, g) {
      if (!(owns(x) && owns(cols))) return wasm.im2col(x, cols, g);
      const count = g.c * g.kh * g.kw * g.n * g.oh * g.ow;
      elementwise('im2col', im2colShader, count, geometry(g), [
        { buf: x, input: true },
        { buf: cols.subarray(0, count), output: true },
      ]);
    },
    col2im(cols, dx, g) {
      if (!(owns(cols) && owns(dx))) return wasm.col2im(cols, dx, g);
      const count = g.n * g.c * g.h * g.w;
      elementwise('col2im', col2imShader, count, geometry(g), [
        { buf: cols, input: true },
        { buf: dx.subarray(0, count), output: true },
      ]);
    },
    maxPool2d(x, out, argmax, g) {
      if (!(owns(x) && owns(out) && owns(argmax))) return wasm.maxPool2d(x, out, argmax, g);
      const count = g.n * g.c * g.oh * g.ow;
      elementwise('maxPool2d', maxPoolShader, count, geometry(g), [
        { buf: x, input: true },
        { buf: out.subarray(0, count), output: true },
        { buf: argmax.subarray(0, count), output: true },
      ]);
    },
    maxPool2dBackward(gOut, argmax, dx, g) {
      if (!(owns(gOut) && owns(argmax) && owns(dx))) return wasm.maxPool2dBackward(gOut, argmax, dx, g);
      const count = g.n * g.c * g.h * g.w;
      elementwise('maxPool2dBackward', maxPoolBackwardShader, count, geometry(g), [
        { buf: gOut, input: true },
        { buf: argmax, input: true },
        { buf: dx.subarray(0, count), output: true },
      ]);
    },
  };

  return {
    ...wasm,
    ...device,
    name: 'webgpu',
    adapter: ready.adapter ?? 'unknown adapter',
    hostKernels: HOST_KERNELS,
    get threads() {
      return wasm.threads;
    },
    async close() {
      await worker.terminate();
    },
  } as WebGpuBackend;
}
