// The WebGPU backend in Node (docs/webgpu.md): the WASM backend's storage and its kernels, with
// the kernels listed in DEVICE_KERNELS run as WGSL compute shaders on Dawn (the optional npm
// package `webgpu`). Dawn is asynchronous and the kernel interface is not, so Dawn lives on a
// device thread (./device-worker.mjs) and each call blocks in Atomics.wait until that thread has
// written the outputs into the shared WASM memory. Kernels not in DEVICE_KERNELS run in WASM, on
// the same storage: HOST_KERNELS names them, and the backend's `hostKernels` says so at run time.
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { Backend, Buf, Fingerprint, HostSync, WindowGeometry } from '../backend.ts';
import { MAX_STAGES, STAGE, STAGE_WORDS } from '../optim-program.ts';
import { createWasmBackend, type WasmBackend, type WasmOptions } from '../wasm/index.ts';
import { CONTROL_WORDS, DONE, HANDLED, STATUS, type BindingRange, type DeviceRequest } from './device-protocol.mjs';
import { BlockTable, type Block } from './residency.ts';
import {
  addNoiseShader,
  allFiniteShader,
  avgPoolBackwardShader,
  avgPoolShader,
  axpbyShader,
  bernoulliSigmoidShader,
  binaryConcreteShader,
  binaryShader,
  col2imShader,
  fingerprintShader,
  im2colShader,
  leakyReluShader,
  matmulShader,
  MAX_RANK,
  maxPoolBackwardShader,
  maxPoolShader,
  optimizerShader,
  reduceShader,
  softmaxShader,
  TILE,
  transposeShader,
  unaryShader,
  WG,
  type OptimizerLayout,
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
  'avgPool2d',
  'avgPool2dBackward',
  // The counter-based noise: the stream's words bit for bit, their transforms in f32 (docs/webgpu.md).
  'addNoise',
  'bernoulliSigmoid',
  'binaryConcrete',
  // The optimizer programs and axpby in f32 (axpby's products as f32 pairs), the reductions' answers read back lazily.
  'axpby',
  'optimizerStep',
  'allFinite',
  'fingerprint',
] as const;

/** Kernels that run in WASM on the same storage. */
export const HOST_KERNELS = [
  // Rounding to narrower formats (precision): exact integer bit work, identical on every backend.
  'quantize',
  'matmulRounded',
  // σ(scale·x + shift) in f64 (an expression activation's forward), for the same bits as the other backends.
  'sigmoidAffine',
] as const;

export interface WebGpuBackend extends WasmBackend {
  /** The adapter Dawn found (e.g. "SwiftShader driver 5.0.0"). */
  readonly adapter: string;
  readonly hostKernels: readonly string[];
  readonly sync: HostSync;
  /** Traffic between the host and the device so far (docs/webgpu.md, Residency). */
  transfers(): Transfers;
  /** Stop the device thread (a process exits without it; tests and benchmarks call it). */
  close(): Promise<void>;
}

/** Counts of the traffic between the host and the device. */
export interface Transfers {
  /** Kernels dispatched on the device. */
  dispatches: number;
  /** Host copies sent to the device, and their bytes. */
  uploads: number;
  uploadBytes: number;
  /** Device copies brought back, and their bytes. */
  readbacks: number;
  readbackBytes: number;
  /** Times the calling thread blocked for the device thread (readbacks, first uses of a shader, back-pressure). */
  waits: number;
}

export interface WebGpuOptions extends WasmOptions {
  /** The module that provides Dawn (default 'webgpu'; tests name a missing one). */
  specifier?: string;
  /**
   * Debug mode: fill the host copy of every block a device kernel writes with NaN, so a host read
   * that skipped the accessor (Tensor.data, HostSync) sees NaN instead of a stale value.
   */
  poison?: boolean;
}

