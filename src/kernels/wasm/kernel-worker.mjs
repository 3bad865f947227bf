// A kernel thread in Node (see thread-pool.ts): the shared loop of kernel-loop.mjs on this
// worker's data. Plain JavaScript so a worker starts without a TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import { runKernelThread } from './kernel-loop.mjs';

runKernelThread(workerData, (m) => parentPort?.postMessage(m));
