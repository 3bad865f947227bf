// A two-stage experiment (issue 31 item 4): a fine-tuning spec names the pretraining experiment it
// needs and that stage's results directory; the runner runs the stage first (or resumes it),
// reuses it once finished, and refuses a directory holding another run, a stage that does not
// write the `init` file, a missing stage file and a cycle, each in one line before anything is written.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { readRecords } from '../../src/runner/records.ts';
import type { EvalRecord, SummaryRecord } from '../../src/runner/record-types.ts';
import { runExperiment, type RunOptions } from '../../src/runner/run.ts';
import { quiet, tmp } from './helpers.ts';

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const BLOBS = { name: 'blobs', train: 96, test: 32, classes: 3, features: 4, validation: 16 };

/** The fixture pair in `dir`: pretrain.ts (saves its parameters) and finetune.ts (starts from them). */
function stagePair(dir: string, opts: { seeds?: number[]; init?: string; needs?: object[] } = {}) {
  const pre = join(dir, 'runs', 'pre');
  const params = join(pre, 'params', 'mlp-seed{seed}.json');
  const pretrain = {
    name: 'stage-pretrain',
    data: BLOBS,
    model: { sizes: [4, 8, 3] },
    optimizer: { name: 'sgd', lr: 0.1 },
    rules: ['backprop'],
    seeds: opts.seeds ?? [0],
    epochs: 2,
    batchSize: 16,
    saveParams: params,
    quick: { epochs: 1, saveParams: join(dir, 'runs', 'pre-quick', 'params', 'mlp-seed{seed}.json') },
  };
  const finetune = {
    name: 'stage-finetune',
    data: BLOBS,
    model: { sizes: [4, 8, 3] },
    // A rate too small to move the model: its first evaluation scores the parameters it started from.
    optimizer: { name: 'sgd', lr: 1e-9 },
    rules: ['backprop'],
    seeds: [0],
    epochs: 1,
    batchSize: 16,
    init: opts.init ?? params.replace('{seed}', '0'),
    needs: opts.needs ?? [{ experiment: './pretrain.ts', out: pre }],
    quick: {
      init: join(dir, 'runs', 'pre-quick', 'params', 'mlp-seed0.json'),
      needs: [{ experiment: './pretrain.ts', out: join(dir, 'runs', 'pre-quick') }],
    },
  };
  writeFileSync(join(dir, 'pretrain.ts'), `export default ${JSON.stringify(pretrain)};\n`);
  writeFileSync(join(dir, 'finetune.ts'), `export default ${JSON.stringify(finetune)};\n`);
  return { pretrain: join(dir, 'pretrain.ts'), finetune: join(dir, 'finetune.ts'), pre, out: join(dir, 'runs', 'fine') };
}

const run = (file: string, out: string, ...flags: string[]) => cli('run', file, '--out', out, '--workers', '1', '--no-report', ...flags);

/** The same run on this thread (the CLI trains on a worker thread, which costs seconds to start). */
async function inline(file: string, out: string, opts: RunOptions = {}): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const res = await runExperiment(file, { ...quiet, ...opts, out, log: (s) => (stderr += s) });
  return { code: res.summaries.every((s) => s.status === 'done') ? 0 : 1, stderr };
}

/** Expect exit 1 with one `rulebench:` line matching `line`, and none of `paths` created. */
function refused(r: { code: number; stderr: string }, line: RegExp, ...paths: string[]): void {
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(line);
  expect(r.code).toBe(1);
  for (const p of paths) expect(existsSync(p), p).toBe(false);
}

