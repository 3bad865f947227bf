// `rulebench tune`: the experiment's tuning plan run as trials through the machinery `run` uses
// (lock, manifest, records, checkpoints, --resume, --shard, worker threads, visible failures).
// An invocation runs what it can — its shard's slice of each entry's earliest unsettled rung,
// then the next rung once a rung settles — and says which rungs wait on other shards; a rerun
// with --resume continues. Every invocation writes tune.json for what has finished.
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { SpecError } from '../../errors.ts';
import { checkRunFlags } from '../run-flags.ts';
import { backendFromEnv, type BackendName } from '../../kernels/select.ts';
import { loadExperiment } from '../execute.ts';
import { describeError } from '../failure.ts';
import { isLockFile, OutLock } from '../lock.ts';
import { buildManifest, claimDirectory } from '../manifest.ts';
import { planStages, written } from '../needs.ts';
import { rulePredicts, ruleOptions } from '../../rules/rule.ts';
import { preflight } from '../preflight.ts';
import { Progress } from '../progress.ts';
import type { EvalRecord, SummaryRecord, TrialRecord } from '../record-types.ts';
import { clearPartials, makeDir, prepareOutput, recordsDir, scanRecords, setAside, writeFileAtomic } from '../records.ts';
import { environment, runTrials } from '../run.ts';
import type { Shard } from '../shard.ts';
import type { Trial } from '../spec.ts';
import { stepsPerEpoch } from '../epoch-steps.ts';
import { planTuning, refuseUntunable, tuneTrial, type TunePlan } from './plan.ts';
import { assess, tuneFile, type Outcome, type TuneFile } from './tune-file.ts';
import { TUNE_FILE } from './tuned.ts';

export interface TuneOptions {
  /** Configurations per rule entry (overrides the spec's tune.budget). */
  budget?: number;
  out?: string;
  workers?: number;
  threads?: number;
  shard?: Shard;
  resume?: boolean;
  fresh?: boolean;
  debug?: boolean;
  /** Train on this thread (default: with one worker). */
  inline?: boolean;
  log?: (s: string) => void;
  tty?: boolean;
}

export interface TuneResult {
  out: string;
  backend: BackendName;
  /** Trials run by this invocation, and finished earlier. */
  ran: number;
  skipped: number;
  summaries: SummaryRecord[];
  interrupted: boolean;
  /** Entries held up by other shards' trials (or failed ones), one line each. */
  waiting: string[];
  file: TuneFile;
}

/** The first rung's trials: every configuration of every entry, on every tuning seed. */
function firstRung(plan: TunePlan): Trial[] {
  return plan.units.flatMap((u) => u.configs.flatMap((c) => plan.seeds.map((seed) => tuneTrial(plan, u, c.index, 0, seed))));
}

