// The runner: identical records for identical seeds whatever the workers or shards, resume after
// a kill, and clear spec errors.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointPath, readRecords } from '../../src/runner/records.ts';
import { runExperiment } from '../../src/runner/run.ts';
import { canonicalRecords } from './helpers.ts';

const TINY = 'test/runner/fixtures/tiny-experiment.ts';
const SLOW = 'test/runner/fixtures/slow-experiment.ts';
const tmp = () => mkdtempSync(join(tmpdir(), 'rulebench-runner-'));
const quiet = { log: () => {}, tty: false };

describe('runner', () => {
  it('same seed ⇒ identical records (timing excluded); 1 worker = 2 workers = 2 shards merged', async () => {
    const a = tmp();
    const b = tmp();
    const c = tmp();
    const d = tmp();
    await runExperiment(TINY, { out: a, workers: 1, ...quiet });
    await runExperiment(TINY, { out: b, workers: 1, ...quiet });
    await runExperiment(TINY, { out: c, workers: 2, ...quiet });
    await runExperiment(TINY, { out: d, workers: 1, shard: { index: 0, count: 2 }, ...quiet });
    const half = canonicalRecords(d).length;
    await runExperiment(TINY, { out: d, workers: 1, shard: { index: 1, count: 2 }, ...quiet });
    const ra = canonicalRecords(a);
    expect(ra.length).toBeGreaterThan(6 * 3);
    expect(canonicalRecords(b)).toEqual(ra);
    expect(canonicalRecords(c)).toEqual(ra);
    expect(half).toBeGreaterThan(0);
    expect(half).toBeLessThan(ra.length);
    expect(canonicalRecords(d)).toEqual(ra);
    // 3 rule variants × 2 seeds, one summary each.
    expect(readRecords(a).filter((r) => r.type === 'summary')).toHaveLength(6);
  }, 120_000);

  it('times steps in wall and CPU time, with a median step', async () => {
    const a = tmp();
    await runExperiment(TINY, { out: a, workers: 1, seeds: [0], ...quiet });
    const summaries = readRecords(a).filter((r) => r.type === 'summary');
    expect(summaries.length).toBeGreaterThan(0);
    for (const s of summaries) {
      const { stepMs, stepCpuMs, medianStepMs } = s.host;
      expect(s.steps).toBeGreaterThan(0);
      expect(stepMs).toBeGreaterThan(0);
      expect(stepCpuMs).toBeGreaterThan(0);
      // The median of non-negative step times is at most twice their mean.
      expect(medianStepMs).toBeGreaterThan(0);
      expect(medianStepMs!).toBeLessThanOrEqual((2 * stepMs) / s.steps);
    }
    const evals = readRecords(a).filter((r) => r.type === 'eval');
    expect(evals.every((e) => e.host.stepCpuMs >= 0 && Number.isFinite(e.host.stepCpuMs))).toBe(true);
  });

  it('refuses to overwrite finished records without --resume; --resume skips them', async () => {
    const a = tmp();
    await runExperiment(TINY, { out: a, workers: 1, seeds: [0], ...quiet });
    await expect(runExperiment(TINY, { out: a, workers: 1, seeds: [0], ...quiet })).rejects.toThrow(/--resume/);
    const res = await runExperiment(TINY, { out: a, workers: 1, seeds: [0], resume: true, ...quiet });
    expect(res.ran).toBe(0);
    expect(res.skipped).toBe(3);
  });

  let ref: string | null = null;
  const reference = async () => {
    if (!ref) {
      ref = tmp();
      await runExperiment(SLOW, { out: ref, workers: 1, ...quiet });
    }
    return ref;
  };

  /** Start a 2-worker run in a child process and send `signal` once `finished` trials have finished. */
  function interruptRun(
    out: string,
    signal: NodeJS.Signals,
    finished = 1,
    checkpointed = false,
  ): Promise<{ code: number | null; signal: string | null; stdout: string }> {
    const cli = ['--import', 'tsx', 'src/cli.ts', 'run', SLOW, '--out', out, '--workers', '2', '--no-report'];
    return new Promise((resolve) => {
      const p = spawn(process.execPath, cli, { stdio: ['ignore', 'pipe', 'ignore'] });
      let stdout = '';
      p.stdout.on('data', (d) => (stdout += d));
      const poll = setInterval(() => {
        let files: string[] = [];
        try {
          files = readdirSync(join(out, 'records'));
        } catch {
          /* not created yet */
        }
        const done = files.filter((f) => f.endsWith('.jsonl') && !f.includes('partial')).length;
        // Kill while a trial is writing, once `finished` have finished (a slow worker may not
        // have started its first trial when the other finishes one).
        if (files.some((f) => f.includes('partial')) && done >= finished && (!checkpointed || files.some((f) => f.endsWith('.ckpt')))) {
          clearInterval(poll);
          p.kill(signal);
        }
      }, 50);
      p.on('exit', (code, sig) => {
        clearInterval(poll);
        resolve({ code, signal: sig, stdout });
      });
    });
  }

  it('SIGINT stops cleanly with a resume hint; --resume completes with identical records', async () => {
    const out = tmp();
    const r = await interruptRun(out, 'SIGINT');
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/interrupted: .*--resume/s);
    const res = await runExperiment(SLOW, { out, workers: 2, resume: true, ...quiet });
    expect(res.skipped).toBeGreaterThan(0);
    expect(canonicalRecords(out)).toEqual(canonicalRecords(await reference()));
  }, 240_000);

  it.each([0, 1, 4])(
    'killed with SIGKILL after %i finished trial(s): --resume ends with one summary per trial and the same records',
    async (finished) => {
      const killed = tmp();
      const r = await interruptRun(killed, 'SIGKILL', finished);
      expect(r.signal).toBe('SIGKILL');
      const before = readdirSync(join(killed, 'records'));
      expect(before.some((f) => f.includes('partial'))).toBe(true);
      const res = await runExperiment(SLOW, { out: killed, workers: 1, resume: true, ...quiet });
      expect(res.skipped).toBeGreaterThanOrEqual(finished);
      const recs = readRecords(killed);
      const summaries = recs.filter((r) => r.type === 'summary').map((r) => r.trial);
      expect(new Set(summaries).size).toBe(6);
      expect(summaries).toHaveLength(6);
      expect(readdirSync(join(killed, 'records')).some((f) => f.includes('partial'))).toBe(false);
      for (const f of readdirSync(join(killed, 'records'))) {
        for (const line of readFileSync(join(killed, 'records', f), 'utf8')
          .trim()
          .split('\n'))
          expect(() => JSON.parse(line)).not.toThrow();
      }
      expect(canonicalRecords(killed)).toEqual(canonicalRecords(await reference()));
    },
    240_000,
  );

  it('--resume removes the checkpoint a kill left behind a finished trial (between its records and the checkpoint removal)', async () => {
    const dir = tmp();
    cpSync(await reference(), dir, { recursive: true });
    const [first] = readdirSync(join(dir, 'records')).filter((f) => f.endsWith('.jsonl'));
    const stale = checkpointPath(dir, first.replace('.jsonl', ''));
    writeFileSync(stale, 'RBCKPT02 a checkpoint the kill left behind');
    const res = await runExperiment(SLOW, { out: dir, workers: 1, resume: true, ...quiet });
    expect(res.skipped).toBe(6);
    expect(existsSync(stale)).toBe(false);
    expect(canonicalRecords(dir)).toEqual(canonicalRecords(await reference()));
  }, 240_000);

  it('killed with SIGKILL part-way through a trial: --resume continues it from its last epoch checkpoint, with the same records', async () => {
    const killed = tmp();
    const r = await interruptRun(killed, 'SIGKILL', 0, true);
    expect(r.signal).toBe('SIGKILL');
    expect(readdirSync(join(killed, 'records')).some((f) => f.endsWith('.ckpt'))).toBe(true);
    const notes: string[] = [];
    await runExperiment(SLOW, { out: killed, workers: 1, resume: true, ...quiet, log: (s) => notes.push(s) });
    expect(notes.join('')).toMatch(/interrupted trial\(s\) continue from their last checkpoint: \w+ from epoch [1-3]/);
    expect(readdirSync(join(killed, 'records')).filter((f) => !f.endsWith('.jsonl') || f.includes('partial'))).toEqual([]);
    expect(canonicalRecords(killed)).toEqual(canonicalRecords(await reference()));
  }, 240_000);
});
