// A sweep on a real Slurm, as a user runs one: scripts/ensure-slurm.sh brings up a single-node
// cluster (pretest does; so does beforeAll, for this file run alone), the documented array-job
// script (scripts/slurm-sweep.sh) runs a small sweep's shards, one task is killed with SIGKILL
// part-way through a trial and requeued, and the merged records equal an unsharded run's apart
// from timing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExperiment } from '../../src/runner/execute.ts';
import { readRecords } from '../../src/runner/records.ts';
import { runExperiment } from '../../src/runner/run.ts';
import { shard } from '../../src/runner/shard.ts';
import { canonicalRecords, quiet, tmp } from './helpers.ts';

const SWEEP = 'test/runner/fixtures/sweep-experiment.ts';
const SHARDS = 2;
const KILLED = 1; // the array task killed and requeued
const root = resolve(import.meta.dirname, '../..');

/** Run a Slurm command; its stdout, trimmed. */
function slurm(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: 30_000 }).trim();
}

/** `<task> <state>` lines of the job's array tasks, finished ones included (Slurm keeps them five minutes). */
const states = (job: string) => slurm('squeue', '-h', '-r', '-t', 'all', '-j', job, '-o', '%i %T');
const ACTIVE = /\b(PENDING|CONFIGURING|RUNNING|COMPLETING|REQUEUED|REQUEUE_HOLD|REQUEUE_FED|RESIZING|SUSPENDED|STOPPED)\b/;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `ok` until it holds; past the deadline, fail naming what was awaited and what `detail` shows then. */
async function until(what: string, seconds: number, ok: () => boolean, detail: () => string = () => ''): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`slurm test: still waiting for ${what} after ${seconds} s\n${detail()}`);
    await sleep(100);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let job: string | null = null;
let stopped: number | null = null; // a runner this test froze with SIGSTOP and has not yet killed
const dirs: string[] = [];

beforeAll(() => {
  const r = spawnSync('bash', [join(root, 'scripts/ensure-slurm.sh')], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) {
    const last = `${r.stderr ?? ''}`.trim().split('\n').pop() || `ensure-slurm.sh ended with ${r.signal ?? r.status}`;
    throw new Error(`Slurm could not start: ${last}`);
  }
}, 660_000);

// Whatever happened: no task left running, nothing left in /tmp.
afterAll(async () => {
  try {
    if (stopped !== null && alive(stopped)) process.kill(stopped, 'SIGKILL');
    if (job) {
      spawnSync('scancel', [job]);
      const end = Date.now() + 60_000;
      while (Date.now() < end && ACTIVE.test(states(job))) await sleep(200);
    }
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}, 90_000);

describe('a sweep as a Slurm array job', () => {
  it('runs the docs script sharded, survives a task killed mid-trial and requeued, and merges to the unsharded records', async () => {
    const { trials } = await loadExperiment(join(root, SWEEP));
    const mine = new Set(shard(trials, KILLED, SHARDS).map((t) => t.id)); // task KILLED's trials
    const [out, logs, ref] = ['slurm', 'slurm-logs', 'slurm-ref'].map((tag) => tmp(tag));
    dirs.push(out, logs, ref);
    job = slurm(
      'sbatch',
      '--parsable',
      `--array=0-${SHARDS - 1}`,
      '--cpus-per-task=1',
      `--chdir=${root}`,
      `--output=${logs}/%A_%a.out`,
      '--job-name=rulebench-test',
      join(root, 'scripts/slurm-sweep.sh'),
      SWEEP,
      out,
    ).split(';')[0];
    const task = `${job}_${KILLED}`;
    // What a timeout or a wrong end state shows: the tasks' states and the last lines of their logs.
    const tail = (f: string) =>
      readFileSync(join(logs, f), 'utf8')
        .split(/[\r\n]+/)
        .slice(-8)
        .join('\n');
    const logTails = () => [states(job!), ...readdirSync(logs).map((f) => `--- ${f}\n${tail(f)}`)].join('\n');

    // A trial of task KILLED part-way: its partial records and an epoch checkpoint on disk.
    const records = join(out, 'records');
    const files = () => (existsSync(records) ? readdirSync(records) : []);
    const midTrial = () => {
      const f = files();
      return f.some((n) => n.endsWith('.partial.jsonl') && mine.has(n.split('.')[0]) && f.includes(n.replace('.partial.jsonl', '.ckpt')));
    };
    const lock = join(out, `.rulebench.lock.${KILLED}of${SHARDS}`);
    // SIGKILL the task's runner (the PID its lock names), as a crash or the OOM killer would. It
    // is frozen (SIGSTOP) first and killed only if a trial is still mid-way then, so the kill
    // cannot land after the trial finished however slow the machine; else it goes on and we look
    // again. (scancel --signal=KILL would send SIGTERM first, which the runner answers by stopping
    // cleanly: not the crash meant here.)
    let killed = 0;
    await until(
      `task ${KILLED} to be part-way through a trial`,
      180,
      () => {
        if (!midTrial() || !existsSync(lock)) return false;
        const { pid } = JSON.parse(readFileSync(lock, 'utf8')) as { pid: number };
        if (!alive(pid)) return false;
        process.kill(pid, 'SIGSTOP');
        stopped = pid;
        if (midTrial()) {
          process.kill(pid, 'SIGKILL');
          killed = pid;
        } else process.kill(pid, 'SIGCONT');
        stopped = null;
        return killed !== 0;
      },
      logTails,
    );
    await until(`task ${KILLED} to end`, 60, () => !ACTIVE.test(states(task)), logTails);
    const ended = Math.floor(Date.now() / 1000);
    expect(states(task)).toMatch(/ FAILED$/);
    // Slurm holds a requeued job back (EligibleTime about two minutes on) because slurmd refuses to
    // launch a job again under a credential no newer than the one it revoked when the job ended
    // ("Job N already killed, do not launch batch job"; times in whole seconds). Past the second
    // the task was seen to end, starting it at once is safe.
    await until('the second after the task ended', 5, () => Date.now() / 1000 >= ended + 2);
    slurm('scontrol', 'requeue', task);
    slurm('scontrol', 'update', `JobId=${task}`, 'StartTime=now');

    // Meanwhile, the unsharded reference run.
    await runExperiment(join(root, SWEEP), { out: ref, ...quiet });

    await until('the array job to finish', 180, () => !ACTIVE.test(states(job!)), logTails);
    expect(states(job).split('\n').sort(), logTails()).toEqual(Array.from({ length: SHARDS }, (_, i) => `${job}_${i} COMPLETED`));
    // The requeued task took over the killed runner's lock and continued the trial from its checkpoint.
    const log = readFileSync(join(logs, `${job}_${KILLED}.out`), 'utf8');
    expect(log).toContain(`took over the lock of process ${killed}, which is no longer running`);
    expect(log).toMatch(/1 interrupted trial\(s\) continue from their last checkpoint: \w+ from epoch \d+/);
    expect(files().filter((f) => !f.endsWith('.jsonl') || f.endsWith('.partial.jsonl'))).toEqual([]);
    expect(readRecords(out).filter((r) => r.type === 'summary')).toHaveLength(trials.length);
    expect(canonicalRecords(out)).toEqual(canonicalRecords(ref));
  }, 600_000);
});
