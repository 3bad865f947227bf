// A sweep on a real Slurm, as a user runs one: scripts/ensure-slurm.sh brings up a single-node
// cluster, the documented array-job script (scripts/slurm-sweep.sh) runs a small sweep's shards,
// one task is killed with SIGKILL part-way through its shard and requeued, and the merged records
// equal an unsharded run's apart from timing. (Continuing a trial from its epoch checkpoint after
// a kill is runner.test.ts's.)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExperiment } from '../../src/runner/execute.ts';
import { readRecords } from '../../src/runner/records.ts';
import { runExperiment } from '../../src/runner/run.ts';
import { shard } from '../../src/runner/shard.ts';
import { canonicalRecords, quiet, tmp } from './helpers.ts';

const SWEEP = 'test/runner/fixtures/sweep-experiment.ts';
const SHARDS = 3;
const KILLED = 1; // the array task killed and requeued
const root = resolve(import.meta.dirname, '../..');

/** Run a Slurm command; its stdout, trimmed. */
function slurm(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: 15_000 }).trim();
}

/** The states of the array's tasks still known to the queue ('' when all have left it). */
const queued = (job: string) => slurm('squeue', '-h', '-r', '-j', job, '-o', '%i %T');

async function until(what: string, seconds: number, ok: () => boolean): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`slurm test: timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

let job: string | null = null;

beforeAll(() => {
  // Installing takes a minute or so on a fresh machine; when Slurm is up this returns at once.
  const r = spawnSync('bash', [join(root, 'scripts/ensure-slurm.sh')], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) {
    const last = `${r.stderr ?? ''}`.trim().split('\n').pop() || `ensure-slurm.sh ended with ${r.signal ?? r.status}`;
    throw new Error(`Slurm could not start: ${last}`);
  }
}, 660_000);

afterAll(() => {
  if (job) spawnSync('scancel', [job]);
});

describe('a sweep as a Slurm array job', () => {
  it('runs the README script sharded, survives a killed and requeued task, and merges to the unsharded records', async () => {
    // Task KILLED's trials (known before the job starts, so none of its files is missed): it is
    // killed as soon as it is writing one, the earliest moment a busy machine lets us see.
    const { trials } = await loadExperiment(join(root, SWEEP));
    const mine = shard(trials, KILLED, SHARDS).map((t) => t.id);
    const out = tmp('slurm');
    const logs = tmp('slurm-logs');
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

    const id = (f: string) => f.slice(0, f.indexOf('.'));
    const files = () => (existsSync(join(out, 'records')) ? readdirSync(join(out, 'records')) : []);
    const unfinished = () => files().filter((f) => mine.includes(id(f)) && f.endsWith('.partial.jsonl'));
    await until(`task ${KILLED} to start a trial`, 180, () => unfinished().length > 0);
    // SIGKILL to the task's runner process, as a crash or the OOM killer would: the PID its lock
    // file names. (scancel --signal=KILL cancels an array task with SIGTERM first, which the
    // runner answers by stopping cleanly: not the hard kill meant here.)
    const { pid } = JSON.parse(readFileSync(join(out, `.rulebench.lock.${KILLED}of${SHARDS}`), 'utf8')) as { pid: number };
    process.kill(pid, 'SIGKILL');
    await until(`task ${KILLED} to end`, 60, () => !/ (RUNNING|COMPLETING)/.test(queued(`${job}_${KILLED}`)));
    // Killed part-way: a trial of its shard left unfinished (SIGKILL leaves its partial records).
    expect(unfinished().length).toBeGreaterThan(0);
    slurm('scontrol', 'requeue', `${job}_${KILLED}`);
    // Slurm holds a requeued job back for a while (EligibleTime about two minutes on); let it start now.
    slurm('scontrol', 'update', `JobId=${job}_${KILLED}`, 'StartTime=now');

    // Meanwhile, the unsharded reference run.
    const ref = tmp('slurm-ref');
    await runExperiment(join(root, SWEEP), { out: ref, ...quiet });

    await until('the array job to finish', 180, () => queued(job!) === '');
    const log = readFileSync(join(logs, `${job}_${KILLED}.out`), 'utf8');
    // The requeued task found the killed one's lock and its unfinished trial, and finished the shard.
    expect(log).toMatch(/took over the lock of process \d+, which is no longer running/);
    expect(files().filter((f) => !f.endsWith('.jsonl') || f.includes('partial'))).toEqual([]);
    expect(readRecords(out).filter((r) => r.type === 'summary')).toHaveLength(trials.length);
    expect(canonicalRecords(out)).toEqual(canonicalRecords(ref));
  }, 420_000);
});
