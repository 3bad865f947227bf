// Loading an experiment file and running one trial to disk: shared by the main process and
// the worker threads, so a trial runs the same wherever it runs.
import { existsSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SpecError } from '../errors.ts';
import { loadRulesFrom } from '../rules/load-rules.ts';
import { getRule, registerRule } from '../rules/registry.ts';
import { ruleEstimates, ruleOptions, type AnyRule } from '../rules/rule.ts';
import { describeDataset } from '../data/index.ts';
import { classifyFailure, isSystemError, oneLine } from './failure.ts';
import { Interrupted } from './interrupt.ts';
import { shownPath } from './shown-path.ts';
import { writeCheckpoint, type Snapshot } from './checkpoint.ts';
import { checkpointPath, resumable, TrialWriter } from './records.ts';
import { allowSelfImport } from './self-import.ts';
import {
  applyOverrides,
  expandTrials,
  validateSpec,
  type ExperimentSpec,
  type Need,
  type RuleEntry,
  type RunOverrides,
  type Trial,
  type ValidatedSpec,
} from './spec.ts';
import { summaryRecord } from './record-fields.ts';
import { stepsPerEpoch } from './epoch-steps.ts';
import { applyTuned } from './tune/tuned.ts';
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

/** A rule reference that names a file rather than an id: "./rules.ts", "../x/rule.ts#my-id", "/abs.ts". */
const RULE_FILE = /^(\.{1,2}\/|\/).*\.(m?ts|m?js)(#[\w-]+)?$/;

/** Replace rule references that name files (relative to the spec's own file) with the rules they export. */
async function resolveRuleFiles(rules: ExperimentSpec['rules'], base: string): Promise<ExperimentSpec['rules']> {
  if (!Array.isArray(rules)) return rules;
  return Promise.all(
    rules.map(async (entry, i) => {
      const ref = typeof entry === 'string' ? entry : (entry as RuleEntry | null)?.rule;
      if (typeof ref !== 'string' || !RULE_FILE.test(ref)) return entry;
      const [file, id] = ref.split('#');
      const field = typeof entry === 'string' ? `rules[${i}]` : `rules[${i}].rule`;
      const found = await loadRulesFrom(file, base).catch((e: Error) => {
        throw new SpecError(`${field}: ${e.message}`);
      });
      const rule: AnyRule | undefined = id ? found.find((r) => r.id === id) : found.length === 1 ? found[0] : undefined;
      if (!rule) {
        const ids = found.map((r) => r.id).join(', ');
        throw new SpecError(
          id
            ? `${field}: ${file} exports no rule "${id}"; it exports: ${ids}`
            : `${field}: ${file} exports several rules (${ids}); name one as "${file}#<id>"`,
        );
      }
      return typeof entry === 'string' ? { rule } : { ...(entry as RuleEntry), rule };
    }),
  );
}

/** Paths inside a spec resolve against the spec's own file, wherever the command runs. */
async function resolvePaths(raw: ExperimentSpec, specFile: string): Promise<ExperimentSpec> {
  const base = dirname(specFile);
  const data =
    raw.data && typeof raw.data.dir === 'string' && !isAbsolute(raw.data.dir)
      ? { ...raw.data, dir: resolve(base, raw.data.dir) }
      : raw.data;
  const tuned = typeof raw.tuned === 'string' && raw.tuned && !isAbsolute(raw.tuned) ? resolve(base, raw.tuned) : raw.tuned;
  const at = (n: unknown) =>
    n && typeof n === 'object' && typeof (n as Need).experiment === 'string'
      ? { ...n, experiment: resolve(base, (n as Need).experiment) }
      : n;
  const needs = Array.isArray(raw.needs) ? (raw.needs.map(at) as Need[]) : raw.needs;
  const quick =
    raw.quick && typeof raw.quick === 'object' && Array.isArray(raw.quick.needs)
      ? { ...raw.quick, needs: raw.quick.needs.map(at) as Need[] }
      : raw.quick;
  return {
    ...raw,
    data,
    rules: await resolveRuleFiles(raw.rules, specFile),
    ...(tuned !== undefined ? { tuned } : {}),
    ...(needs !== undefined ? { needs } : {}),
    ...(quick !== undefined ? { quick } : {}),
  };
}

/** Import an experiment file, apply overrides, validate, and expand its trials. */
export async function loadExperiment(path: string, overrides: RunOverrides = {}): Promise<LoadedExperiment> {
  allowSelfImport();
  await loadBuiltins();
  const abs = resolve(path);
  if (!existsSync(abs)) throw new SpecError(`experiment ${path}: no such file`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (e) {
    throw new SpecError(`experiment ${path}: could not be loaded: ${oneLine((e as Error).message ?? String(e))}`);
  }
  const exported = (mod.default ?? mod.spec) as ExperimentSpec | undefined;
  if (!exported || typeof exported !== 'object')
    throw new SpecError(`experiment ${path}: must export its spec as the default export (or as "spec")`);
  return resolveExperiment(exported, overrides, abs);
}

/**
 * Resolve an experiment's spec (anything its file exported): paths against `specFile`, CLI
 * overrides, validation, and its trials.
 */
export async function resolveExperiment(exported: ExperimentSpec, overrides: RunOverrides, specFile: string): Promise<LoadedExperiment> {
  const raw = await resolvePaths(exported, specFile);
  // --subset scales a validation count by the training samples the spec asked for (or holds).
  const trainSize = (d: ExperimentSpec['data']) => {
    const { name, validation: _v, ...opts } = d;
    return describeDataset(name, opts).train;
  };
  const withOverrides = applyOverrides(raw, overrides, trainSize);
  const validated = validateSpec(withOverrides, getRule, {
    stepsPerEpoch: () => stepsPerEpoch(withOverrides.data, withOverrides.batchSize),
  });
  // Records name the tune directory as the user would type it: relative to the working directory
  // when inside it, so a committed experiment.json holds no machine's absolute path.
  const spec = validated.tuned ? applyTuned(validated, validated.tuned, shownPath(validated.tuned)) : validated;
  // Rule objects from the user's own files become known by id (for workers and reports).
  for (const r of spec.rules) registerRule(r.rule);
  return { path: specFile, raw, spec, trials: expandTrials(spec, overrides.debug ?? false) };
}

/**
 * Run one trial, writing its records durably. A trial that throws fails only itself: the error,
 * classified (data, rule, memory, ...) and on one line, goes into a 'failed' summary and the
 * sweep goes on. A file-system error (full disk, read-only records/) stops the run instead:
 * nothing more can be written, and the partial file is left for --resume. Each finished epoch
 * leaves a checkpoint, so --resume continues an interrupted trial where it stood.
 */
export function executeTrial(trial: Trial, out: string, onRecord: (r: TrialRecord) => void = () => {}): SummaryRecord {
  const resume = resumable(out, trial.id);
  const ckptPath = checkpointPath(out, trial.id);
  const writer = new TrialWriter(out, trial.id, resume?.recordsBytes ?? 0);
  const save = (s: Snapshot) => writeCheckpoint(ckptPath, trial.id, writer.bytes, s);
  let summary: SummaryRecord;
  try {
    summary = runTrial(
      trial.config,
      trial.id,
      trial.rule,
      (r) => {
        writer.write(r);
        onRecord(r);
      },
      { resume, save },
    );
  } catch (e) {
    if (e instanceof Interrupted || isSystemError(e)) {
      writer.abandon(); // left as a partial: --resume redoes this trial
      throw e;
    }
    const { failure, error } = classifyFailure(e, trial.rule.id);
    const head = {
      trial: trial.id,
      rule: trial.rule.id,
      options: trial.config.options,
      seed: trial.config.seed,
      estimates: ruleEstimates(trial.rule, ruleOptions(trial.rule, trial.config.options)),
      objective: trial.rule.objective ?? null,
    };
    summary = summaryRecord(head, [{ status: 'failed', error, failure, steps: failure.step ?? 0 }]);
    try {
      writer.write(summary);
    } catch (w) {
      writer.abandon();
      throw w;
    }
    onRecord(summary);
  }
  writer.finish();
  rmSync(ckptPath, { force: true });
  return summary;
}
