// A worker thread: loads the same experiment (same trial list), then runs the trials the main
// thread hands it one at a time, writing their records itself.
import { parentPort, workerData } from 'node:worker_threads';
import { useBackendFromEnv } from '../kernels/select.ts';
import { executeTrial, loadExperiment } from './execute.ts';
import { serializeError } from './failure.ts';
import { Interrupted, useInterruptFlag } from './interrupt.ts';
import { getRule } from '../rules/registry.ts';
import { trialId, type RunOverrides, type Trial } from './spec.ts';
import type { FromWorker, ToWorker } from './pool.ts';

interface Init {
  stop: Int32Array;
  experiment: string;
  overrides: RunOverrides;
  out: string;
  threads: number;
}

const port = parentPort!;
const { experiment, overrides, out, stop, threads } = workerData as Init;
useInterruptFlag(stop);
const send = (m: FromWorker) => port.postMessage(m);

try {
  await useBackendFromEnv(undefined, threads);
  const loaded = await loadExperiment(experiment, overrides);
  const byId = new Map(loaded.trials.map((t) => [t.id, t]));
  port.on('message', (m: ToWorker) => {
    if (m.kind === 'stop') {
      port.close();
      return;
    }
    // A trial the experiment does not list (a tuning trial) comes with its config, checked against its id.
    const trial: Trial | undefined =
      byId.get(m.id) ?? (m.config && trialId(m.config) === m.id ? { id: m.id, config: m.config, rule: getRule(m.config.rule) } : undefined);
    if (!trial) {
      send({ kind: 'error', error: serializeError(new Error(`worker: unknown trial ${m.id}`)) });
      return;
    }
    try {
      const summary = executeTrial(trial, out, (record) => send({ kind: 'record', id: m.id, record }));
      send({ kind: 'done', id: m.id, summary });
    } catch (e) {
      // A full disk and the like stop the whole run; the main thread says so in one line.
      if (!(e instanceof Interrupted)) send({ kind: 'error', error: serializeError(e) });
      port.close();
    }
  });
  send({ kind: 'ready' });
} catch (e) {
  send({ kind: 'error', error: serializeError(e) });
}
