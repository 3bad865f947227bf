// Types of kernel-loop.mjs (plain JavaScript, so a Node worker runs it without a loader).
import type { KernelThreadData } from './thread-pool.ts';

export declare function runKernelThread(
  data: KernelThreadData,
  report: (m: { kind: 'error'; part: number; message: string }) => void,
): void;
