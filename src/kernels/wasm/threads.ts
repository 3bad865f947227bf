// Kernel threads in Node: worker_threads running kernel-worker.mjs, for the pool of ./thread-pool.ts.
import { Worker } from 'node:worker_threads';
import { KernelThreads, type SpawnKernelThread, type ThreadsSetup } from './thread-pool.ts';

const spawnNode: SpawnKernelThread = (data, onError) => {
  const w = new Worker(new URL('./kernel-worker.mjs', import.meta.url), { workerData: data });
  w.on('message', (m: { kind: string; message: string }) => {
    if (m.kind === 'error') onError(m.message);
  });
  // Idle kernel threads must not keep the process alive.
  w.unref();
  return { terminate: () => void w.terminate() };
};

/** Kernel threads on worker_threads. */
export const startNodeThreads = (setup: ThreadsSetup): KernelThreads => new KernelThreads(setup, spawnNode);
