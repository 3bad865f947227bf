// Run integrity: failed trials rerun on --resume, a results directory holds one configuration,
// torn record tails are dropped and reported, divergence is named with its step, and everything
// validation can see is refused before anything is written.
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataError, SpecError } from '../../src/errors.ts';
import { loadRulesFrom } from '../../src/rules/load-rules.ts';
import { classifyFailure } from '../../src/runner/failure.ts';
import { loadBuiltins } from '../../src/runner/execute.ts';
import { readRecords } from '../../src/runner/records.ts';
import { runExperiment } from '../../src/runner/run.ts';
import type { SummaryRecord, TrialRecord } from '../../src/runner/trial.ts';
import { quiet, tmp, writeIdxSet } from './helpers.ts';

const F = 'test/runner/fixtures';
const summaries = (out: string) => readRecords(out).filter((r): r is SummaryRecord => r.type === 'summary');
const withoutHost = (out: string) =>
  readRecords(out)
    .map((r: TrialRecord) => {
      const { host: _h, ...rest } = r as TrialRecord & { host: unknown };
      return JSON.stringify(rest);
    })
    .sort();

beforeAll(() => loadBuiltins());

describe('failed trials', () => {
  it('--resume reruns the failed trials (and only them) once the cause is fixed', async () => {
    const out = tmp();
    process.env.RULEBENCH_TEST_FAIL = '1';
    try {
      const first = await runExperiment(`${F}/flaky-experiment.ts`, { out, ...quiet });
      const failed = first.summaries.filter((s) => s.status === 'failed');
      expect(failed.map((s) => s.rule)).toEqual(['flaky-rule', 'flaky-rule']);
      expect(failed[0].error).toBe('rule "flaky-rule": TypeError: cannot read properties of undefined (step 2, epoch 0)');
      expect(failed[0].failure).toEqual({ kind: 'rule', step: 2, epoch: 0 });
    } finally {
      delete process.env.RULEBENCH_TEST_FAIL;
    }
    const notes: string[] = [];
    const again = await runExperiment(`${F}/flaky-experiment.ts`, { out, ...quiet, resume: true, log: (s) => notes.push(s) });
    expect(again.skipped).toBe(2);
    expect(again.rerunFailed).toBe(2);
    expect(again.summaries.map((s) => [s.rule, s.status])).toEqual([
      ['flaky-rule', 'done'],
      ['flaky-rule', 'done'],
    ]);
    expect(notes.join('')).toMatch(/2 trial\(s\) that failed in an earlier run are rerun/);
    expect(summaries(out).map((s) => s.status)).toEqual(['done', 'done', 'done', 'done']);
  });

  it("names what failed: a data problem is a DataError, not the rule's", () => {
    const data = classifyFailure(new DataError('/data/train-images-idx3-ubyte: IDX file truncated'), 'backprop');
    expect(data.error).toBe('DataError: /data/train-images-idx3-ubyte: IDX file truncated');
    expect(data.failure.kind).toBe('data');
    const oom = classifyFailure(new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded'), 'backprop');
    expect(oom.failure.kind).toBe('memory');
    expect(oom.error).toMatch(/^out of memory: /);
    expect(classifyFailure(new SpecError('bad\n  option'), 'x').error).toBe('SpecError: bad option');
  });

  it('corrupt data files stop the run before training, with the file named and nothing written', async () => {
    const dir = writeIdxSet(join(tmp(), 'mnist'));
    const labels = join(dir, 'train-labels-idx1-ubyte');
    truncateSync(labels, 30);
    const out = join(tmp(), 'out');
    process.env.RULEBENCH_TEST_DATA_DIR = dir;
    try {
      await expect(runExperiment(`${F}/data-error-experiment.ts`, { out, ...quiet })).rejects.toThrow(
        new DataError(`${labels}: IDX file truncated: dims [60] need 68 bytes, got 30 (data should end at byte offset 68)`),
      );
    } finally {
      delete process.env.RULEBENCH_TEST_DATA_DIR;
    }
    expect(existsSync(out)).toBe(false);
  });
});

describe('one configuration per results directory', () => {
  it('a changed spec stops before training, naming the fields; --fresh keeps the old records aside', async () => {
    const out = tmp();
    const base = { out, ...quiet, seeds: [0], rules: ['backprop'] };
    await runExperiment(`${F}/tiny-experiment.ts`, { ...base, epochs: 1 });
    const before = readdirSync(join(out, 'records')).sort();
    const recordsBefore = withoutHost(out);
    for (const resume of [false, true]) {
      await expect(runExperiment(`${F}/tiny-experiment.ts`, { ...base, epochs: 2, subset: 128, resume })).rejects.toThrow(
        /--out .* holds another configuration of experiment "tiny" \(data\.train: 256 in the directory, 128 now; data\.validation: 32 in the directory, 16 now; epochs: 1 in the directory, 2 now\); nothing was run\. Use another --out, or add --fresh/,
      );
    }
    expect(readdirSync(join(out, 'records')).sort()).toEqual(before);
    expect(JSON.parse(readFileSync(join(out, 'experiment.json'), 'utf8')).spec.epochs).toBe(1);

    const notes: string[] = [];
    await runExperiment(`${F}/tiny-experiment.ts`, { ...base, epochs: 2, fresh: true, log: (s) => notes.push(s) });
    const aside = /kept in (\S+)/.exec(notes.join(''))![1];
    expect(aside.startsWith(join(out, 'superseded'))).toBe(true);
    expect(withoutHost(aside)).toEqual(recordsBefore);
    expect(JSON.parse(readFileSync(join(out, 'experiment.json'), 'utf8')).spec.epochs).toBe(2);
    expect(summaries(out)).toHaveLength(1);
  });

  it("a selection of the directory's trials (--rules, --seeds) is the same experiment", async () => {
    const out = tmp();
    await runExperiment(`${F}/tiny-experiment.ts`, { out, ...quiet, epochs: 1 });
    const res = await runExperiment(`${F}/tiny-experiment.ts`, { out, ...quiet, epochs: 1, rules: ['backprop'], seeds: [1], resume: true });
    expect([res.skipped, res.ran]).toEqual([1, 0]);
    // More seeds than the directory holds is another experiment.
    await expect(runExperiment(`${F}/tiny-experiment.ts`, { out, ...quiet, epochs: 1, seeds: [0, 1, 2], resume: true })).rejects.toThrow(
      /seeds: \[0,1\] in the directory, \[0,1,2\] now/,
    );
  });

  it('records of unknown trials without a manifest are not mixed in', async () => {
    const out = tmp();
    await runExperiment(`${F}/tiny-experiment.ts`, { out, ...quiet, epochs: 1, seeds: [0], rules: ['backprop'] });
    writeFileSync(join(out, 'experiment.json'), '{"name": "tiny", "tri');
    await expect(
      runExperiment(`${F}/tiny-experiment.ts`, { out, ...quiet, epochs: 1, seeds: [0], rules: ['backprop'], resume: true }),
    ).rejects.toThrow(/experiment\.json is unreadable .*--fresh/);
  });
});

describe('torn record lines', () => {
  it('resume drops and reports a torn tail, redoes that trial, and ends with the same records', async () => {
    const ref = tmp();
    await runExperiment(`${F}/tiny-experiment.ts`, { out: ref, ...quiet, epochs: 1, seeds: [0] });
    const out = tmp();
    await runExperiment(`${F}/tiny-experiment.ts`, { out, ...quiet, epochs: 1, seeds: [0] });
    const files = readdirSync(join(out, 'records')).filter((f) => f.endsWith('.jsonl'));
    // A finished file cut inside its summary line, and an interrupted one cut inside a record.
    const cut = join(out, 'records', files[0]);
    truncateSync(cut, readFileSync(cut).length - 40);
    const partial = join(out, 'records', files[1].replace('.jsonl', '.partial.jsonl'));
    const text = readFileSync(join(out, 'records', files[1]), 'utf8');
    writeFileSync(partial, text.slice(0, text.indexOf('\n') + 25));
    rmSync(join(out, 'records', files[1]));
    const notes: string[] = [];
    const res = await runExperiment(`${F}/tiny-experiment.ts`, {
      out,
      ...quiet,
      epochs: 1,
      seeds: [0],
      resume: true,
      log: (s) => notes.push(s),
    });
    expect(res.ran).toBe(2);
    const said = notes.join('');
    expect(said).toContain(`${cut}: no summary at its end (a torn last line of`);
    expect(said).toContain(`${partial}: dropped a torn last line (24 bytes); the interrupted trial is redone`);
    expect(withoutHost(out)).toEqual(withoutHost(ref));
    expect(readdirSync(join(out, 'records')).some((f) => f.includes('partial'))).toBe(false);
  });
});

describe('divergence', () => {
  it('a loss that explodes but stays finite is diverged, with the step named', async () => {
    const res = await runExperiment(`${F}/diverging-experiment.ts`, { out: tmp(), ...quiet });
    const s = res.summaries[0];
    expect(s.status).toBe('diverged');
    expect(s.failure).toEqual({ kind: 'loss-bound', step: 1, epoch: 0 });
    expect(s.error).toMatch(
      /^rule "backprop": loss \d\.\d\de\+\d\d is past the divergence bound \d\.\d\de\+3 \(1000× the first step's loss; .*\(step 1, epoch 0\)$/,
    );
  });

  it('the spec declares the bound', async () => {
    const s = (await runExperiment(`${F}/bounded-experiment.ts`, { out: tmp(), ...quiet })).summaries[0];
    expect(s.status).toBe('diverged');
    expect(s.error).toMatch(/past the divergence bound 0\.500 \(divergence\.maxLoss; .*\(step 0, epoch 0\)/);
  });
});

describe('validation before training', () => {
  const tiny = {
    name: 'v',
    data: { name: 'blobs', train: 64, test: 16, classes: 3, features: 4 },
    model: { sizes: [4, 8, 3] },
    optimizer: { name: 'sgd', lr: 0.1 },
    rules: ['backprop'],
    seeds: [0],
    epochs: 1,
    batchSize: 8,
  };
  /** Write `spec` (a JSON-able object, or TypeScript source) as an experiment file and run it. */
  async function refusal(spec: Record<string, unknown> | string, overrides = {}): Promise<string> {
    const dir = tmp('spec');
    const file = join(dir, 'exp.ts');
    const src = typeof spec === 'string' ? spec : `export default ${JSON.stringify(spec)};\n`;
    writeFileSync(file, src);
    const out = join(dir, 'out');
    const err = await runExperiment(file, { out, ...quiet, ...overrides }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(SpecError);
    expect(existsSync(out)).toBe(false);
    return err!.message;
  }
  const mnistDir = () => writeIdxSet(join(tmp(), 'mnist'), { train: 50, test: 10 });

  it.each([
    [
      'input width vs features',
      { model: { sizes: [5, 8, 3] } },
      /^model\.sizes\[0\]: 5 inputs, but the data has 4 features per sample \(\[4\]\)$/,
    ],
    ['output width vs classes', { model: { sizes: [4, 8, 2] } }, /^model\.sizes\[2\]: 2 outputs, but the task needs 3 per sample/],
    [
      'batchSize larger than the training set',
      { batchSize: 100 },
      /^batchSize: 100 is larger than the training set \(64 samples\); use at most 64$/,
    ],
    [
      'batchSize against the split',
      { batchSize: 60, data: { ...tiny.data, validation: 8 } },
      /^batchSize: 60 is larger than the training set \(56 samples after holding out data\.validation's 8\)/,
    ],
    [
      'validation leaving nothing',
      { data: { ...tiny.data, validation: 64 } },
      /^data\.validation: 64 of data\.train's 64 samples holds out 64/,
    ],
    [
      'data option that does not apply',
      { data: { ...tiny.data, noise: 0.1 } },
      /^data\.noise: does not apply to dataset "blobs"; it takes: validation, train, test, classes, features, spread, inputs, shape$/,
    ],
    [
      'bad budget',
      { budget: { forwardPasses: 100, wallSeconds: 5 } },
      /^budget: expected one of forwardPasses or wallSeconds, got forwardPasses and wallSeconds$/,
    ],
    [
      'budget below one step',
      { budget: { forwardPasses: 2 } },
      /^budget\.forwardPasses: 2 is less than one step of rule "backprop" \(2\.43 forward-pass equivalents\)$/,
    ],
    [
      'model too large for memory',
      { model: { sizes: [4, 100000, 100000, 3] } },
      /^model: 1\.00e\+10 parameters need at least 40\.0 GB .*use a smaller model/,
    ],
  ])('%s: SpecError naming the field, nothing written', async (_what, change, message) => {
    expect(await refusal({ ...tiny, ...change })).toMatch(message);
  });

  it("data counts against the set's size, and options MNIST does not read", async () => {
    const dir = mnistDir();
    const mnist = { ...tiny, model: { sizes: [784, 8, 10] }, data: { name: 'mnist', dir } };
    expect(await refusal({ ...mnist, data: { ...mnist.data, train: 70 } })).toMatch(
      new RegExp(`^data\\.train: 70 samples asked for, but mnist in ${dir} has 50 training samples`),
    );
    expect(await refusal({ ...mnist, data: { ...mnist.data, test: 11 } })).toMatch(
      /^data\.test: 11 samples asked for, but mnist in .* has 10 testing samples/,
    );
    expect(await refusal({ ...mnist, data: { ...mnist.data, noise: 0.5 } })).toMatch(
      /^data\.noise: does not apply to dataset "mnist"; it takes: validation, train, test, dir, resize, pad, normalize$/,
    );
  });

  it("a user rule whose id is a built-in's is refused instead of replacing it", async () => {
    const src = `import { defineRule } from '${process.cwd()}/src/index.ts';
export default { name: 'v', data: { name: 'blobs', train: 64, test: 16, classes: 3, features: 4 }, model: { sizes: [4, 8, 3] },
  optimizer: { name: 'sgd', lr: 0.1 }, seeds: [0], epochs: 1, batchSize: 8,
  rules: [{ rule: defineRule({ id: 'backprop', description: 'mine', defaults: {}, init: () => null, step: () => { throw new Error('never'); } }) }] };\n`;
    expect(await refusal(src)).toBe(
      'rules[0].rule: your rule\'s id "backprop" is already taken by a registered rule (a built-in?); give your rule its own id',
    );
  });

  it('--subset scales a validation count with it, or refuses naming both numbers', async () => {
    const res = await runExperiment(`${F}/tiny-experiment.ts`, {
      out: tmp(),
      ...quiet,
      seeds: [0],
      rules: ['backprop'],
      epochs: 1,
      subset: 64,
    });
    expect(res.summaries[0].status).toBe('done');
    const manifest = JSON.parse(readFileSync(join(res.out, 'experiment.json'), 'utf8'));
    expect(manifest.spec.data).toMatchObject({ train: 64, validation: 8 });
    await expect(runExperiment(`${F}/tiny-experiment.ts`, { out: tmp(), ...quiet, subset: 1 })).rejects.toThrow(
      '--subset 1: too small to hold out data.validation 32 of 256 training samples scales to 1 of 1; use a larger --subset',
    );
  });

  it('loadRulesFrom resolves a relative path against the calling module', async () => {
    const [rule] = await loadRulesFrom('../fixtures/user-rules/noisy-feedback.ts', import.meta.url);
    expect(rule.id).toBe('noisy-feedback');
  });
});
