// 'rulebench/kernels-browser': the kernels in a browser (the playground's worker) — the WASM
// backend fetched from beside the bundle, the reference one, and how a program installs one.
// Node's loader, threads and backend choice by environment are 'rulebench/kernels'.
export type { Backend } from './kernels/backend.ts';
export { referenceBackend } from './kernels/reference.ts';
export { fetchWasmBackend } from './kernels/wasm/browser.ts';
export { wasmFileName, type WasmBackend, type WasmOptions } from './kernels/wasm/instance.ts';
export { installBackend, withThreads, kernelThreads } from './kernels/index.ts';
