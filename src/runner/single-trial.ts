// One trial run in this process, for scripts and tools that want its records directly (no
// files, locks or workers): the public face of the training loop, kept stable as the loop changes.
import type { AnyRule } from '../rules/rule.ts';
import type { Observer } from './observer.ts';
import type { SummaryRecord, TrialRecord } from './record-types.ts';
import { runTrial, type TrialConfig } from './trial.ts';

export interface SingleTrialOptions {
  /** The trial id its records carry (default: the config's experiment name). */
  id?: string;
  /** Called with each record as it is produced; the last one is the summary. */
  onRecord?: (record: TrialRecord) => void;
  /** Measurements of the caller's own, innermost around each step (e.g. layerCostObserver); they add no record fields unless they say so. */
  observers?: readonly Observer[];
}

/** Train `rule` as `config` says, from the config's seed; returns the summary record. */
export function runSingleTrial(config: TrialConfig, rule: AnyRule, o: SingleTrialOptions = {}): SummaryRecord {
  return runTrial(config, o.id ?? config.experiment, rule, o.onRecord ?? (() => {}), undefined, o.observers);
}
