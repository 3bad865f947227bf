// Parallel trials on worker threads. Trials are handed out one at a time from a queue; since
// each trial depends only on its own config, results do not depend on which worker ran it.
import { Worker } from 'node:worker_threads';
import { deserializeError, type SerializedError } from './failure.ts';
import { interruptFlag, stopRequested } from './interrupt.ts';
import type { RunOverrides } from './spec.ts';
import type { SummaryRecord, TrialConfig, TrialRecord } from './trial.ts';

export type ToWorker = { kind: 'run'; id: string; config?: TrialConfig } | { kind: 'stop' };
export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'record'; id: string; record: TrialRecord }
  | { kind: 'done'; id: string; summary: SummaryRecord }
  | { kind: 'error'; error: SerializedError };

export interface PoolOptions {
  experiment: string;
  overrides: RunOverrides;
  out: string;
  workers: number;
  /** Kernel threads in each worker. */
  threads: number;
  /** Trials the experiment file does not list (tuning's) travel with their config. */
  configs?: ReadonlyMap<string, TrialConfig>;
  onRecord: (id: string, record: TrialRecord) => void;
  onDone: (id: string, summary: SummaryRecord) => void;
}

export function runPool(ids: readonly string[], opts: PoolOptions): Promise<void> {
  const queue = [...ids];
  const n = Math.max(1, Math.min(opts.workers, queue.length));
  return new Promise((resolve, reject) => {
    let alive = n;
    let failed = false;
    const workers: Worker[] = [];
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(err);
    };
    for (let k = 0; k < n; k++) {
      const w = new Worker(new URL('./worker-entry.mjs', import.meta.url), {
        workerData: { experiment: opts.experiment, overrides: opts.overrides, out: opts.out, stop: interruptFlag(), threads: opts.threads },
      });
      workers.push(w);
      const next = () => {
        const id = stopRequested() ? undefined : queue.shift();
        const config = id ? opts.configs?.get(id) : undefined;
        w.postMessage(id ? { kind: 'run', id, ...(config ? { config } : {}) } : { kind: 'stop' });
      };
      w.on('message', (m: FromWorker) => {
        if (m.kind === 'ready') next();
        else if (m.kind === 'record') opts.onRecord(m.id, m.record);
        else if (m.kind === 'done') {
          opts.onDone(m.id, m.summary);
          next();
        } else fail(deserializeError(m.error));
      });
      w.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
      w.on('exit', (code) => {
        if (code !== 0 && !failed) fail(new Error(`worker exited with code ${code}`));
        if (--alive === 0 && !failed) resolve();
      });
    }
  });
}
