// Running an experiment: validate everything (spec, data, model, memory) before anything is
// written, lock and claim the results directory, skip finished trials on --resume (failed ones
// rerun), take this shard's slice, and run the rest in-process or on worker threads.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { SpecError } from '../errors.ts';
import { checkRunFlags } from './run-flags.ts';
import { withBackend, withThreads } from '../kernels/index.ts';
import { backendFromEnv, type BackendName } from '../kernels/select.ts';
import { describeError } from './failure.ts';
import { executeTrial, loadExperiment } from './execute.ts';
import { Interrupted, stopRequested } from './interrupt.ts';
import { isLockFile, OutLock } from './lock.ts';
import { buildManifest, checkClaim, claimDirectory, manifestRule } from './manifest.ts';
import { planStages, runStages, written } from './needs.ts';
import { runPool } from './pool.ts';
import { preflight } from './preflight.ts';
import { Progress } from './progress.ts';
import { clearPartials, finishedTrials, makeDir, prepareOutput, scanRecords, setAside } from './records.ts';
import { trialLabels } from './series-label.ts';
import { shard, type Shard } from './shard.ts';
import type { RunOverrides, Trial } from './spec.ts';
import type { SummaryRecord } from './trial.ts';

export interface RunOptions extends RunOverrides {
  out?: string;
  workers?: number;
  /** Kernel threads per trial (default: the cores left after the trials running at once). */
  threads?: number;
  shard?: Shard;
  resume?: boolean;
  /** Start the results directory afresh: its earlier contents move to `superseded/<time>/`. */
  fresh?: boolean;
  /**
   * Train on this thread (default: with one worker). Signals are then not seen until the run
   * ends, so the CLI always trains on worker threads and keeps this thread free for Ctrl-C.
   */
  inline?: boolean;
  /** Progress output and notes (default: stderr). */
  log?: (s: string) => void;
  tty?: boolean;
}

export interface RunResult {
  out: string;
  backend: BackendName;
  total: number;
  /** Finished earlier (done or diverged) and skipped. */
  skipped: number;
  ran: number;
  /** Of those run, how many had failed in an earlier run. */
  rerunFailed: number;
  summaries: SummaryRecord[];
  /** Stopped early by a stop request (SIGINT); finished trials are kept. */
  interrupted: boolean;
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

export function environment() {
  const cpu = cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    commit: gitCommit(),
  };
}

export interface TrialBatch {
  /** The experiment file, which worker threads load (its rules, datasets and trials). */
  experiment: string;
  overrides: RunOverrides;
  out: string;
  workers: number;
  threads: number;
  inline: boolean;
  kernels: Awaited<ReturnType<typeof backendFromEnv>>['backend'];
  progress: Progress;
  /** Hand workers each trial's config (trials the experiment file does not list: tuning's). */
  withConfigs?: boolean;
}

/**
 * Run `pending` to disk, on this thread or on worker threads, each through `executeTrial`: what
 * `run` and `tune` share. A stop request ends it after the current step (`interrupted`).
 */
export async function runTrials(pending: readonly Trial[], b: TrialBatch): Promise<{ summaries: SummaryRecord[]; interrupted: boolean }> {
  const summaries: SummaryRecord[] = [];
  let interrupted = false;
  if (b.inline || pending.length === 0) {
    try {
      for (const t of pending) {
        if (stopRequested()) throw new Interrupted();
        summaries.push(
          withBackend(b.kernels, () => withThreads(b.threads, () => executeTrial(t, b.out, (r) => b.progress.record(t.id, r)))),
        );
      }
    } catch (e) {
      if (!(e instanceof Interrupted)) throw e;
      interrupted = true;
    }
  } else {
    const configs = b.withConfigs ? new Map(pending.map((t) => [t.id, t.config])) : undefined;
    await runPool(
      pending.map((t) => t.id),
      {
        experiment: b.experiment,
        overrides: b.overrides,
        out: b.out,
        workers: b.workers,
        threads: b.threads,
        configs,
        onRecord: (id, r) => b.progress.record(id, r),
        onDone: (_id, s) => summaries.push(s),
      },
    );
  }
  return { summaries, interrupted: interrupted || stopRequested() };
}

function alreadyFinished(out: string, statuses: readonly string[]): SpecError {
  const failed = statuses.filter((s) => s === 'failed').length;
  return new SpecError(
    `--out ${out}: already holds ${statuses.length} finished trial(s) of this experiment${failed ? ` (${failed} failed)` : ''};` +
      ' pass --resume to continue (failed trials rerun), --fresh to start afresh, or choose another --out',
  );
}

