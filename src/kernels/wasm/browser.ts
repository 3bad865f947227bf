// The WASM SIMD backend in a browser (the playground's worker): the kernels fetched from `base`
// (where the build put them beside the bundle) — the relaxed-SIMD build when the browser has
// relaxed SIMD — on the calling thread only (kernel threads are Node's worker_threads for now).
import { instantiateWasmBackend, RELAXED_PROBE, wasmFileName, type WasmBackend, type WasmOptions } from './instance.ts';
import { WebAssemblyApi } from './webassembly.ts';

/** Fetch and instantiate the kernels; a missing file or a failed fetch throws naming the URL. */
export async function fetchWasmBackend(base: string | URL, options: WasmOptions = {}): Promise<WasmBackend> {
  const relaxed = options.relaxed ?? WebAssemblyApi.validate(RELAXED_PROBE);
  const url = new URL(wasmFileName(relaxed), base);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`WASM kernels: ${url} answered ${res.status}`);
  const module = new WebAssemblyApi.Module(new Uint8Array(await res.arrayBuffer()));
  return instantiateWasmBackend(module, relaxed, options, { warn: (message) => console.warn(message) });
}