describe('an experiment that needs another (needs: a pretraining stage)', () => {
  it('runs the stage first, fine-tunes from its parameters, then reuses the finished stage', async () => {
    const p = stagePair(tmp('needs'));
    const first = await inline(p.finetune, p.out);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(
      /needs\[0\]: running its stage first: rulebench run .*pretrain\.ts --out .*pre --resume \(0 of 1 trials finished\)/,
    );
    const pre = readRecords(p.pre).filter((r): r is SummaryRecord => r.type === 'summary');
    expect(pre.map((s) => s.status)).toEqual(['done']);
    expect(existsSync(join(p.pre, 'params', 'mlp-seed0.json'))).toBe(true);
    const fine = readRecords(p.out);
    expect(fine.filter((r) => r.type === 'summary').map((s) => (s as SummaryRecord).status)).toEqual(['done']);
    // Fine-tuning starts from the pretrained model: at a rate of 1e-9 its first evaluation scores
    // what the stage's last one scored (a fresh draw would start near ln 3 ≈ 1.1).
    const lastPre = readRecords(p.pre)
      .filter((r): r is EvalRecord => r.type === 'eval')
      .at(-1)!;
    const firstFine = fine.find((r): r is EvalRecord => r.type === 'eval')!;
    expect(firstFine.testLoss).toBeCloseTo(lastPre.testLoss!, 4);
    expect(firstFine.testAcc).toBe(lastPre.testAcc);

    const preFiles = readdirSync(join(p.pre, 'records')).map((f) => [f, statSync(join(p.pre, 'records', f)).mtimeMs]);
    const again = await inline(p.finetune, join(p.out, '..', 'fine2'));
    expect(again.code, again.stderr).toBe(0);
    // Named as the user can type it: absolute here, the stage lying outside the current directory.
    expect(again.stderr).toMatch(/needs\[0\]: reusing .*pre \(1 finished trial\(s\) of \/\S*pretrain\.ts\)/);
    expect(readdirSync(join(p.pre, 'records')).map((f) => [f, statSync(join(p.pre, 'records', f)).mtimeMs])).toEqual(preFiles);
  });

  it('resumes an unfinished stage, and --quick runs the stage quick into the directory quick names', async () => {
    const dir = tmp('needs-resume');
    const p = stagePair(dir, { seeds: [0, 1] });
    const half = await inline(p.pretrain, p.pre, { shard: { index: 1, count: 2 } });
    expect(half.code, half.stderr).toBe(0);
    const r = await inline(p.finetune, p.out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/needs\[0\]: running its stage first: .* \(1 of 2 trials finished\)/);
    expect(readRecords(p.pre).filter((x) => x.type === 'summary')).toHaveLength(2);

    const q = await inline(p.finetune, join(dir, 'runs', 'fine-quick'), { quick: true });
    expect(q.code, q.stderr).toBe(0);
    expect(q.stderr).toMatch(/needs\[0\]: running its stage first: rulebench run .*pretrain\.ts --quick --out .*pre-quick/);
    const quickPre = readRecords(join(dir, 'runs', 'pre-quick')).find((x): x is SummaryRecord => x.type === 'summary')!;
    expect(quickPre.epochs).toBe(1);
  });

  it('refuses, before anything is written: a directory holding another run, an init no stage writes, a missing stage, a cycle, --shard with an unfinished stage', async () => {
    const dir = tmp('needs-bad');
    const p = stagePair(dir);
    // The stage's directory holds another configuration of it (3 epochs, not 2).
    const other = await inline(p.pretrain, p.pre, { epochs: 3 });
    expect(other.code, other.stderr).toBe(0);
    refused(
      await run(p.finetune, p.out),
      /^rulebench: SpecError: needs\[0\]: .*pre holds another configuration of experiment "stage-pretrain" \(epochs: 3 in the directory, 2 now\), not the run this experiment needs \(rulebench run .*pretrain\.ts --out .*pre\); nothing was run\./,
      p.out,
    );

    const d2 = tmp('needs-bad');
    const q = stagePair(d2, { init: join(d2, 'elsewhere', 'params.json') });
    refused(
      await run(q.finetune, q.out),
      /^rulebench: SpecError: init: .*elsewhere\/params\.json .* does not exist, and no stage in needs writes it \(their saveParams write .*mlp-seed0\.json\)/,
      q.pre,
      q.out,
    );

    const d3 = tmp('needs-bad');
    const m = stagePair(d3, { needs: [{ experiment: './missing.ts', out: join(d3, 'x') }] });
    refused(await run(m.finetune, m.out), /^rulebench: SpecError: needs\[0\]: experiment .*missing\.ts: no such file/, m.out);

    const d4 = tmp('needs-bad');
    const c = stagePair(d4, { needs: [{ experiment: './finetune.ts', out: join(d4, 'x') }] });
    refused(
      await run(c.finetune, c.out),
      /^rulebench: SpecError: needs\[0\]\.experiment: a cycle of stages \(.*finetune\.ts → .*finetune\.ts\)/,
      c.out,
    );

    const d5 = tmp('needs-bad');
    const s = stagePair(d5);
    refused(
      await run(s.finetune, s.out, '--shard', '1/2'),
      /^rulebench: SpecError: needs\[0\]: .* has 0 of its stage's 1 trials finished; with --shard/,
      s.pre,
      s.out,
    );
  });

  it('a malformed needs is refused by the spec check', async () => {
    const d = tmp('needs-bad');
    const p = stagePair(d, { needs: [{ experiment: './pretrain.ts' }] });
    refused(
      await run(p.finetune, p.out),
      /^rulebench: SpecError: needs\[0\]\.out: expected the stage's results directory, got undefined/,
      p.out,
    );
  });
});
