// Loading an experiment file and running one trial to disk: shared by the main process and
// the worker threads, so a trial runs the same wherever it runs.
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SpecError } from '../errors.ts';
import { getRule, loadRulesFrom, registerRule } from '../rules/registry.ts';
import { Interrupted } from './interrupt.ts';
import { TrialWriter } from './records.ts';
import { applyOverrides, expandTrials, validateSpec, type ExperimentSpec, type RunOverrides, type Trial, type ValidatedSpec } from './spec.ts';
import { runTrial, type SummaryRecord, type TrialRecord } from './trial.ts';

const BUILTINS = fileURLToPath(new URL('../../algorithms/index.ts', import.meta.url));
let builtinsLoaded: Promise<unknown> | null = null;

/** Register the built-in rules (loaded by path, exactly like a user's rule file). */
export function loadBuiltins(): Promise<unknown> {
  builtinsLoaded ??= loadRulesFrom(BUILTINS);
  return builtinsLoaded;
}

export interface LoadedExperiment {
  path: string;
  raw: ExperimentSpec;
  spec: ValidatedSpec;
  trials: Trial[];
}

/** Import an experiment file, apply overrides, validate, and expand its trials. */
export async function loadExperiment(path: string, overrides: RunOverrides = {}): Promise<LoadedExperiment> {
  await loadBuiltins();
  const abs = resolve(path);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (e) {
    throw new SpecError(`experiment ${path}: could not be loaded: ${(e as Error).message}`);
  }
  const raw = (mod.default ?? mod.spec) as ExperimentSpec | undefined;
  if (!raw) throw new SpecError(`experiment ${path}: must export its spec as the default export (or as "spec")`);
  const withOverrides = applyOverrides(raw, overrides);
  const spec = validateSpec(withOverrides, getRule);
  // Rule objects from the user's own files become known by id (for workers and reports).
  for (const r of spec.rules) registerRule(r.rule);
  return { path: abs, raw, spec, trials: expandTrials(spec, overrides.debug ?? false) };
}

/**
 * Run one trial, writing its records durably. A rule that throws fails only its own trial:
 * the error (naming the rule) is recorded in a 'failed' summary and the sweep goes on.
 */
export function executeTrial(trial: Trial, out: string, onRecord: (r: TrialRecord) => void = () => {}): SummaryRecord {
  const writer = new TrialWriter(out, trial.id);
  let summary: SummaryRecord;
  try {
    summary = runTrial(trial.config, trial.id, trial.rule, (r) => {
      writer.write(r);
      onRecord(r);
    });
  } catch (e) {
    if (e instanceof Interrupted) {
      writer.abandon(); // left as a partial: --resume redoes this trial
      throw e;
    }
    const err = e as Error;
    summary = {
      type: 'summary', trial: trial.id, rule: trial.rule.id, options: trial.config.options, seed: trial.config.seed,
      status: 'failed', error: `rule "${trial.rule.id}": ${err.name}: ${err.message}`, epochs: 0, steps: 0,
      finalTestAcc: NaN, bestValAcc: null, peakBytes: null, ratioToInference: null,
      estimates: trial.rule.estimates ?? 'task-gradient', objective: trial.rule.objective ?? null,
      alignmentReference: null, meanCosine: null, meanLayerCosine: null, meanErrorSignalCosine: null,
      host: { wallMs: 0, stepMs: 0, msPerEpoch: 0 },
    };
    writer.write(summary);
    onRecord(summary);
  }
  writer.finish();
  return summary;
}
