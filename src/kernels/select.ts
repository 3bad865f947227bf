// Chooses the kernel backend from RULEBENCH_BACKEND: 'wasm' (default), 'native' (the optional
// OpenBLAS addon, see ./native) or 'reference' (the plain TypeScript oracle); and how many
// threads a kernel call may use (RULEBENCH_THREADS or the caller's choice; default 1).
import { SpecError } from '../errors.ts';
import { backend, setBackend } from './index.ts';
import { referenceBackend } from './reference.ts';

export type BackendName = 'wasm' | 'native' | 'reference';
export const BACKEND_NAMES: readonly BackendName[] = ['wasm', 'native', 'reference'];

function threadsFrom(v: string | undefined): number {
  if (v === undefined || v === '') return 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new SpecError(`RULEBENCH_THREADS: expected a positive integer, got "${v}"`);
  return n;
}

/**
 * Install the backend named by RULEBENCH_BACKEND (or the default) with `threads` kernel threads;
 * returns its name. Threads never change results (partitioned kernels are bit-identical for any
 * thread count); the reference backend ignores them.
 */
export async function useBackendFromEnv(
  env: string | undefined = process.env.RULEBENCH_BACKEND,
  threads: number = threadsFrom(process.env.RULEBENCH_THREADS),
): Promise<BackendName> {
  const want = env ?? 'wasm';
  if (!(BACKEND_NAMES as readonly string[]).includes(want)) {
    throw new SpecError(`RULEBENCH_BACKEND: unknown backend "${want}"; accepted: ${BACKEND_NAMES.join(', ')}`);
  }
  if (want === 'reference') {
    setBackend(referenceBackend);
    return 'reference';
  }
  if (want === 'native') {
    const { loadNativeBackend } = await import('./native/index.ts');
    setBackend(loadNativeBackend());
  } else {
    const { loadWasmBackend } = await import('./wasm/index.ts');
    setBackend(loadWasmBackend());
  }
  setKernelThreads(threads);
  return want as BackendName;
}

/** Let the active backend use n threads per kernel call (a no-op for backends without threads). */
export function setKernelThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new SpecError(`--threads: expected a positive integer, got ${n}`);
  const b = backend() as { setThreads?: (n: number) => void };
  b.setThreads?.(n);
}
