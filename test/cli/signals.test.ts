// Ctrl-C as a terminal delivers it: SIGINT to the whole process group of `npx tsx …` or `npm run
// rulebench -- …`, so the CLI also gets the copy its wrapper forwards. One press must stop after
// the current step and print a resume command that works when pasted into the shell.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecords } from '../../src/runner/records.ts';
import { sh, tmp, type Exit } from '../runner/helpers.ts';

const SLOW = 'test/runner/fixtures/slow-experiment.ts';

/** Start `command` in its own process group; once a trial is training, SIGINT the group once. */
function pressCtrlC(command: string[], out: string): Promise<Exit> {
  return new Promise((resolve) => {
    const p = spawn(command[0], [...command.slice(1), '--out', out], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      const dir = join(out, 'records');
      if (existsSync(dir) && readdirSync(dir).some((f) => f.includes('partial'))) {
        clearInterval(poll);
        process.kill(-p.pid!, 'SIGINT');
      }
    }, 50);
    p.on('exit', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const hint = (stdout: string) => /the unfinished ones rerun with:\n {2}(.+)\n/.exec(stdout)?.[1];

describe('Ctrl-C under npx and npm', () => {
  it('npx tsx: one press stops after the current step; the printed command resumes the run', async () => {
    const out = tmp('sigint');
    const r = await pressCtrlC(['npx', 'tsx', 'src/cli.ts', 'run', SLOW, '--seeds', '0', '--workers', '1', '--no-report'], out);
    expect(r.stderr).toContain('stopping after the current step');
    expect(r.stderr).not.toContain('exiting now');
    const command = hint(r.stdout);
    expect(command).toBe(`npx tsx src/cli.ts run ${SLOW} --seeds 0 --workers 1 --no-report --out ${out} --resume`);
    expect(readdirSync(join(out, 'records')).some((f) => f.includes('partial'))).toBe(true);
    const resumed = await sh(command!);
    expect(resumed.code).toBe(0);
    expect(readRecords(out).filter((x) => x.type === 'summary')).toHaveLength(2);
    expect(readdirSync(join(out, 'records')).some((f) => f.includes('partial'))).toBe(false);
  }, 240_000);

  it('npm run rulebench: the hint goes through the same npm script', async () => {
    const out = tmp('sigint');
    const r = await pressCtrlC(
      ['npm', 'run', '--silent', 'rulebench', '--', 'run', SLOW, '--seeds', '0', '--workers', '2', '--no-report'],
      out,
    );
    expect(r.stderr).toContain('stopping after the current step');
    expect(r.stderr).not.toContain('exiting now');
    expect(hint(r.stdout)).toBe(`npm run rulebench -- run ${SLOW} --seeds 0 --workers 2 --no-report --out ${out} --resume`);
  }, 120_000);
});
