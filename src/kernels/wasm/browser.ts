// The WASM SIMD backend in a browser (the playground's worker): the kernels fetched from `base`
// (where the build put them beside the bundle) — the relaxed-SIMD build when the browser has
// relaxed SIMD. Given `threads`, the URL of a module worker that runs kernel-loop.mjs on the
// data it is posted (the playground's kernel-thread.js), partitioned kernels are split over such
// workers as Node splits them over worker_threads; without it, every kernel runs on the calling
// thread. The caller must be a worker: a thread waits for its kernel threads in Atomics.wait.
import { instantiateWasmBackend, RELAXED_PROBE, wasmFileName, type WasmBackend, type WasmOptions } from './instance.ts';
import { KernelThreads, type SpawnKernelThread } from './thread-pool.ts';
import { WebAssemblyApi } from './webassembly.ts';

/** The little of a browser's Worker used here (this module is typed without the DOM's types). */
interface BrowserWorker {
  onmessage: ((e: { data: { kind: string; message: string } }) => void) | null;
  postMessage(data: unknown): void;
  terminate(): void;
}
type WorkerConstructor = new (url: URL, options: { type: 'module' }) => BrowserWorker;

/** A kernel thread as a module Worker, handed its data in its first message. */
const spawnIn =
  (url: URL): SpawnKernelThread =>
  (data, onError) => {
    const w = new (globalThis as unknown as { Worker: WorkerConstructor }).Worker(url, { type: 'module' });
    w.onmessage = (e) => {
      if (e.data.kind === 'error') onError(e.data.message);
    };
    w.postMessage(data);
    return { terminate: () => w.terminate() };
  };

/** Fetch and instantiate the kernels; a missing file or a failed fetch throws naming the URL. */
export async function fetchWasmBackend(base: string | URL, options: WasmOptions & { threads?: URL } = {}): Promise<WasmBackend> {
  const relaxed = options.relaxed ?? WebAssemblyApi.validate(RELAXED_PROBE);
  const url = new URL(wasmFileName(relaxed), base);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`WASM kernels: ${url} answered ${res.status}`);
  const module = new WebAssemblyApi.Module(new Uint8Array(await res.arrayBuffer()));
  const threads = options.threads;
  return instantiateWasmBackend(module, relaxed, options, {
    warn: (message) => console.warn(message),
    ...(threads ? { startThreads: (setup) => new KernelThreads(setup, spawnIn(threads)) } : {}),
  });
}
