// rulebench tune end to end on a tiny blobs set whose test split throws when read: every tuning
// trial finishes without reading it; one seed gives one tune.json, whether run at once, in two
// shards, or killed and resumed; --tuned runs each entry at the configuration tune.json chose.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli.ts';
import { DataError } from '../../../src/errors.ts';
import { loadExperiment } from '../../../src/runner/execute.ts';
import { prepareTrial } from '../../../src/runner/trial.ts';
import { tuneExperiment, type TuneOptions } from '../../../src/runner/tune/run-tune.ts';
import type { TuneFile } from '../../../src/runner/tune/tune-file.ts';
import { escapeHtml } from '../../../src/report/html.ts';
import { renderSvg, staticSpec } from '../../../src/report/render.ts';
import { buildTuneCharts } from '../../../src/report/tune-charts.ts';
import { writeTuneReport } from '../../../src/report/tune-page.ts';

const FIXTURE = 'test/runner/fixtures/tune-experiment.ts';
const tmp = () => mkdtempSync(join(tmpdir(), 'rulebench-tune-'));
const quiet: TuneOptions = { workers: 1, log: () => {}, tty: false };

/** tune.json without its timing field. */
function canonical(dir: string): TuneFile {
  const f = JSON.parse(readFileSync(join(dir, 'tune.json'), 'utf8')) as TuneFile;
  for (const e of f.entries) e.spent.wallSeconds = 0;
  return f;
}

const io = () => {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => (out.stdout += s), stderr: (s: string) => (out.stderr += s) } };
};