export async function runExperiment(experimentPath: string, opts: RunOptions = {}): Promise<RunResult> {
  const log = opts.log ?? ((s: string) => process.stderr.write(s));
  // The same backend in this process and in every worker (they read the same variable).
  checkRunFlags(opts);
  const { name: backend, backend: kernels } = await backendFromEnv();
  const loaded = await loadExperiment(experimentPath, opts);
  const { spec } = loaded;
  const out = opts.out ?? join('results', spec.name);
  const workers = opts.workers ?? cpus().length;
  if (!Number.isInteger(workers) || workers < 1) throw new SpecError(`--workers: expected a positive integer, got ${workers}`);
  const mine = opts.shard ? shard(loaded.trials, opts.shard.index, opts.shard.count) : loaded.trials;
  const inline = opts.inline ?? workers === 1;
  const stages = await planStages(spec, loaded.path, {
    quick: opts.quick,
    cannotRun: opts.shard ? 'with --shard every shard would run it' : undefined,
    out,
    backend,
    workers: inline ? 1 : workers,
  });
  preflight(spec, mine, { backend, workers: inline ? 1 : workers, keepData: inline, willWrite: written(stages) });
  const manifest = buildManifest(
    spec,
    experimentPath,
    loaded.trials,
    opts.debug ?? false,
    { ...environment(), backend },
    { rules: opts.rules, seeds: opts.seeds, epochs: opts.epochs, subset: opts.subset, quick: opts.quick, tuned: opts.tuned },
  );
  if (stages.some((s) => s.finished < s.total) && !opts.fresh) {
    // This run's own directory is checked before a stage trains for minutes.
    checkClaim(out, manifest, loaded.trials);
    const earlier = finishedTrials(
      out,
      mine.map((t) => t.id),
    );
    if (earlier.size && !opts.resume) throw alreadyFinished(out, [...earlier.values()]);
  }
  const staged = await runStages(
    stages,
    (s) =>
      runExperiment(s.file, {
        out: s.out,
        resume: true,
        quick: opts.quick,
        workers: opts.workers,
        threads: opts.threads,
        inline,
        log,
        tty: opts.tty,
      }),
    log,
  );
  if (staged.interrupted) return { out, backend, interrupted: true, total: mine.length, skipped: 0, ran: 0, rerunFailed: 0, summaries: [] };

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
    claimDirectory(out, manifest, loaded.trials);
    const { finished, notes } = scanRecords(
      out,
      mine.map((t) => t.id),
    );
    const kept = mine.filter((t) => finished.has(t.id) && finished.get(t.id) !== 'failed');
    const failedBefore = mine.filter((t) => finished.get(t.id) === 'failed');
    if (finished.size && !opts.resume) throw alreadyFinished(out, [...finished.values()]);
    const pending = mine.filter((t) => !kept.includes(t));
    notes.push(
      ...clearPartials(
        out,
        pending.map((t) => t.id),
        kept.map((t) => t.id),
      ),
    );
    if (failedBefore.length) notes.push(`${failedBefore.length} trial(s) that failed in an earlier run are rerun`);
    for (const n of notes) log(`${n}\n`);
    // Threads split one trial's kernels; records do not depend on how many (fixed partitioning).
    const threads = opts.threads ?? Math.max(1, Math.floor(cpus().length / Math.max(1, Math.min(inline ? 1 : workers, pending.length))));
    const progress = new Progress(
      pending.length,
      opts.log,
      opts.tty,
      trialLabels(
        loaded.trials.map((t) => ({ id: t.id, ...t.config, entry: t.entry })),
        spec.rules.map(manifestRule),
        { optimizer: spec.optimizer },
      ),
    );
    const overrides = {
      rules: opts.rules,
      seeds: opts.seeds,
      epochs: opts.epochs,
      subset: opts.subset,
      quick: opts.quick,
      debug: opts.debug,
      tuned: opts.tuned,
    };
    const { summaries, interrupted } = await runTrials(pending, {
      experiment: loaded.path,
      overrides,
      out,
      workers,
      threads,
      inline,
      kernels,
      progress,
    });
    progress.finish();
    return {
      out,
      backend,
      interrupted,
      total: mine.length,
      skipped: kept.length,
      ran: pending.length,
      rerunFailed: failedBefore.length,
      summaries,
    };
  } finally {
    lock.release();
  }
}