const PREFIX = 'RULEBENCH_BACKEND=webgpu';
/** How long a call waits for the device thread before calling it dead (a crashed thread never answers). */
const ANSWER_MS = 120_000;
/** Requests posted and not yet handled before the caller waits for the device thread to catch up. */
const IN_FLIGHT = 1024;
/** The reductions' small results: slots of RESULT_WORDS words in one block, read back together. */
const RESULT_WORDS = 8;
const RESULT_SLOTS = 64;
/** 31^−64 mod 2³² (31 is odd, so invertible): the fingerprint shader's step from one power of 31 to the next in an invocation's lane. */
const INV_31_POW_64 = ((): number => {
  const m = 1n << 32n;
  let inv = 1n;
  // Newton's iteration for the inverse mod 2^k doubles the correct bits each time.
  for (let k = 0; k < 5; k++) inv = (inv * (2n - 31n * inv)) % m;
  let r = 1n;
  for (let k = 0; k < 64; k++) r = (r * ((inv + m) % m)) % m;
  return Number(r);
})();
/** Slot buffers an optimizer shader may bind (WebGPU's default of 8 storage buffers per stage, less params, parameter, update, result). */
const MAX_BOUND_SLOTS = 4;

/**
 * The storage arguments each kernel writes (by position), for the host kernels and for device
 * kernels on storage the device cannot take: their storage is brought to the host first, and
 * what they write loses its device copy.
 */
const WRITES: Record<(typeof DEVICE_KERNELS)[number] | (typeof HOST_KERNELS)[number], readonly number[]> = {
  matmul: [2],
  binary: [5],
  unary: [1],
  leakyRelu: [1],
  reduce: [1],
  softmax: [1],
  transpose: [3],
  im2col: [1],
  col2im: [1],
  maxPool2d: [1, 2],
  maxPool2dBackward: [2],
  axpby: [4],
  allFinite: [],
  fingerprint: [],
  addNoise: [0],
  bernoulliSigmoid: [2, 3, 5],
  binaryConcrete: [3, 4],
  optimizerStep: [2, 4],
  avgPool2d: [1],
  avgPool2dBackward: [1],
  quantize: [1],
  matmulRounded: [2],
  sigmoidAffine: [3],
};

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

/**
 * `B` with every kernel call's storage synced around it: host values sent up before, results
 * brought back after. For code that reads and writes raw storage around kernel calls (the kernel
 * conformance suite), and to measure the traffic the backend had before residency (the bench).
 */
