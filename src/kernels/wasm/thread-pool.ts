// Kernel threads: workers (Node's worker_threads, ./threads.ts; a browser's Workers,
// ./browser.ts) that instantiate the same kernels module on the same shared WASM memory, so one kernel call can be split among them. A partitioned kernel takes
// (…, part, parts) as its last two arguments and computes a fixed share of its output; shares
// never change how an element is computed, so results do not depend on the thread count.
//
// A call is cut into a fixed number of chunks (2 per thread); the caller and the workers claim
// chunks until none is left. Which thread runs a chunk changes nothing in the output, and on a
// busy machine a descheduled worker costs only the chunk it holds (with a fixed chunk per thread
// the caller would wait for it: measured on the shared 2-core machine, 2 threads then ran
// slower than 1).
//
// Hand-off: a shared control block with Atomics. NEXT packs the job's sequence number with the
// next unclaimed chunk, so a worker that wakes late can never claim a chunk of a newer job with
// an older job's arguments: its compare-and-swap fails once the sequence has moved on, and the
// caller does not move on before every chunk is done. Workers spin briefly after a job (the next
// one usually follows within microseconds in a training step), then sleep in Atomics.wait.

/** What a kernel thread is started with (kernel-loop.mjs reads it). */
export interface KernelThreadData {
  module: object;
  memory: object;
  ctl: SharedArrayBuffer;
  args: SharedArrayBuffer;
  part: number;
  scratch: number;
  names: readonly string[];
  spin: number;
  chunkBits: number;
}

/** A started kernel thread, however the runtime starts one (Node's worker_threads, a browser's Worker). */
export interface KernelThread {
  terminate(): void;
}

/** Start a kernel thread on `data`; `onError(message)` when it reports a failure. */
export type SpawnKernelThread = (data: KernelThreadData, onError: (message: string) => void) => KernelThread;

/** Kernels that can be split; a job names one by its index here (kernel-worker.mjs reads it). */
export const PARTITIONED = ['matmul', 'im2col', 'col2im'] as const;
export type Partitioned = (typeof PARTITIONED)[number];

// Control block (Int32 slots); NEXT = (seq mod 2^20) << 11 | next chunk; chunks < 2^11.
const SEQ = 0,
  JOB = 1,
  CHUNKS = 2,
  NEXT = 3,
  DONE = 4,
  FAILED = 5;
const CHUNK_BITS = 11;
const MAX_ARGS = 16;
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
  private readonly workers: KernelThread[] = [];
  private readonly errors = new Map<number, string>();
  private seq = 0;

  constructor(setup: ThreadsSetup, spawn: SpawnKernelThread) {
    this.threads = setup.scratch.length + 1;
    setup.scratch.forEach((scratch, i) => {
      const data: KernelThreadData = {
        module: setup.module,
        memory: setup.memory,
        ctl: this.ctl.buffer as SharedArrayBuffer,
        args: this.args.buffer as SharedArrayBuffer,
        part: i + 1,
        scratch,
        names: PARTITIONED,
        spin: SPIN,
        chunkBits: CHUNK_BITS,
      };
      this.workers.push(spawn(data, (message) => this.errors.set(i + 1, message)));
    });
  }

  /**
   * Run `kernel` in 2 × threads chunks shared with the workers; `local(part, parts)` runs a chunk
   * here. Returns when every chunk is done.
   */
  run(kernel: Partitioned, args: readonly number[], local: (part: number, parts: number) => void): void {
    const ctl = this.ctl;
    const chunks = 2 * this.threads;
    this.seq = (this.seq + 1) & 0xfffff;
    const tag = this.seq << CHUNK_BITS;
    this.args.set(args);
    ctl[JOB] = PARTITIONED.indexOf(kernel);
    ctl[CHUNKS] = chunks;
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, NEXT, tag);
    Atomics.store(ctl, SEQ, this.seq);
    Atomics.notify(ctl, SEQ);
    // Claim chunks like any worker (no other job can be announced meanwhile: no CAS needed).
    for (let c = Atomics.add(ctl, NEXT, 1) - tag; c < chunks; c = Atomics.add(ctl, NEXT, 1) - tag) {
      local(c, chunks);
      Atomics.add(ctl, DONE, 1);
    }
    for (let spins = 0; ; spins++) {
      const done = Atomics.load(ctl, DONE);
      if (done >= chunks) break;
      if (spins > SPIN) Atomics.wait(ctl, DONE, done);
    }
    const failed = Atomics.load(ctl, FAILED);
    if (failed > 0) {
      throw new Error(
        `WASM kernel thread ${failed} failed (${kernel}); its message, if it arrived: ${this.errors.get(failed) ?? 'none yet'}`,
      );
    }
  }

  /** Stop the workers. */
  terminate(): void {
    this.ctl[JOB] = -1;
    Atomics.store(this.ctl, SEQ, -1);
    Atomics.notify(this.ctl, SEQ);
    for (const w of this.workers) w.terminate();
    this.workers.length = 0;
  }
}
