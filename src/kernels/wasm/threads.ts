// Kernel threads: worker_threads that instantiate the same kernels module on the same shared
// WASM memory, so one kernel call can be split among them. A partitioned kernel takes
// (…, part, parts) as its last two arguments and computes a fixed share of its output; the
// caller runs part 0 itself and waits for the rest. Shares never change how an element is
// computed, so results do not depend on the thread count.
//
// Hand-off: a shared control block (sequence number, job, pending count) with Atomics. Workers
// spin briefly after a job, since the next one usually follows within microseconds in a
// training step, then sleep in Atomics.wait; the caller spins while waiting for the others.
import { Worker } from 'node:worker_threads';

/** Kernels that can be split; a job names one by its index here (kernel-worker.mjs reads it). */
export const PARTITIONED = ['matmul', 'im2col', 'col2im'] as const;
export type Partitioned = (typeof PARTITIONED)[number];

// Control block layout (Int32 slots) and the argument block (f64, pointers and sizes).
const SEQ = 0, JOB = 1, PARTS = 2, PENDING = 3, FAILED = 4;
const MAX_ARGS = 16;
const STOP = -1;
const SPIN = 1 << 14;

export interface ThreadsSetup {
  module: object;
  memory: object;
  /** Scratch pointer for each worker (threads − 1 of them), allocated by the caller. */
  scratch: number[];
}

export class KernelThreads {
  readonly threads: number;
  private readonly ctl = new Int32Array(new SharedArrayBuffer(16 * 4));
  private readonly args = new Float64Array(new SharedArrayBuffer(MAX_ARGS * 8));
  private readonly workers: Worker[] = [];
  private readonly errors = new Map<number, string>();

  constructor(setup: ThreadsSetup) {
    this.threads = setup.scratch.length + 1;
    const url = new URL('./kernel-worker.mjs', import.meta.url);
    setup.scratch.forEach((scratch, i) => {
      const w = new Worker(url, {
        workerData: {
          module: setup.module, memory: setup.memory, ctl: this.ctl.buffer, args: this.args.buffer, part: i + 1, scratch,
          names: PARTITIONED, spin: SPIN,
        },
      });
      w.on('message', (m: { kind: string; part: number; message: string }) => {
        if (m.kind === 'error') this.errors.set(m.part, m.message);
      });
      // Idle kernel threads must not keep the process alive.
      w.unref();
      this.workers.push(w);
    });
  }

  /**
   * Run `kernel` split into `threads` parts: workers take parts 1…, `local(part, parts)` runs part
   * 0 here. Returns when every part is done.
   */
  run(kernel: Partitioned, args: readonly number[], local: (part: number, parts: number) => void): void {
    const ctl = this.ctl;
    const parts = this.threads;
    this.args.set(args);
    ctl[JOB] = PARTITIONED.indexOf(kernel);
    ctl[PARTS] = parts;
    Atomics.store(ctl, PENDING, parts - 1);
    Atomics.add(ctl, SEQ, 1);
    Atomics.notify(ctl, SEQ);
    local(0, parts);
    for (let spins = 0; Atomics.load(ctl, PENDING) > 0; spins++) {
      if (spins > SPIN) {
        const left = Atomics.load(ctl, PENDING);
        if (left > 0) Atomics.wait(ctl, PENDING, left);
      }
    }
    const failed = Atomics.load(ctl, FAILED);
    if (failed > 0) {
      throw new Error(`WASM kernel thread ${failed} failed (${kernel}); its message, if it arrived: ${this.errors.get(failed) ?? 'none yet'}`);
    }
  }

  /** Stop the workers (they exit after finishing nothing further). */
  terminate(): void {
    this.ctl[JOB] = STOP;
    Atomics.add(this.ctl, SEQ, 1);
    Atomics.notify(this.ctl, SEQ);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
