// The command line: bad input gets one line naming the flag or path and the right exit code,
// never a stack trace; failed trials make the run exit non-zero (diverged ones do not); a
// second process on one --out stops at once naming the holder, and a dead holder's lock is taken over.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, resumeCommand } from '../../src/cli.ts';
import { hasStackTrace, tmp } from '../runner/helpers.ts';

const TINY = 'test/runner/fixtures/tiny-experiment.ts';

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const lines = (s: string) => s.split('\n').filter((l) => l.trim());

describe('bad command lines', () => {
  const missing = join(tmp('cli'), 'no-such-dir');
  const empty = tmp('cli');
  const CASES: Array<[string[], number, RegExp]> = [
    [['run', TINY, '--epoch', '1'], 2, /^rulebench: run: unknown flag --epoch \(did you mean --epochs\?\); see rulebench run --help$/],
    [['run', TINY, '--epochs'], 2, /^rulebench: run: --epochs needs a value \(e\.g\. --epochs 3\)$/],
    [['run', TINY, '--out'], 2, /--out needs a value/],
    [['run', TINY, '--resume=yes'], 2, /--resume takes no value/],
    [['run', TINY, '--workers', '0'], 2, /--workers: expected a positive integer, got "0"/],
    [['run', TINY, '--backend', 'cuda'], 2, /^rulebench: --backend: unknown backend "cuda"; accepted: wasm, native, webgpu, reference$/],
    [['tune', TINY, '--backend', 'gpu'], 2, /--backend: unknown backend "gpu"/],
    [['run', TINY, '--seeds', '0,,1'], 2, /--seeds: expected comma-separated non-negative integers/],
    [['run', TINY, '--shard', '2/2'], 2, /--shard: expected i\/n/],
    [['run'], 2, /run: expected one experiment file, got none/],
    [['run', TINY, 'extra.ts'], 2, /run: expected one experiment file, got ".*" "extra\.ts"/],
    [['run', 'no-such-experiment.ts'], 1, /SpecError: experiment no-such-experiment\.ts: no such file/],
    [['run', TINY, '--rules', 'backprob'], 1, /--rules: "backprob" is not in the experiment; its rules: backprop, feedback-alignment/],
    [['run', TINY, '--quick'], 1, /--quick: experiment "tiny" declares no quick settings/],
    [['run', TINY, '--fresh', '--shard', '0/2'], 1, /--fresh: not with --shard/],
    [['report'], 2, /report: expected one results directory, got none/],
    [['report', missing], 1, /report: .*no-such-dir does not exist/],
    [['report', empty], 1, /report: .* holds no records/],
    [['list', 'extra'], 2, /list: takes no arguments/],
    [['frobnicate'], 2, /unknown command "frobnicate"; commands: run, tune, report, list/],
  ];
  it.each(CASES)('%j → exit %i with one line', async (argv, code, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(code);
    expect(lines(r.stderr)[0]).toMatch(message);
    if (argv[0] !== 'frobnicate') expect(lines(r.stderr)).toHaveLength(1);
    expect(hasStackTrace(r.stderr + r.stdout)).toBe(false);
  });

  it('report <missing-dir> does not create it', () => {
    expect(existsSync(missing)).toBe(false);
  });

  it('run --help prints the usage of every flag and exits 0', async () => {
    const r = await cli('run', '--help');
    expect(r.code).toBe(0);
    for (const flag of [
      '--rules',
      '--seeds',
      '--epochs',
      '--subset',
      '--out',
      '--workers',
      '--backend',
      '--shard',
      '--resume',
      '--fresh',
      '--quick',
      '--debug',
      '--no-report',
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });
});

describe('exit codes of runs', () => {
  it('a failed trial makes the run exit 1, naming it; a diverged one is a result (exit 0)', async () => {
    const failed = await cli('run', 'test/runner/fixtures/faulty-experiment.ts', '--out', tmp('cli'), '--workers', '1', '--no-report');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/4 trial\(s\) run: 1 done, 1 diverged \(a result\), 2 failed/);
    expect(failed.stdout).toMatch(
      /failed: throwing-rule \{\} seed 0: rule "throwing-rule": Error: synthesizer exploded \(step 3, epoch 0\)/,
    );
    expect(lines(failed.stderr).at(-1)).toMatch(
      /^rulebench: 2 trial\(s\) failed \(see above\); fix the cause, then rerun them with: npx tsx src\/cli\.ts run .* --resume$/,
    );
    const diverged = await cli('run', 'test/runner/fixtures/diverging-experiment.ts', '--out', tmp('cli'), '--workers', '1', '--no-report');
    expect(diverged.code).toBe(0);
    expect(diverged.stdout).toMatch(/1 trial\(s\) run: 0 done, 1 diverged \(a result\), 0 failed/);
  });

  it("the resume hint is a command for the user's shell", () => {
    const argv = ['run', 'experiments/mnist-compare.ts', '--out', 'my results'];
    expect(resumeCommand(argv, {}, process.cwd())).toBe("npx tsx src/cli.ts run experiments/mnist-compare.ts --out 'my results' --resume");
    const npmStart = { npm_lifecycle_event: 'start', npm_lifecycle_script: 'tsx src/cli.ts run experiments/mnist-compare.ts --resume' };
    expect(resumeCommand(['run', 'experiments/mnist-compare.ts', '--resume'], npmStart)).toBe('npm start');
    expect(resumeCommand(['run', 'experiments/mnist-compare.ts', '--resume', '--epochs', '2'], npmStart)).toBe('npm start -- --epochs 2');
    const npmRun = { npm_lifecycle_event: 'rulebench', npm_lifecycle_script: 'tsx src/cli.ts' };
    expect(resumeCommand(argv, npmRun)).toBe("npm run rulebench -- run experiments/mnist-compare.ts --out 'my results' --resume");
    expect(resumeCommand(argv, {}, '/')).toMatch(/^\/\S+\/node_modules\/\.bin\/tsx \/\S+\/src\/cli\.ts run .* --resume$/);
    // Started as the package's command (from a checkout or a project that installed rulebench).
    const bin = "npx rulebench run experiments/mnist-compare.ts --out 'my results' --resume";
    expect(resumeCommand(argv, {}, '/', '/home/me/project/node_modules/.bin/rulebench')).toBe(bin);
    expect(resumeCommand(argv, {}, process.cwd(), join(process.cwd(), 'bin', 'rulebench.mjs'))).toBe(bin);
  });
});

describe('one process per results directory', () => {
  it("a second process stops at once naming the holder's PID; a dead holder's lock is taken over", async () => {
    const out = tmp('lock');
    const holder = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'run', 'test/runner/fixtures/slow-experiment.ts', '--out', out, '--workers', '1', '--no-report'],
      {
        stdio: 'ignore',
      },
    );
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    try {
      // Wait until it is training (its lock exists and a trial has started).
      for (
        let i = 0;
        i < 1200 && !(existsSync(join(out, 'records')) && readdirSync(join(out, 'records')).some((f) => f.includes('partial')));
        i++
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const started = performance.now();
      const second = await cli('run', 'test/runner/fixtures/slow-experiment.ts', '--out', out, '--workers', '1', '--no-report', '--resume');
      expect(second.code).toBe(1);
      expect(lines(second.stderr)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^rulebench: SpecError: --out ${out}: in use by process ${holder.pid}, running since .*; wait for it to finish, or use another --out$`,
          ),
        ),
      ]);
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
    const after = await cli(
      'run',
      'test/runner/fixtures/slow-experiment.ts',
      '--out',
      out,
      '--workers',
      '1',
      '--no-report',
      '--resume',
      '--rules',
      'backprop',
      '--seeds',
      '0',
    );
    expect(after.stderr).toContain(`took over the lock of process ${holder.pid}, which is no longer running`);
    expect(after.code).toBe(0);
    expect(readdirSync(out).filter((f) => f.startsWith('.rulebench.lock'))).toEqual([]);
  }, 120_000);

  it('shards of one sweep share a directory; a lock from another host is respected', async () => {
    const out = tmp('lock');
    mkdirSync(out, { recursive: true });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      join(out, '.rulebench.lock.1of2'),
      JSON.stringify({ pid: 1, host: 'node-7', boot: null, start: null, since: 'then', shard: '1/2', command: 'x' }),
    );
    const sibling = await cli('run', TINY, '--out', out, '--shard', '0/2', '--workers', '1', '--epochs', '1');
    expect(sibling.code).toBe(0);
    const whole = await cli('run', TINY, '--out', out, '--workers', '1', '--epochs', '1', '--resume', '--no-report');
    expect(whole.code).toBe(1);
    expect(whole.stderr).toMatch(/in use by process 1 on host node-7 \(if it no longer runs there, delete the lock file/);
  }, 60_000);
});
