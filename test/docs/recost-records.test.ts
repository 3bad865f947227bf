// Bringing committed records' cost fields up to the current cost model: records made stale (their
// cost fields rewritten as the old model wrote them, 3 forward passes a step) come back byte for
// byte to what the run wrote; a trial stopped by a forwardPasses budget is refused (its steps
// would move), and bad input is refused in one line before anything is written.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recostDir } from '../../scripts/recost-records.ts';
import { runExperiment } from '../../src/runner/run.ts';
import { quiet, tmp } from '../runner/helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');

const SPEC = {
  name: 'recost-fixture',
  data: { name: 'blobs', train: 96, test: 32, classes: 3, features: 4, validation: 16 },
  // Weight layers of 4·8 = 32 and 8·3 = 24 multiply-adds an example: the first layer's input is the
  // data, so backprop's step is 1 + (1 + 24/56), and feedback alignment's the same.
  model: { sizes: [4, 8, 3] },
  optimizer: { name: 'sgd', lr: 0.1 },
  rules: ['backprop', 'feedback-alignment', 'direct-feedback-alignment'],
  seeds: [0],
  epochs: 2,
  batchSize: 16,
  evalEvery: 3,
};
// FORWARD + (inputVjp + WEIGHT_GRADIENT), summed in that order as the cost model defines it.
const BACKPROP_STEP = 1 + (24 / 56 + 1);

/** The cost observer's sum: `perStep` added once after each of `steps` steps. */
function spent(perStep: number, steps: number): number {
  let s = 0;
  for (let i = 0; i < steps; i++) s += perStep;
  return s;
}

async function run(spec: object): Promise<string> {
  const dir = tmp('recost');
  writeFileSync(join(dir, 'exp.ts'), `export default ${JSON.stringify(spec)};\n`);
  const res = await runExperiment(join(dir, 'exp.ts'), { ...quiet, out: join(dir, 'out') });
  expect(res.summaries.every((s) => s.status === 'done')).toBe(true);
  return res.out;
}

const files = (dir: string) =>
  Object.fromEntries(
    readdirSync(join(dir, 'records'))
      .sort()
      .map((f) => [f, readFileSync(join(dir, 'records', f), 'utf8')]),
  );

/** A copy of run directory `dir` whose records of `rules` carry `perStep` a step, as an older cost model wrote them. */
function staled(dir: string, rules: string[], perStep: number): string {
  const to = tmp('recost-stale');
  cpSync(dir, to, { recursive: true });
  for (const [f, text] of Object.entries(files(dir))) {
    const lines = text.split('\n').map((l) => {
      if (!l) return l;
      const r = JSON.parse(l);
      if (!rules.includes(r.rule)) return l;
      const steps = r.type === 'summary' ? r.steps : r.step;
      r.cost =
        r.type === 'summary'
          ? { forwardPasses: spent(perStep, steps), forwardPassesPerStep: perStep }
          : { forwardPasses: spent(perStep, steps) };
      return JSON.stringify(r);
    });
    writeFileSync(join(to, 'records', f), lines.join('\n'));
  }
  return to;
}

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'recost-records.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
}

