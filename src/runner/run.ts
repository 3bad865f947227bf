// Running an experiment: validate everything, prepare the results directory, skip finished
// trials on --resume, take this shard's slice, and run the rest in-process or on workers.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SpecError } from '../errors.ts';
import { setKernelThreads, useBackendFromEnv, type BackendName } from '../kernels/select.ts';
import { clearPartials, isFinished, prepareOutput, writeFileAtomic } from './records.ts';
import { executeTrial, loadExperiment } from './execute.ts';
import { Interrupted, stopRequested } from './interrupt.ts';
import { runPool } from './pool.ts';
import { Progress } from './progress.ts';
import { shard, type RunOverrides } from './spec.ts';
import type { SummaryRecord } from './trial.ts';

export interface RunOptions extends RunOverrides {
  out?: string;
  workers?: number;
  /** Kernel threads per trial (default: the cores left after the trials running at once). */
  threads?: number;
  shard?: { index: number; count: number };
  resume?: boolean;
  /** Progress output (default: stderr). */
  log?: (s: string) => void;
  tty?: boolean;
}

export interface RunResult {
  out: string;
  backend: BackendName;
  total: number;
  skipped: number;
  ran: number;
  summaries: SummaryRecord[];
  /** Stopped early by a stop request (SIGINT); finished trials are kept. */
  interrupted: boolean;
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
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

export async function runExperiment(experimentPath: string, opts: RunOptions = {}): Promise<RunResult> {
  // The same backend in this process and in every worker (they read the same variable).
  const backend = await useBackendFromEnv();
  const loaded = await loadExperiment(experimentPath, opts);
  const { spec } = loaded;
  const out = opts.out ?? join('results', spec.name);
  const workers = opts.workers ?? cpus().length;
  if (!Number.isInteger(workers) || workers < 1) throw new SpecError(`--workers: expected a positive integer, got ${workers}`);
  prepareOutput(out);
  const mine = opts.shard ? shard(loaded.trials, opts.shard.index, opts.shard.count) : loaded.trials;
  const finished = mine.filter((t) => isFinished(out, t.id));
  if (finished.length && !opts.resume) {
    throw new SpecError(`--out ${out}: already holds ${finished.length} finished trial(s) of this experiment; pass --resume to continue, or choose another --out`);
  }
  clearPartials(out);
  const pending = mine.filter((t) => !isFinished(out, t.id));
  const threads = opts.threads ?? Math.max(1, Math.floor(cpus().length / Math.max(1, Math.min(workers, pending.length))));
  setKernelThreads(threads);
  const manifest = {
    name: spec.name,
    description: spec.description ?? null,
    experiment: experimentPath,
    spec: {
      ...spec,
      // Each rule's defaults too: the report labels series by what differs from them, whatever process builds it.
      rules: spec.rules.map((r) => ({ rule: r.rule.id, options: r.options, grid: Object.fromEntries(r.grid), optimizer: r.optimizer, defaults: r.rule.defaults })),
    },
    // What the command line changed (the file's description speaks of the run without them).
    overrides: { rules: opts.rules, seeds: opts.seeds, epochs: opts.epochs, subset: opts.subset, quick: opts.quick },
    trials: loaded.trials.map((t) => ({ id: t.id, rule: t.config.rule, options: t.config.options, seed: t.config.seed })),
    environment: { ...environment(), backend },
  };
  const manifestPath = join(out, 'experiment.json');
  // Shards of one sweep write the same manifest; keep the first.
  if (!existsSync(manifestPath)) writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);

  const progress = new Progress(pending.length, opts.log, opts.tty);
  const summaries: SummaryRecord[] = [];
  let interrupted = false;
  if (workers === 1 || pending.length <= 1) {
    try {
      for (const t of pending) {
        if (stopRequested()) throw new Interrupted();
        summaries.push(executeTrial(t, out, (r) => progress.record(t.id, r)));
      }
    } catch (e) {
      if (!(e instanceof Interrupted)) throw e;
      interrupted = true;
    }
  } else {
    await runPool(
      pending.map((t) => t.id),
      {
        experiment: loaded.path, overrides: { rules: opts.rules, seeds: opts.seeds, epochs: opts.epochs, subset: opts.subset, quick: opts.quick, debug: opts.debug },
        out, workers, threads,
        onRecord: (id, r) => progress.record(id, r),
        onDone: (_id, s) => summaries.push(s),
      },
    );
  }
  progress.finish();
  interrupted ||= stopRequested();
  return { out, backend, interrupted, total: mine.length, skipped: finished.length, ran: pending.length, summaries };
}