export function eager(B: WebGpuBackend): WebGpuBackend {
  const kernels: readonly string[] = [...DEVICE_KERNELS, ...HOST_KERNELS];
  return new Proxy(B, {
    get(target, key) {
      const v = Reflect.get(target, key, target) as unknown;
      if (typeof v !== 'function' || !kernels.includes(key as string)) return v;
      return (...args: unknown[]) => {
        const bufs = args.flat().filter((a): a is Float32Array => a instanceof Float32Array);
        for (const buf of bufs) target.sync(buf, 'write');
        const r = (v as (...a: unknown[]) => unknown).apply(target, args);
        for (const buf of bufs) target.sync(buf, 'read');
        return r;
      };
    },
  });
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
  const ctl = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
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
  const table = new BlockTable();
  const poison = options.poison ?? false;
  const compiled = new Set<string>();
  const counts: Transfers = { dispatches: 0, uploads: 0, uploadBytes: 0, readbacks: 0, readbackBytes: 0, waits: 0 };
  let seq = 0;
  let posted = 0;
  /** The newest SharedArrayBuffer of the heap (covers every block), and the one the device thread has. */
  let memory: ArrayBufferLike | null = null;
  let attached: ArrayBufferLike | null = null;

  /** The error text the device thread posted for request `id` (posted before the id was stored). */
  const errorOf = (id: number): string => {
    for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) {
      const reply = m.message as { id: number; error: string };
      if (reply.id === id) return reply.error;
    }
    return 'failed, and its error message was lost';
  };
  /**
   * Block until control word `word` satisfies `ready`. The device thread counts as dead only
   * after ANSWER_MS without handling a request: a readback may wait for many queued kernels.
   */
  const block = (word: number, ready: (value: number) => boolean, what: string): void => {
    counts.waits++;
    let handled = Atomics.load(ctl, HANDLED);
    let end = performance.now() + ANSWER_MS;
    for (let v = Atomics.load(ctl, word); !ready(v); v = Atomics.load(ctl, word)) {
      const now = performance.now();
      const h = Atomics.load(ctl, HANDLED);
      if (h !== handled) [handled, end] = [h, now + ANSWER_MS];
      if (now >= end) throw new Error(`webgpu ${what}: the device thread did not answer in ${ANSWER_MS / 1000} s`);
      Atomics.wait(ctl, word, v, Math.min(end - now, 1000));
    }
  };
  /** Requests posted and not yet handled (the counts wrap at 2³², as the shared word does). */
  const inFlight = (handled: number): number => (posted - handled) | 0;
  /** Post a request; past IN_FLIGHT unhandled ones, wait until the device thread catches up. */
  const post = (req: DeviceRequest, transfer: ArrayBuffer[] = []): void => {
    port1.postMessage(req, transfer);
    posted = (posted + 1) | 0;
    if (inFlight(Atomics.load(ctl, HANDLED)) > IN_FLIGHT) block(HANDLED, (h) => inFlight(h) <= IN_FLIGHT / 2, req.op);
  };
  const nextId = (): number => (seq = (seq % 0x7fffffff) + 1);
  /** Post a request and block until the device thread has answered it. */
  const ask = (req: DeviceRequest & { id: number }, what: string): void => {
    post(req);
    block(DONE, (id) => id === req.id, what);
    if (Atomics.load(ctl, STATUS) !== 0) throw new Error(`webgpu ${what}: ${errorOf(req.id)}`);
  };

  const upload = (blk: Block): void => {
    const copy = new Uint8Array(blk.bytes);
    copy.set(new Uint8Array(memory!, blk.ptr, blk.bytes));
    post({ op: 'upload', ptr: blk.ptr, size: blk.size, data: copy.buffer }, [copy.buffer]);
    blk.device = true;
    counts.uploads++;
    counts.uploadBytes += blk.bytes;
  };
  /** Bring device-only blocks back to the host, in one round trip. */
  const readBack = (blocks: Block[]): void => {
    if (blocks.length === 0) return;
    if (attached !== memory) post({ op: 'memory', memory: (attached = memory) as SharedArrayBuffer });
    ask({ op: 'read', id: nextId(), blocks: blocks.map(({ ptr, size, bytes }) => ({ ptr, size, bytes })) }, 'readback');
    for (const blk of blocks) {
      blk.host = true;
      counts.readbacks++;
      counts.readbackBytes += blk.bytes;
    }
  };
  const blockOf = (buf: Buf): Block | undefined => (buf instanceof Float32Array && owns(buf) ? table.find(buf) : undefined);
  /** Storage a device kernel can take: a block alloc() handed out, or nothing at all. */
  const tracked = (buf: Buf): boolean => buf.length === 0 || blockOf(buf) !== undefined;

  /** The host accessor (Tensor.data): the value on the host, and for a writer the device copy stale. */
  const sync: HostSync = (buf, mode) => {
    const blk = blockOf(buf);
    if (!blk) return;
    if (!blk.host) readBack([blk]);
    if (mode === 'write') blk.device = false;
  };

  /** A kernel run in WASM: its storage brought to the host first (one round trip), what it writes marked host-only. */
  const onHost = <K extends keyof typeof WRITES>(name: K): Backend[K] => {
    const writes = WRITES[name];
    const kernel = wasm[name] as (...args: unknown[]) => unknown;
    return ((...args: unknown[]) => {
      const stale: Block[] = [];
      const written: Block[] = [];
      args.forEach((arg, i) => {
        for (const buf of Array.isArray(arg) ? (arg as unknown[]) : [arg]) {
          if (!(buf instanceof Float32Array)) continue;
          const blk = blockOf(buf);
          if (!blk) continue;
          if (!blk.host && !stale.includes(blk)) stale.push(blk);
          if (writes.includes(i)) written.push(blk);
        }
      });
      readBack(stale);
      for (const blk of written) blk.device = false;
      return kernel.apply(wasm, args);
    }) as Backend[K];
  };
  const host = Object.fromEntries((Object.keys(WRITES) as (keyof typeof WRITES)[]).map((k) => [k, onHost(k)])) as Pick<
    Backend,
    keyof typeof WRITES
  >;

  /**
   * One dispatch, not waited for (except a shader's first, whose compilation errors name it):
   * inputs whose device copy is stale go up first, outputs become device-only.
   */
  const dispatch = (shader: string, code: () => string, params: number[], bindings: Binding[], groups: [number, number, number]): void => {
    const ranges: BindingRange[] = [];
    const outputs: Block[] = [];
    for (const b of bindings) {
      const blk = blockOf(b.buf);
      if (!blk) {
        ranges.push({ ptr: 0, size: 0, offset: 0, bytes: 0, output: b.output ?? false, inout: false });
        continue;
      }
      // An output that leaves part of its block unwritten needs the rest on the device too.
      const whole = b.buf.byteOffset === blk.ptr && b.buf.byteLength === blk.bytes;
      if (!blk.device && (b.input || !whole)) upload(blk);
      const output = b.output ?? false;
      ranges.push({
        ptr: blk.ptr,
        size: blk.size,
        offset: b.buf.byteOffset - blk.ptr,
        bytes: b.buf.byteLength,
        output,
        inout: output && (b.input ?? false),
      });
      if (b.output) outputs.push(blk);
    }
    const first = !compiled.has(shader);
    const req = {
      op: 'dispatch' as const,
      id: first ? nextId() : 0,
      shader,
      code: first ? code() : undefined,
      params: new Uint32Array(params),
      bindings: ranges,
      groups,
    };
    counts.dispatches++;
    if (first) {
      ask(req, `kernel ${shader}`);
      compiled.add(shader);
    } else post(req);
    for (const blk of outputs) {
      blk.device = true;
      blk.host = false;
      if (poison) new Float32Array(memory!, blk.ptr, blk.bytes / 4).fill(NaN);
    }
  };
  const nanInf = [0x7fc00000, 0x7f800000];
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
  /** The binding of an absent optional buffer (the device thread binds a scratch word; the shader is told not to touch it). */
  const none = new Float32Array(0);
  const pad = (xs: readonly number[], fill: number): number[] => [...new Array<number>(MAX_RANK - xs.length).fill(fill), ...xs];
  /** v as f32 hi + lo, so that a shader's product with it rounds as the f64 one does. */
  const split = (v: number): number[] => {
    const hi = Math.fround(v);
    return [f32Bits(hi), f32Bits(v - hi)];
  };

  // The reductions' results: a slot of the results block per call, written on the device and
  // read back when the host needs a value. Fingerprints are lazy (read on first use), so that
  // the runner's fingerprints of every parameter come back in one round trip.
  let results: Float32Array | null = null;
  let resultsBlock: Block | null = null;
  let nextSlot = 0;
  /** Decoders of lazy results not yet read, run once their slots are back on the host. */
  const pending: (() => void)[] = [];
  const settle = (): void => {
    if (!resultsBlock!.host) readBack([resultsBlock!]);
    for (const decode of pending.splice(0)) decode();
    // Every slot is read now: the next batch starts from the first, so up to RESULT_SLOTS lazy results come back in one readback.
    nextSlot = 0;
  };
  /** A fresh result slot; the ring wraps only after every lazy result in it has been read. */
  const resultSlot = (): Float32Array => {
    if (!results) {
      results = wasm.alloc(RESULT_WORDS * RESULT_SLOTS, true) as Float32Array;
      if (!memory || results.buffer.byteLength > memory.byteLength) memory = results.buffer;
      table.allocated(results);
      resultsBlock = table.find(results)!;
    }
    if (nextSlot === RESULT_SLOTS) {
      if (pending.length) settle();
      nextSlot = 0;
    }
    const k = nextSlot++;
    return results.subarray(k * RESULT_WORDS, (k + 1) * RESULT_WORDS);
  };
  /** A slot's words as they came back (its view rebuilt: the memory may have grown since). */
  const resultWords = (slot: Float32Array): { f: Float32Array; u: Uint32Array } => ({
    f: new Float32Array(memory!, slot.byteOffset, RESULT_WORDS),
    u: new Uint32Array(memory!, slot.byteOffset, RESULT_WORDS),
  });
  /** One workgroup reducing `count` elements into `slot`. */
  const reduction = (shader: string, code: () => string, count: number, extra: number[], bindings: Binding[], slot: Float32Array): void =>
    dispatch(shader, code, [count, ...nanInf, ...extra], [...bindings, { buf: slot, output: true }], [1, 1, 1]);

  /** The device form of an optimizer program's first `upto` stages: its shader's layout and the slots it binds. */
  const optimizerLayout = (program: Float64Array, upto: number, store: boolean) => {
    const ops: number[] = [];
    const slotA: number[] = [];
    const slotB: number[] = [];
    const bound: number[] = [];
    const bind = (k: number): number => {
      if (k < 0) return -1;
      if (!bound.includes(k)) bound.push(k);
      return bound.indexOf(k);
    };
    for (let s = 0; s < upto; s++) {
      const o = s * STAGE_WORDS;
      const op = program[o];
      ops.push(op);
      const uses = op === STAGE.momentum ? 1 : op === STAGE.adam ? 2 : 0;
      slotA.push(uses >= 1 ? bind(program[o + 1]) : -1);
      slotB.push(uses >= 2 ? bind(program[o + 2]) : -1);
    }
    const reduce: OptimizerLayout['reduce'] = !store ? 'squares' : ops.includes(STAGE.clipValue) ? 'flags' : null;
    const layout: OptimizerLayout = {
      ops,
      slotA,
      slotB,
      slots: bound.length,
      param: store || ops.includes(STAGE.addDecayed),
      store,
      reduce,
    };
    return { layout, bound };
  };

  const device: Partial<Backend> = {
    axpby(a, scale, b, bScale, out) {
      const n = out.length;
      if (!(tracked(a) && tracked(b) && tracked(out)) || a.length < n || b.length < n) return host.axpby(a, scale, b, bScale, out);
      elementwise(
        'axpby',
        axpbyShader,
        n,
        [...split(scale), ...split(bScale)],
        [
          { buf: a.subarray(0, n), input: true },
          { buf: b.subarray(0, n), input: true },
          { buf: out, output: true },
        ],
      );
    },
    allFinite(a) {
      // One reduction per buffer into its own slot, and one readback for them all.
      let ok = true;
      let asked = 0;
      const flags: number[] = [];
      for (const buf of ArrayBuffer.isView(a) ? [a] : a) {
        if (!tracked(buf)) ok = host.allFinite(buf) && ok;
        if (!tracked(buf) || buf.length === 0) continue;
        const slot = resultSlot();
        reduction('allFinite', allFiniteShader, buf.length, [], [{ buf, input: true }], slot);
        pending.push(() => flags.push(resultWords(slot).u[0]));
        asked++;
      }
      if (asked) settle();
      return ok && flags.every((f) => f === 0);
    },
    // The runner compares a backend's fingerprints only with its own (param-guard.ts: before and
    // after a step, on one backend), so the device's need not equal the CPU's, only be
    // deterministic and see a change. Its bit hash does equal the reference's; Σ|x| and Σx² are
    // exact f32 terms summed as hi + lo pairs in another order, so they agree to about 2⁻⁴⁴.
    fingerprint(a) {
      if (!tracked(a) || a.length === 0) return host.fingerprint(a);
      const slot = resultSlot();
      reduction('fingerprint', fingerprintShader, a.length, [INV_31_POW_64], [{ buf: a, input: true }], slot);
      let value: Fingerprint | null = null;
      pending.push(() => {
        const { f, u } = resultWords(slot);
        value = { bits: u[0] | 0, abs: f[1] + f[2], squares: f[3] + f[4] };
      });
      const get = (): Fingerprint => {
        if (!value) settle();
        return value!;
      };
      return {
        get bits() {
          return get().bits;
        },
        get abs() {
          return get().abs;
        },
        get squares() {
          return get().squares;
        },
      };
    },
    optimizerStep(program, stages, param, update, slots, mode) {
      const n = update.length;
      const upto = mode < 0 ? stages : mode;
      const { layout, bound } = optimizerLayout(program, Math.min(upto, MAX_STAGES), mode < 0);
      if (
        !(tracked(param) && tracked(update) && slots.every(tracked)) ||
        stages > MAX_STAGES ||
        upto > stages ||
        bound.length > MAX_BOUND_SLOTS ||
        param.length < n ||
        slots.some((sl) => sl.length < n)
      )
        return host.optimizerStep(program, stages, param, update, slots, mode);
      if (n === 0) return 0;
      const store = mode < 0;
      const values: number[] = [];
      for (let s = 0; s < upto; s++) for (let j = 0; j < 7; j++) values.push(f32Bits(program[s * STAGE_WORDS + 3 + j]));
      const bindings: Binding[] = [
        ...(layout.param ? [{ buf: param.subarray(0, n), input: true, output: store }] : []),
        { buf: update, input: true },
        ...bound.map((k) => ({ buf: slots[k].subarray(0, n), input: true, output: store })),
      ];
      const shader = `optimizer-${JSON.stringify(layout)}`;
      const code = (): string => optimizerShader(layout);
      if (!layout.reduce) {
        elementwise(shader, code, n, values, bindings);
        return 0;
      }
      const slot = resultSlot();
      reduction(shader, code, n, values, bindings, slot);
      settle();
      const { f, u } = resultWords(slot);
      return layout.reduce === 'flags' ? u[0] : f[0] + f[1];
    },
    matmul(a, b, out, m, n, k, transA, transB) {
      if (!(tracked(a) && tracked(b) && tracked(out)) || m * n === 0) return host.matmul(a, b, out, m, n, k, transA, transB);
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
      if (!(tracked(a) && tracked(b) && tracked(out)) || outShape.length > MAX_RANK)
        return host.binary(op, a, aShape, b, bShape, out, outShape);
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
      if (!(tracked(a) && tracked(out))) return host.unary(op, a, out);
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
      if (!(tracked(a) && tracked(out))) return host.leakyRelu(a, out, alpha, grad);
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
      if (!(tracked(a) && tracked(out))) return host.reduce(op, a, out, outer, axisLen, inner);
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
      if (!(tracked(a) && tracked(out))) return host.softmax(a, out, rows, cols, log);
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
      if (!(tracked(a) && tracked(out)) || shape.length > MAX_RANK) return host.transpose(a, shape, perm, out);
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
      if (!(tracked(x) && tracked(cols))) return host.im2col(x, cols, g);
      const count = g.c * g.kh * g.kw * g.n * g.oh * g.ow;
      elementwise('im2col', im2colShader, count, geometry(g), [
        { buf: x, input: true },
        { buf: cols.subarray(0, count), output: true },
      ]);
    },
    col2im(cols, dx, g) {
      if (!(tracked(cols) && tracked(dx))) return host.col2im(cols, dx, g);
      const count = g.n * g.c * g.h * g.w;
      elementwise('col2im', col2imShader, count, geometry(g), [
        { buf: cols, input: true },
        { buf: dx.subarray(0, count), output: true },
      ]);
    },
    maxPool2d(x, out, argmax, g) {
      if (!(tracked(x) && tracked(out) && tracked(argmax))) return host.maxPool2d(x, out, argmax, g);
      const count = g.n * g.c * g.oh * g.ow;
      elementwise('maxPool2d', maxPoolShader, count, geometry(g), [
        { buf: x, input: true },
        { buf: out.subarray(0, count), output: true },
        { buf: argmax.subarray(0, count), output: true },
      ]);
    },
    maxPool2dBackward(gOut, argmax, dx, g) {
      if (!(tracked(gOut) && tracked(argmax) && tracked(dx))) return host.maxPool2dBackward(gOut, argmax, dx, g);
      const count = g.n * g.c * g.h * g.w;
      elementwise('maxPool2dBackward', maxPoolBackwardShader, count, geometry(g), [
        { buf: gOut, input: true },
        { buf: argmax, input: true },
        { buf: dx.subarray(0, count), output: true },
      ]);
    },
    avgPool2d(x, out, g) {
      if (!(tracked(x) && tracked(out))) return host.avgPool2d(x, out, g);
      const count = g.n * g.c * g.oh * g.ow;
      elementwise('avgPool2d', avgPoolShader, count, geometry(g), [
        { buf: x, input: true },
        { buf: out.subarray(0, count), output: true },
      ]);
    },
    avgPool2dBackward(gOut, dx, g) {
      if (!(tracked(gOut) && tracked(dx))) return host.avgPool2dBackward(gOut, dx, g);
      const count = g.n * g.c * g.h * g.w;
      elementwise('avgPool2dBackward', avgPoolBackwardShader, count, geometry(g), [
        { buf: gOut, input: true },
        { buf: dx.subarray(0, count), output: true },
      ]);
    },
    addNoise(out, scale, key, offset, kind, elementScale) {
      const n = out.length;
      // Full-width (f64) buffers (WideNoise) stay in WASM, as do ranges past the stream's 2³² draws.
      const device = out instanceof Float32Array && tracked(out) && (!elementScale || tracked(elementScale)) && offset + n <= 2 ** 32;
      if (!device) return host.addNoise(out, scale, key, offset, kind, elementScale);
      elementwise(
        `addNoise-${kind}`,
        () => addNoiseShader(kind),
        n,
        [key[0], key[1], offset, f32Bits(scale), elementScale ? 1 : 0],
        [
          { buf: elementScale ? elementScale.subarray(0, n) : none, input: true },
          { buf: out, input: true, output: true },
        ],
      );
    },
    bernoulliSigmoid(a, key, h, aux, kind, logProb) {
      const n = a.length;
      if (!(tracked(a) && tracked(h) && (!aux || tracked(aux)) && (!logProb || tracked(logProb))))
        return host.bernoulliSigmoid(a, key, h, aux, kind, logProb);
      // The reference writes the score into aux unless told 'slope'.
      const auxKind = aux ? (kind === 'slope' ? 1 : 2) : 0;
      elementwise(
        'bernoulliSigmoid',
        bernoulliSigmoidShader,
        n,
        [key[0], key[1], auxKind, logProb ? 1 : 0],
        [
          { buf: a, input: true },
          { buf: h.subarray(0, n), output: true },
          { buf: auxKind ? aux!.subarray(0, n) : none, output: true },
          { buf: logProb ? logProb.subarray(0, n) : none, output: true },
        ],
      );
    },
    binaryConcrete(a, key, temperature, y, slope) {
      if (!(tracked(a) && tracked(y) && tracked(slope))) return host.binaryConcrete(a, key, temperature, y, slope);
      const n = a.length;
      elementwise(
        'binaryConcrete',
        binaryConcreteShader,
        n,
        [key[0], key[1], f32Bits(temperature)],
        [
          { buf: a, input: true },
          { buf: y.subarray(0, n), output: true },
          { buf: slope.subarray(0, n), output: true },
        ],
      );
    },
  };

  return {
    ...wasm,
    ...host,
    ...device,
    name: 'webgpu',
    alloc(n: number, zero?: boolean) {
      const view = wasm.alloc(n, zero);
      if (n > 0 && owns(view)) {
        if (!memory || view.buffer.byteLength > memory.byteLength) memory = view.buffer;
        table.allocated(view as Float32Array);
      }
      return view;
    },
    sync,
    transfers: () => ({ ...counts }),
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