describe('recost-records', () => {
  it('gives stale records back the cost fields the run wrote, byte for byte, and leaves current ones alone', async () => {
    const out = await run(SPEC);
    const fresh = files(out);
    const bp = Object.values(fresh).find((t) => t.includes('"type":"summary"') && t.includes('"rule":"backprop"'))!;
    const summary = JSON.parse(bp.trim().split('\n').at(-1)!);
    expect(summary.cost).toEqual({ forwardPasses: spent(BACKPROP_STEP, summary.steps), forwardPassesPerStep: BACKPROP_STEP });

    const stale = staled(out, ['backprop', 'feedback-alignment'], 3);
    expect(files(stale)).not.toEqual(fresh);
    const checked = await recostDir(stale, true);
    expect(checked.trials).toBe(3);
    expect(checked.written).toEqual([]);
    expect(checked.stale.map((s) => [s.rule, s.oldPerStep, s.newPerStep]).sort()).toEqual([
      ['backprop', 3, BACKPROP_STEP],
      ['feedback-alignment', 3, BACKPROP_STEP],
    ]);
    // --check exits 1 listing them, writing nothing.
    const before = files(stale);
    const c = cli(stale, '--check');
    expect(c.status).toBe(1);
    expect(c.stdout).toContain(`(backprop): 3 → ${BACKPROP_STEP} forward passes a step`);
    expect(files(stale)).toEqual(before);

    const done = await recostDir(stale, false);
    expect(done.written).toHaveLength(2);
    expect(files(stale)).toEqual(fresh);
    expect((await recostDir(stale, true)).stale).toEqual([]);
    expect(cli(stale, '--check').status).toBe(0);

    // A trial recorded before its rule gained a default (feedback alignment's scale here) has
    // another id today: it is matched through experiment.json's trial list and costed as today's.
    const fa = Object.entries(files(stale)).find(([, t]) => t.includes('"rule":"feedback-alignment"'))!;
    const oldId = 'aaaaaaaaaaaaaaaa';
    const older = staled(stale, ['feedback-alignment'], 3);
    const manifest = JSON.parse(readFileSync(join(older, 'experiment.json'), 'utf8'));
    const listed = manifest.trials.find((t: { id: string }) => fa[0] === `${t.id}.jsonl`);
    delete listed.options.scale;
    listed.id = oldId;
    writeFileSync(join(older, 'experiment.json'), JSON.stringify(manifest));
    const recorded = readFileSync(join(older, 'records', fa[0]), 'utf8');
    rmSync(join(older, 'records', fa[0]));
    writeFileSync(join(older, 'records', `${oldId}.jsonl`), recorded.replaceAll(`"trial":"${fa[0].slice(0, 16)}"`, `"trial":"${oldId}"`));
    const again = await recostDir(older, false);
    expect([...again.moved]).toEqual([[oldId, fa[0].slice(0, 16)]]);
    expect(again.stale.map((s) => [s.rule, s.oldPerStep, s.newPerStep])).toEqual([['feedback-alignment', 3, BACKPROP_STEP]]);
    expect(readFileSync(join(older, 'records', `${oldId}.jsonl`), 'utf8')).toBe(
      fa[1].replaceAll(`"trial":"${fa[0].slice(0, 16)}"`, `"trial":"${oldId}"`),
    );
  }, 120_000);

  it('refuses a trial stopped by a forwardPasses budget, and bad input, in one line before writing anything', async () => {
    const out = await run({ ...SPEC, rules: ['backprop'], budget: { forwardPasses: 20 } });
    const stale = staled(out, ['backprop'], 3);
    const before = files(stale);
    const r = cli(stale);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(
      /^recost-records: \S+\.jsonl:\d+: trial \w+ \(rule backprop\) stops at budget\.forwardPasses, so its cost \(3 → 2\.428571428571429 a step\) moves its steps; it needs a real rerun$/,
    );
    expect(files(stale)).toEqual(before);

    // A record of a trial the manifest does not hold, beside a stale one: neither file is written.
    const other = staled(await run(SPEC), ['backprop'], 3);
    const alien = join(other, 'records', 'ffffffffffffffff.jsonl');
    writeFileSync(
      alien,
      readFileSync(join(stale, 'records', readdirSync(join(stale, 'records'))[0]), 'utf8').replaceAll(
        /"trial":"\w+"/g,
        '"trial":"ffffffffffffffff"',
      ),
    );
    const kept = files(other);
    const a = cli(other);
    expect(a.status).toBe(2);
    expect(a.stderr.trim()).toMatch(
      /^recost-records: \S+ffffffffffffffff\.jsonl:1: trial ffffffffffffffff \(rule backprop\) is not among experiment\.json's trials/,
    );
    expect(a.stderr.trim().split('\n')).toHaveLength(1);
    expect(files(other)).toEqual(kept);

    const empty = tmp('recost-bad');
    mkdirSync(join(empty, 'records'));
    expect(cli(empty).stderr.trim()).toBe(`recost-records: ${join(empty, 'experiment.json')}: no such file (not a run directory)`);
    const missing = cli(join(empty, 'nope'));
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toBe(`recost-records: ${join(empty, 'nope')}: no such results directory`);
  }, 180_000);
});
