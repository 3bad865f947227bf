// 'rulebench/kernels': the kernel backends and how one is chosen, for benchmarks, backend
// authors and tools. Rules and experiments need none of it (the CLI picks the backend).

// The kernel interface every backend implements (and passes the kernel conformance suite for)
export type { Backend, Buf, UnaryOp, BinaryOp, ReduceOp, WindowGeometry, RoundingTarget, RoundingCounts } from './kernels/backend.ts';

// The backends: the plain TypeScript oracle, WASM SIMD (the default), OpenBLAS (optional addon)
export { referenceBackend } from './kernels/reference.ts';
export { loadWasmBackend, type WasmBackend, type WasmOptions } from './kernels/wasm/index.ts';
export { loadNativeBackend, type NativeBackend } from './kernels/native/index.ts';

// Choosing one: by name from RULEBENCH_BACKEND / RULEBENCH_THREADS, or directly; a program's
// entry point installs its process's backend, anything else uses one for a while (scoped)
export { backendFromEnv, useBackendFromEnv, threadsFrom, BACKEND_NAMES, type BackendName } from './kernels/select.ts';
export { backend, installBackend, withBackend, withThreads, kernelThreads, withFloat64 } from './kernels/index.ts';

// Kernel calls on tensors without the tape (no gradient flows through them)
export { kUnary, kBinary } from './autograd/ops.ts';
