// One trial in Node: its data loaded from disk, its starting parameters (fresh or from a file),
// the training loop (./loop.ts) with the standard measurements, and what Node adds around it:
// checkpoints, stopping on request, the process's CPU and memory figures, parameter files.
import { loadDataset } from '../data/index.ts';
import { rng as seeded } from '../random.ts';
import type { AnyRule } from '../rules/rule.ts';
import type { LoadedCheckpoint } from './checkpoint.ts';
import { stopRequested } from './interrupt.ts';
import { runTraining, type Prepared } from './loop.ts';
import { prepareData } from './prepare.ts';
import type { Observer, Snapshot } from './observer.ts';
import { checkpointObserver } from './observers/checkpointing.ts';
import { stopObserver } from './observers/stop.ts';
import type { HostProbe } from './observers/timing.ts';
import { readTeacher, saveParamsObserver, startingParams } from './param-files.ts';
import type { SummaryRecord, TrialRecord } from './record-types.ts';
import type { TrialConfig } from './trial-config.ts';

export type { MemoryRecord, EvalRecord, SummaryRecord, TrialRecord, TrialStatus, AlignmentPoint } from './record-types.ts';
export type { DataConfig, TrialConfig } from './trial-config.ts';
export type { Prepared } from './loop.ts';

/** The data, task and model of a trial (its seed's data stream), as the trial will build them. */
export function prepareTrial(config: TrialConfig): Prepared {
  return prepareData(config, seeded(config.seed).child('data'), loadDataset);
}

/** The process's CPU time and memory, as Node reports them. */
export const nodeHost: HostProbe = {
  cpuMs() {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  },
  memory() {
    const m = process.memoryUsage();
    return { rssBytes: m.rss, heapBytes: m.heapUsed };
  },
};

/** Where a trial leaves its checkpoints and, when it was interrupted, the one it continues from. */
export interface TrialCheckpoints {
  resume: LoadedCheckpoint | null;
  save(s: Snapshot): void;
}

/**
 * Run one trial, calling `emit` with each record as it is produced (the last one is the
 * summary). Returns the summary. With `checkpoints`, each finished epoch is saved, and a trial
 * given one to resume from continues after it exactly as if it had not stopped. `extra`: observers
 * after every other, innermost around each step.
 */
export function runTrial(
  config: TrialConfig,
  trialId: string,
  rule: AnyRule,
  emit: (r: TrialRecord) => void,
  checkpoints?: TrialCheckpoints,
  extra: readonly Observer[] = [],
): SummaryRecord {
  const startedAt = performance.now();
  const data = prepareData(config, seeded(config.seed).child('data'), loadDataset);
  const fill = { seed: config.seed, rule: rule.id };
  return runTraining({
    config,
    id: trialId,
    rule,
    data,
    emit,
    startedAt,
    host: nodeHost,
    start: (init) => startingParams(config, fill, data.model, data.train, init),
    teacher: readTeacher,
    resume: checkpoints?.resume,
    observers: (t) => [
      ...(checkpoints ? [checkpointObserver(checkpoints.save)] : []),
      stopObserver(stopRequested),
      ...(config.saveParams
        ? [saveParamsObserver(config.saveParams, { ...fill, trial: trialId }, t.data.model, t.params, t.buffers, data.train)]
        : []),
      ...extra,
    ],
  });
}
