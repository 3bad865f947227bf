// The stages an experiment needs (its `needs`: e.g. the pretraining run whose saved parameters
// its `init` reads). All of them are checked before anything is written: each stage's spec, its
// results directory (it must hold that stage's own run, or nothing yet) and its data and model;
// then each unfinished stage runs (or resumes) into its directory, and a finished one is reused.
import { resolve } from 'node:path';
import { SpecError } from '../errors.ts';
import type { BackendName } from '../kernels/select.ts';
import { paramPath } from '../nn/param-file.ts';
import { loadExperiment } from './execute.ts';
import { buildManifest, claimConflict } from './manifest.ts';
import { preflight } from './preflight.ts';
import { shownPath } from './shown-path.ts';
import { finishedTrials } from './records.ts';
import type { ValidatedSpec } from './spec.ts';
import type { SummaryRecord } from './trial.ts';

export interface Stage {
  /** The need that asks for it, for messages: "needs[0]" (of a stage's own needs: "needs[0] → needs[1]"). */
  field: string;
  /** The stage's experiment file (absolute) and its command-line form. */
  file: string;
  command: string;
  out: string;
  /** Trials finished there (done or diverged; a failed one reruns), of all its trials. */
  finished: number;
  total: number;
  /** Parameter files (absolute) its unfinished trials will write: what a later stage's `init` may read. */
  writes: string[];
}

export interface StageContext {
  quick?: boolean;
  /** Why this command cannot run a stage (--shard: every shard would run it at once); each must then be finished. */
  cannotRun?: string;
  /** The results directory of the run that needs them (a stage may not share it). */
  out: string;
  backend: BackendName;
  workers: number;
}

const shown = shownPath;

/**
 * Every stage `spec` needs, its own stages first, checked without writing anything. `chain` holds
 * the experiment files on the way here (the first is the run's own), so a cycle is named.
 */
export async function planStages(spec: ValidatedSpec, file: string, at: StageContext, chain: string[] = [resolve(file)]): Promise<Stage[]> {
  const stages: Stage[] = [];
  for (const [i, need] of (spec.needs ?? []).entries()) {
    const field = chain.length > 1 ? `${shown(chain.at(-1)!)}: needs[${i}]` : `needs[${i}]`;
    const abs = resolve(need.experiment);
    if (chain.includes(abs))
      throw new SpecError(
        `${field}.experiment: a cycle of stages (${[...chain, abs].map(shown).join(' → ')}); an experiment cannot need itself`,
      );
    if (resolve(need.out) === resolve(at.out))
      throw new SpecError(`${field}.out: ${need.out} is the results directory of the run that needs it; give the stage its own`);
    const loaded = await loadExperiment(abs, { quick: at.quick }).catch((e: unknown) => {
      throw e instanceof SpecError ? new SpecError(`${field}: ${e.message}`) : e;
    });
    const command = `rulebench run ${shown(abs)}${at.quick ? ' --quick' : ''} --out ${need.out}`;
    const own = await planStages(loaded.spec, abs, { ...at, out: need.out }, [...chain, abs]);
    stages.push(...own);
    const manifest = buildManifest(loaded.spec, abs, loaded.trials, false, {});
    const { conflict } = claimConflict(need.out, manifest, loaded.trials);
    if (conflict)
      throw new SpecError(
        `${field}: ${need.out} ${conflict}, not the run this experiment needs (${command}); nothing was run. Point ${field}.out at another directory, or start that one afresh: ${command} --fresh`,
      );
    const status = finishedTrials(
      need.out,
      loaded.trials.map((t) => t.id),
    );
    const unfinished = loaded.trials.filter((t) => (status.get(t.id) ?? 'failed') === 'failed');
    const stage: Stage = {
      field,
      file: abs,
      command,
      out: need.out,
      finished: loaded.trials.length - unfinished.length,
      total: loaded.trials.length,
      writes: unfinished.flatMap((t) =>
        t.config.saveParams ? [resolve(paramPath(t.config.saveParams, { seed: t.config.seed, rule: t.config.rule, trial: t.id }))] : [],
      ),
    };
    if (unfinished.length && at.cannotRun)
      throw new SpecError(
        `${field}: ${need.out} has ${stage.finished} of its stage's ${stage.total} trials finished; ${at.cannotRun}: run it first (${command} --resume)`,
      );
    // The stage's own data, model and memory checks, with the files its stages will write.
    if (unfinished.length)
      preflight(loaded.spec, unfinished, { backend: at.backend, workers: at.workers, keepData: false, willWrite: written(own) });
    stages.push(stage);
  }
  return stages;
}

/** The parameter files that running these stages writes. */
export function written(stages: readonly Stage[]): Set<string> {
  return new Set(stages.flatMap((s) => s.writes));
}

/**
 * Run each unfinished stage, in order, into its directory (resuming what is there); reuse the
 * finished ones. Stops at a stop request; a stage that does not end with every trial done stops
 * the run that needs it, saying which.
 */
export async function runStages(
  stages: readonly Stage[],
  run: (stage: Stage) => Promise<{ summaries: SummaryRecord[]; interrupted: boolean }>,
  log: (s: string) => void,
): Promise<{ interrupted: boolean }> {
  for (const s of stages) {
    if (s.finished === s.total) {
      log(`${s.field}: reusing ${s.out} (${s.total} finished trial(s) of ${shown(s.file)})\n`);
      continue;
    }
    log(`${s.field}: running its stage first: ${s.command} --resume (${s.finished} of ${s.total} trials finished)\n`);
    const res = await run(s);
    if (res.interrupted) return { interrupted: true };
    const bad = res.summaries.filter((r) => r.status !== 'done');
    if (bad.length)
      throw new SpecError(
        `${s.field}: ${bad.length} trial(s) of its stage ended ${[...new Set(bad.map((r) => r.status))].join('/')} (${bad[0].error ?? 'no error'}); see ${s.out}; the run that needs it did not start`,
      );
  }
  return { interrupted: false };
}
