// The WebGPU backend in a browser (docs/webgpu.md): the trial worker keeps the WASM backend's
// storage and blocks in Atomics.wait while a second worker owns the GPUDevice from navigator.gpu,
// exactly as in Node, where the second is a worker_thread with Dawn. It is the same backend
// (../index.ts) and the same device thread (../device-worker.mjs): a browser build bundles them
// with ./caller-threads.ts, ./device-threads.ts and ./wasm.ts in place of Node's modules, and
// serves ./navigator-gpu.ts beside them (scripts/build-playground.ts does).
import type { WasmBackend } from '../../wasm/instance.ts';
import { createWebGpuBackend, type WebGpuBackend, type WebGpuOptions } from '../index.ts';

/** The backend, or why there is none here (for the page to say). */
export type WebGpuStart = { backend: WebGpuBackend; note: null } | { backend: null; note: string };

/**
 * The WebGPU backend on `wasm`'s storage when this worker's navigator.gpu gives an adapter;
 * else the reason, in words. `base` is where the build put device-worker.mjs and navigator-gpu.js.
 * The caller must be a worker of a cross-origin isolated page (shared memory and Atomics.wait).
 */
export async function startWebGpu(wasm: WasmBackend, base: URL): Promise<WebGpuStart> {
  const gpu = (globalThis as unknown as { navigator: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator.gpu;
  if (!gpu) return { backend: null, note: 'this browser has no navigator.gpu' };
  if (!(await gpu.requestAdapter())) return { backend: null, note: 'navigator.gpu found no adapter (no usable GPU)' };
  try {
    // ./wasm.ts hands `wasm` to the backend as its storage; the device thread imports navigator-gpu.js for its GPU.
    const options = { specifier: new URL('navigator-gpu.js', base).href, wasm } as WebGpuOptions;
    return { backend: await createWebGpuBackend(options), note: null };
  } catch (e) {
    return { backend: null, note: `it did not start: ${String((e as Error).message ?? e)}` };
  }
}