describe('rulebench tune', () => {
  let reference: TuneFile;
  let refDir: string;

  it('tunes every entry without reading the test split; one seed gives one tune.json', async () => {
    refDir = tmp();
    const a = await tuneExperiment(FIXTURE, { ...quiet, out: refDir });
    // The fixture's test split throws when read: a trial that read it would have failed.
    expect(a.summaries.map((s) => `${s.status} ${s.error ?? ''}`)).toEqual(Array(12).fill('done '));
    expect(a.summaries.every((s) => s.finalTestAcc === null || Number.isNaN(s.finalTestAcc))).toBe(true);
    reference = canonical(refDir);
    expect(reference.complete).toBe(true);
    expect(reference.halving.rungs.map((r) => [r.steps, r.configurations])).toEqual([
      [6, 4],
      [12, 2],
    ]);
    for (const e of reference.entries) {
      expect(e.complete).toBe(true);
      expect(e.trace).toHaveLength(4);
      expect(e.spent).toMatchObject({ trials: 6, steps: 4 * 6 + 2 * 12 });
      // The best is the top rung's highest score.
      const top = e.trace.flatMap((c) => c.rungs.filter((r) => r.rung === 1).map((r) => ({ config: c.config, score: r.score! })));
      expect(top).toHaveLength(2);
      const best = top.reduce((x, y) => (y.score > x.score ? y : x));
      expect(e.best).toMatchObject({ config: best.config, rung: 1, score: best.score });
      // The survivors are the first rung's best two.
      const first = e.trace
        .map((c) => ({ config: c.config, score: c.rungs[0].score! }))
        .sort((x, y) => y.score - x.score || x.config - y.config);
      expect(top.map((t) => t.config).sort()).toEqual(
        first
          .slice(0, 2)
          .map((t) => t.config)
          .sort(),
      );
    }
    const b = tmp();
    await tuneExperiment(FIXTURE, { ...quiet, out: b });
    expect(canonical(b)).toEqual(reference);
    expect(existsSync(join(refDir, 'records'))).toBe(true);
  });

  it('the tuning page: a table of the best configurations and three charts that render without warnings', async () => {
    const page = readFileSync(await writeTuneReport(refDir), 'utf8');
    for (const e of reference.entries) expect(page).toContain(escapeHtml(e.key));
    // The trials' records as one table: a row per evaluation, every tuning trial in it.
    const csv = readFileSync(join(refDir, 'records.csv'), 'utf8').trim().split('\n');
    const trialCol = csv[0].split(',').indexOf('trial');
    const trialsInCsv = new Set(csv.slice(1).map((l) => l.split(',')[trialCol]));
    expect(trialsInCsv.size).toBe(reference.entries.reduce((n, e) => n + e.trace.reduce((m, c) => m + c.rungs.length, 0), 0));
    const charts = buildTuneCharts(reference);
    expect(charts.map((c) => c.name)).toEqual(['tune-score-by-trial', 'tune-best-so-far', 'tune-learning-rate']);
    for (const c of charts) {
      const warnings: string[] = [];
      expect(await renderSvg(staticSpec(c.spec), warnings)).toContain('<svg');
      expect(warnings, c.name).toEqual([]);
      expect(existsSync(join(refDir, 'charts', `${c.name}.svg`))).toBe(true);
    }
    // Best so far never gets worse along an entry's trials.
    const rows = (charts[1].spec as unknown as { data: { values: Array<{ entry: string; best: number }> } }).data.values;
    for (const e of reference.entries) {
      const b = rows.filter((r) => r.entry === e.key).map((r) => r.best);
      expect(b.length).toBe(6);
      for (let i = 1; i < b.length; i++) expect(b[i]).toBeGreaterThanOrEqual(b[i - 1]);
      expect(b[b.length - 1]).toBeGreaterThanOrEqual(e.best!.score);
    }
  });

  it('shards: each runs its slice of the rung it can, says what it waits for, and the merge is the unsharded tune.json', async () => {
    const d = tmp();
    const logs: string[] = [];
    const shard = (index: number, resume: boolean) =>
      tuneExperiment(FIXTURE, { ...quiet, out: d, shard: { index, count: 2 }, resume, log: (s) => logs.push(s) });
    const s0 = await shard(0, false);
    expect(s0.ran).toBe(4);
    expect(s0.waiting.join('\n')).toMatch(/backprop: rung 0 \(2 trial\(s\) of other shards/);
    expect(s0.file.complete).toBe(false);
    const s1 = await shard(1, true);
    expect(s1.ran).toBe(4 + 2);
    const s0b = await shard(0, true);
    expect(s0b.ran).toBe(2);
    expect(s0b.file.complete).toBe(true);
    expect(canonical(d)).toEqual(reference);
  });

  it('resumes after a kill -9 to the same tune.json; refuses a second run without --resume', async () => {
    const d = tmp();
    // Node itself, not npx: the process killed is the lock holder, and its exit is awaited below
    // (a SIGKILLed process can outlive kill() by a moment under load, still holding --out).
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'tune', FIXTURE, '--out', d, '--workers', '1', '--no-report'], {
      stdio: 'ignore',
    });
    const exited = new Promise((r) => p.on('exit', r));
    const records = join(d, 'records');
    const finished = () =>
      existsSync(records) ? readdirSync(records).filter((f) => f.endsWith('.jsonl') && !f.includes('partial')).length : 0;
    const deadline = Date.now() + 90_000;
    while (finished() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    p.kill('SIGKILL');
    await exited;
    const n = finished();
    expect(n).toBeGreaterThanOrEqual(3);
    expect(n).toBeLessThan(12);
    await expect(tuneExperiment(FIXTURE, { ...quiet, out: d })).rejects.toThrow(
      /already holds \d+ finished tuning trial\(s\) of this plan; pass --resume/,
    );
    const r = await tuneExperiment(FIXTURE, { ...quiet, out: d, resume: true });
    expect(r.skipped).toBe(n);
    expect(canonical(d)).toEqual(reference);
  });

  it('--tuned runs each entry at the configuration tune.json chose, marked as tuned', async () => {
    const loaded = await loadExperiment(FIXTURE, { tuned: refDir });
    expect(loaded.spec.rules).toHaveLength(2);
    for (const [i, e] of reference.entries.entries()) {
      const r = loaded.spec.rules[i];
      expect(r.optimizer).toEqual(e.best!.optimizer);
      expect(r.options).toEqual({ ...e.fixed, ...e.best!.options });
      expect(r.tuned).toMatchObject({ from: refDir, key: e.key, configurations: 4, rungs: [6, 12], optimizer: true, score: e.best!.score });
      for (const t of loaded.trials.filter((x) => x.config.rule === e.rule)) {
        expect(t.config.optimizer).toEqual(e.best!.optimizer);
        for (const [k, v] of Object.entries(e.best!.options)) expect(t.config.options[k]).toBe(v);
      }
    }
    await expect(loadExperiment('test/runner/fixtures/tiny-experiment.ts', { tuned: refDir })).rejects.toThrow(
      /^tuned: .*tune\.json has no tuned configuration for rules\[1\] \(feedback-alignment variant=fa\)/,
    );
    await expect(loadExperiment(FIXTURE, { tuned: tmp() })).rejects.toThrow(/^tuned: .*tune\.json does not exist/);
    // Inside the working directory, records name the tune directory relative to it: a committed
    // experiment.json holds no machine's absolute path.
    mkdirSync('.tmp', { recursive: true });
    const inside = mkdtempSync(join('.tmp', 'tune-'));
    cpSync(join(refDir, 'tune.json'), join(inside, 'tune.json'));
    const rel = await loadExperiment(FIXTURE, { tuned: resolve(inside) });
    expect(rel.spec.rules.map((r) => r.tuned?.from)).toEqual([inside, inside]);
    rmSync(inside, { recursive: true });
    // An entry's equal-compute budget is protocol, not configuration: a tuned run keeps it.
    const dir = tmp();
    const file = join(dir, 'budgeted.ts');
    writeFileSync(
      file,
      `import spec from '${join(process.cwd(), FIXTURE)}';\n` +
        `export default { ...spec, rules: spec.rules.map((r) => ({ ...(typeof r === 'string' ? { rule: r } : r), budget: { forwardPasses: 90 } })) };\n`,
    );
    const budgeted = await loadExperiment(file, { tuned: refDir });
    expect(budgeted.trials.length).toBeGreaterThan(0);
    for (const t of budgeted.trials) expect(t.config.budget).toEqual({ forwardPasses: 90 });
  });

  it('refuses a spec with an equal-compute budget, naming the field, before writing anything', async () => {
    const dir = tmp();
    const file = join(dir, 'budgeted.ts');
    writeFileSync(
      file,
      `import spec from '${join(process.cwd(), FIXTURE)}';\nexport default { ...spec, budget: { forwardPasses: 300 } };\n`,
    );
    const out = join(dir, 'out');
    await expect(tuneExperiment(file, { ...quiet, out })).rejects.toThrow(
      /^budget: rulebench tune runs every configuration to the same rungs of steps \(tune\.rungs\); tune without the budget, then run with it$/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses entries with adapters or distillation, which tuning would drop, by tune and by --tuned, before writing anything', async () => {
    const dir = tmp();
    const file = join(dir, 'adapted.ts');
    writeFileSync(
      file,
      `import spec from '${join(process.cwd(), FIXTURE)}';\n` +
        `export default { ...spec, rules: ['backprop', { rule: 'backprop', adapters: { kind: 'lora', rank: 2 } }] };\n`,
    );
    const out = join(dir, 'out');
    await expect(tuneExperiment(file, { ...quiet, out })).rejects.toThrow(
      /^rules\[1\]\.adapters: rulebench tune does not carry an entry's adapters \(tuning runs without them\)/,
    );
    expect(existsSync(out)).toBe(false);
    await expect(loadExperiment(file, { tuned: tmp() })).rejects.toThrow(
      /^rules\[1\]\.adapters: --tuned does not carry an entry's adapters/,
    );
  });

  it("a validation-only trial's test split cannot be read; bad tune flags are one line, exit 2", async () => {
    const loaded = await loadExperiment('test/runner/fixtures/tiny-experiment.ts');
    const data = prepareTrial({ ...loaded.trials[0].config, evaluate: 'validation' });
    expect(() => data.test.x).toThrow(DataError);
    expect(data.validation!.x.length).toBeGreaterThan(0);
    for (const [args, msg] of [
      [['--budget', '0'], /^rulebench: --budget: expected a positive integer, got "0"\n$/],
      [['--shard', '2/2'], /^rulebench: --shard: expected i\/n with 0 ≤ i < n/],
      [['--budjet', '3'], /^rulebench: tune: unknown flag --budjet \(did you mean --budget\?\)/],
    ] as const) {
      const { out, io: cli } = io();
      expect(await main(['tune', FIXTURE, ...args], cli)).toBe(2);
      expect(out.stderr).toMatch(msg);
    }
  });
});
