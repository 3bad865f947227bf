// A kernel thread (see threads.ts): instantiates the kernels module on the shared memory with its
// own scratch, then runs its part of each job the control block announces. Plain JavaScript so a
// worker starts without a TypeScript loader. A failure is reported through the control block
// (the caller is blocked in Atomics.wait, so an error event would never reach it).
import { parentPort, workerData } from 'node:worker_threads';

const { module, memory, ctl: ctlBuffer, args: argsBuffer, part, scratch, names, spin } = workerData;
const SEQ = 0, JOB = 1, PARTS = 2, PENDING = 3, FAILED = 4;
const ctl = new Int32Array(ctlBuffer);
const args = new Float64Array(argsBuffer);

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
  parentPort?.postMessage({ kind: 'error', part, message: String(e?.stack ?? e) });
};
if (failure) fail(failure);

let seen = 0;
for (;;) {
  // Spin briefly (the next job of a training step usually follows at once), then sleep.
  for (let i = 0; i < spin && Atomics.load(ctl, SEQ) === seen; i++);
  if (Atomics.load(ctl, SEQ) === seen) Atomics.wait(ctl, SEQ, seen);
  seen = Atomics.load(ctl, SEQ);
  const job = ctl[JOB];
  if (job < 0) break;
  const parts = ctl[PARTS];
  if (!failure && part < parts) {
    try {
      const a = argv[job];
      if (!a) throw new Error(`kernel thread ${part}: the module has no kernel "${names[job]}"`);
      const n = a.length - 2;
      for (let i = 0; i < n; i++) a[i] = args[i];
      a[n] = part;
      a[n + 1] = parts;
      kernels[job](...a);
    } catch (e) {
      fail(e);
    }
  }
  if (Atomics.sub(ctl, PENDING, 1) === 1) Atomics.notify(ctl, PENDING);
}
