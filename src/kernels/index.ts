// Backend selection: the reference backend by default; a faster one can be installed with
// setBackend. Inside withFloat64 (gradient checks) the reference backend computes in float64.
import type { Backend, Buf } from './backend.ts';
import { referenceBackend } from './reference.ts';

let active: Backend = referenceBackend;
let float64Depth = 0;

export function setBackend(backend: Backend): void {
  active = backend;
}

/** The backend kernels run on now (the reference one while computing in float64). */
export function backend(): Backend {
  return float64Depth > 0 ? referenceBackend : active;
}

export function isFloat64(): boolean {
  return float64Depth > 0;
}

/** Fresh storage for n elements in the current precision: zeroed unless `zero` is false. */
export function allocStorage(n: number, zero = true): Buf {
  return float64Depth > 0 ? new Float64Array(n) : active.alloc(n, zero);
}

/** Return storage to the backend that allocated it (a no-op for plain typed arrays). */
export function freeStorage(buf: Buf): void {
  if (buf instanceof Float32Array) active.free?.(buf);
}

/** Run fn with every new tensor stored in float64 (for finite-difference checks). */
export function withFloat64<T>(fn: () => T): T {
  float64Depth++;
  try {
    return fn();
  } finally {
    float64Depth--;
  }
}

export type { Backend, Buf };
