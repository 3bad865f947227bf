// ../../wasm/index.ts as the WebGPU backend uses it (createWasmBackend), for a browser bundle:
// Node's reads the kernels from disk, while a page fetches them first (../../wasm/browser.ts)
// and hands that backend to the WebGPU one in its options (./index.ts).
import type { WasmBackend, WasmOptions } from '../../wasm/instance.ts';

export type { WasmBackend, WasmOptions };

export function createWasmBackend(options: WasmOptions & { wasm?: WasmBackend }): WasmBackend {
  if (!options.wasm) throw new Error('webgpu in a browser: the WASM backend must be fetched first and passed as options.wasm');
  return options.wasm;
}
