// A kernel thread's work (see thread-pool.ts): instantiates the kernels module on the shared
// memory with its own scratch, then claims and runs chunks of each job the control block
// announces, forever. Plain JavaScript, shared by Node's kernel-worker.mjs and the browser's
// kernel thread (playground/src/kernel-thread.ts). A failure is reported through the control
// block (the caller is blocked in Atomics.wait, so an error event would never reach it) and
// through `report`.

/** Run kernel thread `data` (KernelThreadData in thread-pool.ts); `report({ kind, part, message })` says a failure. */
export function runKernelThread(data, report) {
  const { module, memory, ctl: ctlBuffer, args: argsBuffer, part, scratch, names, spin, chunkBits } = data;
  const SEQ = 0,
    JOB = 1,
    CHUNKS = 2,
    NEXT = 3,
    DONE = 4,
    FAILED = 5;
  const ctl = new Int32Array(ctlBuffer);
  const args = new Float64Array(argsBuffer);
  const chunkMask = (1 << chunkBits) - 1;

  let kernels = null;
  let argv = null;
  let failure = null;
  try {
    const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
    ex.setScratch(scratch);
    kernels = names.map((n) => ex[n] ?? null);
    // One argument array per kernel, reused: the job's arguments, then part and parts.
    argv = kernels.map((k) => (k ? new Array(k.length).fill(0) : null));
  } catch (e) {
    failure = e;
  }

  const fail = (e) => {
    failure = e;
    Atomics.store(ctl, FAILED, part);
    report({ kind: 'error', part, message: String(e?.stack ?? e) });
  };
  if (failure) fail(failure);

  let seen = 0;
  for (;;) {
    // Spin briefly (the next job of a training step usually follows at once), then sleep.
    for (let i = 0; i < spin && Atomics.load(ctl, SEQ) === seen; i++);
    if (Atomics.load(ctl, SEQ) === seen) Atomics.wait(ctl, SEQ, seen);
    seen = Atomics.load(ctl, SEQ);
    if (seen < 0) break;
    // The job's parameters, read before claiming: they stay valid while any chunk is unclaimed.
    const job = ctl[JOB];
    const chunks = ctl[CHUNKS];
    const a = argv?.[job];
    if (a) for (let i = 0; i < a.length - 2; i++) a[i] = args[i];
    const tag = seen << chunkBits;
    for (;;) {
      const v = Atomics.load(ctl, NEXT);
      // A newer job has been announced, or every chunk is claimed.
      if ((v & ~chunkMask) !== tag || (v & chunkMask) >= chunks) break;
      if (Atomics.compareExchange(ctl, NEXT, v, v + 1) !== v) continue;
      const c = v & chunkMask;
      try {
        if (failure) throw failure;
        if (!a) throw new Error(`kernel thread ${part}: the module has no kernel "${names[job]}"`);
        a[a.length - 2] = c;
        a[a.length - 1] = chunks;
        kernels[job](...a);
      } catch (e) {
        if (!failure || e !== failure) fail(e);
      }
      if (Atomics.add(ctl, DONE, 1) + 1 >= chunks) Atomics.notify(ctl, DONE);
    }
  }
}
