// Backend selection, scoped: the kernels run on the engine's backend slot (the reference one
// until a program's entry point installs another), inside withFloat64 (gradient checks) on the
// reference backend in float64, and partitioned kernels use the engine's thread count.
import { install, scoped, slot } from '../engine.ts';
import type { Backend, Buf, HostSync } from './backend.ts';
import { referenceBackend } from './reference.ts';

const BACKEND = slot<Backend>('backend', referenceBackend);
const FLOAT64 = slot('float64', false);
const THREADS = slot('threads', 1);

/**
 * The backend of this process and its kernel threads, for program entry points (the CLI, a
 * worker, a test setup file, a benchmark's main): the values every scope starts from. Code that
 * wants another backend or thread count for a while uses withBackend / withThreads.
 */
export function installBackend(b: Backend, threads = 1): void {
  checkThreads(threads);
  install(BACKEND, b);
  install(THREADS, threads);
}

function checkThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`threads: expected a positive integer, got ${n}`);
}

/** Run fn with kernels on `b`. */
export function withBackend<T>(b: Backend, fn: () => T): T {
  return scoped(BACKEND, b, fn);
}

/** The backend kernels run on now (the reference one while computing in float64). */
export function backend(): Backend {
  return FLOAT64.get() ? referenceBackend : BACKEND.get();
}

export function isFloat64(): boolean {
  return FLOAT64.get();
}

/** Threads a partitioned kernel call may use now (results never depend on it). */
export function kernelThreads(): number {
  return THREADS.get();
}

/** Run fn with partitioned kernels split over n threads (a no-op for backends without threads). */
export function withThreads<T>(n: number, fn: () => T): T {
  checkThreads(n);
  return scoped(THREADS, n, fn);
}

/** Fresh storage for n elements in the current precision: zeroed unless `zero` is false. */
export function allocStorage(n: number, zero = true): Buf {
  return FLOAT64.get() ? new Float64Array(n) : backend().alloc(n, zero);
}

/** Return storage to the backend that allocated it (a no-op for plain typed arrays). */
export function freeStorage(buf: Buf): void {
  if (buf instanceof Float32Array) BACKEND.get().free?.(buf);
}

/** Run fn with every new tensor stored in float64 (for finite-difference checks). */
export function withFloat64<T>(fn: () => T): T {
  return scoped(FLOAT64, true, fn);
}

export type { Backend, Buf, HostSync };