/** A finished trial's outcome, from its record file. */
function readOutcome(out: string, id: string, metric: TunePlan['metric']): Outcome {
  const lines = readFileSync(join(recordsDir(out), `${id}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  const records = lines.map((l) => JSON.parse(l) as TrialRecord);
  const summary = records[records.length - 1] as SummaryRecord;
  const last = records.filter((r): r is EvalRecord => r.type === 'eval').pop();
  const v = last ? last[metric] : null;
  return {
    status: summary.status,
    steps: summary.steps,
    value: typeof v === 'number' && Number.isFinite(v) ? v : null,
    wallMs: summary.host.wallMs,
  };
}

export async function tuneExperiment(experimentPath: string, opts: TuneOptions = {}): Promise<TuneResult> {
  const log = opts.log ?? ((s: string) => process.stderr.write(s));
  checkRunFlags(opts);
  const { name: backend, backend: kernels } = await backendFromEnv();
  const loaded = await loadExperiment(experimentPath, { debug: opts.debug });
  const { spec } = loaded;
  if (spec.tuned)
    throw new SpecError(`tuned: experiment "${spec.name}" runs the tuned settings of ${spec.tuned}; tune it without its tuned field`);
  // Halving compares configurations at the same rungs (steps); a budget would end them elsewhere.
  const entry = spec.rules.findIndex((r) => r.budget);
  const budgeted = spec.budget ? 'budget' : entry >= 0 ? `rules[${entry}].budget` : null;
  if (budgeted)
    throw new SpecError(
      `${budgeted}: rulebench tune runs every configuration to the same rungs of steps (tune.rungs); tune without the budget, then run with it`,
    );
  refuseUntunable(spec, 'rulebench tune');
  const v = spec.data.validation;
  if (v === undefined || v === 'test' || v === 0) {
    throw new SpecError(
      `data.validation: tuning scores configurations on a validation split held out from training, and experiment "${spec.name}" has ${v === 'test' ? "'test' (the test split must never choose)" : 'none'}; set data.validation to a fraction (0.1) or a count (5000)`,
    );
  }
  const plan = planTuning(spec, stepsPerEpoch(spec.data, spec.batchSize), { budget: opts.budget, debug: opts.debug });
  // A rule whose predictions only rank the classes has no validation loss to tune on.
  const unscored =
    plan.metric === 'valLoss' ? spec.rules.findIndex((r) => rulePredicts(r.rule, ruleOptions(r.rule, r.options)) === 'scores') : -1;
  if (unscored >= 0)
    throw new SpecError(
      `tune.metric: valLoss, but rules[${unscored}] ("${spec.rules[unscored].rule.id}") predicts class scores that have no loss (its predicts: 'scores'); tune on valAcc`,
    );
  if (opts.budget !== undefined && (!Number.isInteger(opts.budget) || opts.budget < 1))
    throw new SpecError(`--budget: expected a positive integer, got ${opts.budget}`);
  const out = opts.out ?? join('results', `${spec.name}-tune`);
  const workers = opts.workers ?? cpus().length;
  if (!Number.isInteger(workers) || workers < 1) throw new SpecError(`--workers: expected a positive integer, got ${workers}`);
  const first = firstRung(plan);
  const inline = opts.inline ?? workers === 1;
  // Tuning reads its stages' results but does not make them.
  const stages = await planStages(spec, loaded.path, {
    cannotRun: 'rulebench tune does not run stages',
    out,
    backend,
    workers: inline ? 1 : workers,
  });
  preflight(spec, first, { backend, workers: inline ? 1 : workers, keepData: inline, willWrite: written(stages) });

  try {
    makeDir(out);
  } catch (e) {
    throw new SpecError(`--out ${out}: cannot create the results directory: ${describeError(e)}`);
  }
  const lock = OutLock.acquire(out, opts.shard);
  try {
    if (lock.tookOver) log(`${out}: took over the lock of process ${lock.tookOver.pid}, which is no longer running\n`);
    if (opts.fresh) {
      const moved = setAside(out, isLockFile);
      if (moved) log(`--fresh: the directory's earlier contents are kept in ${moved}\n`);
    }
    prepareOutput(out);
    // The directory belongs to this plan: its first rung's trials fix every later one.
    const described = { ...spec, tune: { ...spec.tune, budget: plan.budget } };
    claimDirectory(
      out,
      buildManifest(
        described,
        experimentPath,
        first,
        opts.debug ?? false,
        { ...environment(), backend },
        { budget: opts.budget, tune: true },
      ),
      first,
    );
    const before = scanRecords(
      out,
      first.map((t) => t.id),
    );
    for (const n of before.notes) log(`${n}\n`);
    if (before.finished.size && !opts.resume) {
      throw new SpecError(
        `--out ${out}: already holds ${before.finished.size} finished tuning trial(s) of this plan; pass --resume to continue (failed trials rerun), --fresh to start afresh, or choose another --out`,
      );
    }

    const outcomes = new Map<string, Outcome>();
    const outcome = (id: string) => outcomes.get(id) ?? null;
    const attempted = new Set<string>();
    const refresh = (ids: string[]) => {
      const { finished, notes } = scanRecords(
        out,
        ids.filter((id) => !outcomes.has(id) || outcomes.get(id)!.status === 'failed'),
      );
      for (const n of notes) log(`${n}\n`);
      for (const id of finished.keys()) outcomes.set(id, readOutcome(out, id, plan.metric));
    };
    const allIds = () =>
      plan.units.flatMap((u) =>
        u.configs.flatMap((c) => plan.rungs.flatMap((_, k) => plan.seeds.map((seed) => tuneTrial(plan, u, c.index, k, seed).id))),
      );
    const ids = allIds();
    refresh(ids);
    const skipped = outcomes.size;
    const summaries: SummaryRecord[] = [];
    let interrupted = false;
    const retry = (id: string) => !attempted.has(id);
    for (;;) {
      const a = assess(plan, outcome, retry, opts.shard);
      if (!a.runnable.length) break;
      const pending = a.runnable;
      const rerun = pending.filter((t) => outcomes.get(t.id)?.status === 'failed').length;
      const notes = clearPartials(
        out,
        pending.map((t) => t.id),
      );
      if (rerun) notes.push(`${rerun} trial(s) that failed in an earlier run are rerun`);
      for (const n of notes) log(`${n}\n`);
      for (const t of pending) attempted.add(t.id);
      const threads = opts.threads ?? Math.max(1, Math.floor(cpus().length / Math.max(1, Math.min(inline ? 1 : workers, pending.length))));
      const progress = new Progress(pending.length, opts.log, opts.tty);
      const res = await runTrials(pending, {
        experiment: loaded.path,
        overrides: { debug: opts.debug },
        out,
        workers,
        threads,
        inline,
        kernels,
        progress,
        withConfigs: true,
      });
      progress.finish();
      summaries.push(...res.summaries);
      refresh(pending.map((t) => t.id));
      if (res.interrupted) {
        interrupted = true;
        break;
      }
    }
    const final = assess(plan, outcome, () => false, opts.shard);
    const file = tuneFile(plan, experimentPath, final, outcome);
    writeFileAtomic(join(out, TUNE_FILE), `${JSON.stringify(file, null, 2)}\n`);
    return { out, backend, ran: summaries.length, skipped, summaries, interrupted, waiting: final.waiting, file };
  } finally {
    lock.release();
  }
}

/** Whether `dir` holds a tuning (its tune.json). */
export const isTuneDir = (dir: string) => existsSync(join(dir, TUNE_FILE));
