// Chooses the kernel backend from RULEBENCH_BACKEND: 'wasm' (default when it loads) or
// 'reference' (the plain TypeScript oracle).
import { SpecError } from '../errors.ts';
import { setBackend } from './index.ts';
import { referenceBackend } from './reference.ts';

export type BackendName = 'wasm' | 'reference';

/** Install the backend named by RULEBENCH_BACKEND (or the default); returns its name. */
export async function useBackendFromEnv(env: string | undefined = process.env.RULEBENCH_BACKEND): Promise<BackendName> {
  const want = env ?? 'wasm';
  if (want !== 'wasm' && want !== 'reference') {
    throw new SpecError(`RULEBENCH_BACKEND: unknown backend "${want}"; accepted: wasm, reference`);
  }
  if (want === 'reference') {
    setBackend(referenceBackend);
    return 'reference';
  }
  const { loadWasmBackend } = await import('./wasm/index.ts');
  setBackend(loadWasmBackend());
  return 'wasm';
}
