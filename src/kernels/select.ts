// Chooses the kernel backend from RULEBENCH_BACKEND: 'wasm' (default), 'native' (the optional
// OpenBLAS addon, see ./native), 'webgpu' (Dawn through the optional `webgpu` package, see
// ./webgpu) or 'reference' (the plain TypeScript oracle); and the kernel thread count from
// RULEBENCH_THREADS (default 1).
import { SpecError } from '../errors.ts';
import type { Backend } from './backend.ts';
import { installBackend } from './index.ts';
import { referenceBackend } from './reference.ts';

export type BackendName = 'wasm' | 'native' | 'webgpu' | 'reference';
export const BACKEND_NAMES: readonly BackendName[] = ['wasm', 'native', 'webgpu', 'reference'];

/** RULEBENCH_THREADS (or `v`) as a thread count; 1 when unset. */
export function threadsFrom(v: string | undefined = process.env.RULEBENCH_THREADS): number {
  if (v === undefined || v === '') return 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new SpecError(`RULEBENCH_THREADS: expected a positive integer, got "${v}"`);
  return n;
}

/**
 * The backend RULEBENCH_BACKEND names (or the default), loaded. Install it at a program's entry
 * point (installBackend) or use it for a while (withBackend). Threads never change results
 * (partitioned kernels are bit-identical for any thread count); the reference backend has none.
 */
export async function backendFromEnv(
  env: string | undefined = process.env.RULEBENCH_BACKEND,
): Promise<{ name: BackendName; backend: Backend }> {
  const want = env ?? 'wasm';
  if (!(BACKEND_NAMES as readonly string[]).includes(want)) {
    throw new SpecError(`RULEBENCH_BACKEND: unknown backend "${want}"; accepted: ${BACKEND_NAMES.join(', ')}`);
  }
  if (want === 'reference') return { name: 'reference', backend: referenceBackend };
  if (want === 'native') {
    const { loadNativeBackend } = await import('./native/index.ts');
    return { name: 'native', backend: loadNativeBackend() };
  }
  if (want === 'webgpu') {
    const { loadWebGpuBackend } = await import('./webgpu/index.ts');
    return { name: 'webgpu', backend: await loadWebGpuBackend() };
  }
  const { loadWasmBackend } = await import('./wasm/index.ts');
  return { name: 'wasm', backend: loadWasmBackend() };
}

/**
 * For a program's entry point: install the backend RULEBENCH_BACKEND names with `threads` kernel
 * threads (RULEBENCH_THREADS, default 1) as this process's own; returns its name.
 */
export async function useBackendFromEnv(
  env: string | undefined = process.env.RULEBENCH_BACKEND,
  threads: number = threadsFrom(),
): Promise<BackendName> {
  const { name, backend } = await backendFromEnv(env);
  installBackend(backend, threads);
  return name;
}
