// Issue 31's bad inputs: each is refused with one line naming the field, flag or file and a
// non-zero exit, before anything is written (or, for what only a running rule can show, its trial
// fails saying why instead of ending `done`).
import { availableParallelism } from 'node:os';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { loadDataset } from '../../src/index.ts';
import { runExperiment } from '../../src/runner/run.ts';
import { quiet, tmp, writeIdxSet } from './helpers.ts';

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const BLOBS = {
  name: 'bad-input',
  data: { name: 'blobs', train: 64, test: 16, classes: 3, features: 4 },
  model: { sizes: [4, 8, 3] },
  optimizer: { name: 'sgd', lr: 0.1 },
  rules: ['backprop'],
  seeds: [0],
  epochs: 1,
  batchSize: 16,
};

/** A spec file in a fresh directory (`body` is the module's text, or a spec to export); its --out beside it. */
function specFile(body: string | object): { file: string; out: string } {
  const dir = tmp('bad-input');
  const file = join(dir, 'exp.ts');
  writeFileSync(file, typeof body === 'string' ? body : `export default ${JSON.stringify(body)};\n`);
  return { file, out: join(dir, 'out') };
}

/** Run it; expect exit 1, one `rulebench:` line matching `line`, and --out never created. */
async function refused(body: string | object, line: RegExp, ...flags: string[]): Promise<void> {
  const { file, out } = specFile(body);
  const r = await cli('run', file, '--out', out, '--workers', '1', '--no-report', ...flags);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(line);
  expect(r.code).toBe(1);
  expect(existsSync(out)).toBe(false);
}

describe('bad inputs that got through', () => {
  it('--threads past the cores, and --resume with --fresh', async () => {
    await refused(
      BLOBS,
      new RegExp(`^rulebench: SpecError: --threads: at most ${availableParallelism()} .*got 1000\n$`),
      '--threads',
      '1000',
    );
    await refused(BLOBS, /--resume and --fresh: choose one/, '--resume', '--fresh');
  });

  it('lr 0, and an init parameter file that does not exist', async () => {
    await refused({ ...BLOBS, optimizer: { name: 'sgd', lr: 0 } }, /optimizer\.lr: 0 would leave the parameters where they start/);
    await refused(
      { ...BLOBS, init: '/nonexistent/params-{seed}.json' },
      /init: \/nonexistent\/params-0\.json \(seed 0, rule backprop\) does not exist/,
    );
  });

  it('a residual block whose body grows the image, or shrinks it to an odd size, for either shortcut', async () => {
    const dir = writeIdxSet(join(tmp('residual'), 'mnist'));
    const spec = (body: object, shortcut = 'identity') => ({
      ...BLOBS,
      data: { name: 'mnist', dir, validation: 10 },
      model: { layers: [{ type: 'residual', shortcut, layers: [body] }, { type: 'flatten' }, { type: 'dense', units: 10 }] },
    });
    const grow = { type: 'conv2d', channels: 1, kernel: 3, padding: 2 }; // 28 → 30
    const odd = { type: 'conv2d', channels: 2, kernel: 3, stride: 2 }; // 28 → 13
    await refused(spec(grow), /model\.layers\[0\]: the body maps \[1, 28, 28\] to \[1, 30, 30\]; an identity shortcut needs/);
    await refused(spec(odd), /model\.layers\[0\]: the body maps \[1, 28, 28\] to \[2, 13, 13\]; an identity shortcut needs/);
    await refused(spec(odd, 'projection'), /model\.layers\[0\]: .* a projection shortcut .* reaches \[2, 14, 14\], not the body's shape/);
  });

  it('a rule that writes into ctx.params, or returns a NaN or a string metric, fails its trial saying so', async () => {
    // The public entry by its path: this test loads the spec in its own process too, where the CLI's hook is not.
    const api = join(import.meta.dirname, '..', '..', 'src', 'index.ts');
    const rule = (id: string, extra: string, metrics: string) => `import { defineRule, taskGradient } from '${api}';
export default {
  ...${JSON.stringify(BLOBS)},
  rules: [{ rule: defineRule({ id: '${id}', description: 'x', defaults: {}, cost: () => 3, init: () => null,
    step(ctx, state, batch) {
      const { loss, grads } = taskGradient(ctx, batch);
      ${extra}
      return { updates: grads, state, loss, metrics: ${metrics} };
    } }) }],
};
`;
    const cases: Array<[string, RegExp]> = [
      [rule('writes-params', 'ctx.params[0].data[0] += 0.01;', '{}'), /rule "writes-params": its step changed ctx\.params in place/],
      [rule('nan-metric', '', '{ ratio: 0 / 0 }'), /rule "nan-metric": .*metrics\.ratio = NaN; a metric must be a finite number/],
      [rule('string-metric', '', "{ phase: 'free' as unknown as number }"), /metrics\.phase = "free"; a metric must be a finite number/],
    ];
    for (const [body, error] of cases) {
      const { file, out } = specFile(body);
      const res = await runExperiment(file, { out, ...quiet });
      expect(res.summaries.map((x) => x.status)).toEqual(['failed']);
      expect(res.summaries[0].error).toMatch(error);
      expect(res.summaries[0].failure?.kind).toBe('rule');
    }
  });

  it('plain and .gz IDX files that disagree; MNIST files given as Fashion-MNIST', () => {
    const dir = writeIdxSet(join(tmp('idx-pair'), 'mnist'));
    const labels = join(dir, 'train-labels-idx1-ubyte');
    const other = Buffer.from(readFileSync(labels));
    other[8] = (other[8] + 1) % 10;
    writeFileSync(`${labels}.gz`, gzipSync(other));
    expect(() => loadDataset('mnist', { dir })).toThrow(/train-labels-idx1-ubyte and .*train-labels-idx1-ubyte\.gz hold different data/);
    writeFileSync(`${labels}.gz`, gzipSync(readFileSync(labels)));
    expect(() => loadDataset('mnist', { dir })).not.toThrow();

    // An MNIST-like set whose training labels begin as MNIST's own do, under a fashion-mnist directory.
    const fashion = join(tmp('fashion-dir'), 'fashion-mnist');
    mkdirSync(fashion);
    for (const f of ['train-images-idx3-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'])
      renameSync(join(dir, f), join(fashion, f));
    const mnistLabels = Buffer.from(readFileSync(labels));
    [5, 0, 4, 1, 9, 2, 1, 3, 1, 4, 3, 5].forEach((l, i) => (mnistLabels[8 + i] = l));
    writeFileSync(join(fashion, 'train-labels-idx1-ubyte'), mnistLabels);
    expect(() => loadDataset('fashion-mnist', { dir: fashion })).toThrow(
      /fashion-mnist\/train-labels-idx1-ubyte: these are MNIST's train labels .* not Fashion-MNIST's/,
    );
  });

  it('report on a directory without experiment.json', async () => {
    const dir = tmp('no-spec');
    mkdirSync(join(dir, 'records'));
    const r = await cli('report', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rulebench: SpecError: report: .*experiment\.json is missing/);
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
  });
});
