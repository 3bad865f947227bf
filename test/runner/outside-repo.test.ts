// Rules and data outside the repository: a rule file anywhere imports the public entries as
// 'rulebench' and 'rulebench/<subpath>', paths in a spec resolve against the spec's own file (not the current directory),
// and MNIST and Fashion-MNIST read a data.dir.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecords } from '../../src/runner/records.ts';
import { runExperiment } from '../../src/runner/run.ts';
import { hasStackTrace, lastEvals, quiet, sh, tmp, writeIdxSet } from './helpers.ts';

const TSX = resolve('node_modules/.bin/tsx');
const CLI = resolve('src/cli.ts');

const RULE = `import { defineRule, taskGradient } from 'rulebench';

export const halfBackprop = defineRule({
  id: 'half-backprop',
  description: 'half the backprop gradient',
  defaults: {},
  cost: () => 3,
  init: () => null,
  step(ctx, state, batch) {
    const { loss, grads } = taskGradient(ctx, batch);
    for (const g of grads) for (let i = 0; i < g.size; i++) g.data[i] *= 0.5;
    return { updates: grads, state, loss, metrics: {} };
  },
});
`;

const IMPORTING_SPEC = `import { defineExperiment } from 'rulebench';
import { noisyFeedback } from './rules/noisy-feedback.ts';

export default defineExperiment({
  name: 'outside-import',
  data: { name: 'blobs', validation: 30 },
  model: { sizes: [2, 16, 16, 3] },
  optimizer: { name: 'sgd', lr: 0.1 },
  rules: ['backprop', { rule: noisyFeedback, grid: { noise: [0] } }],
  seeds: [0],
  epochs: 2,
  batchSize: 30,
});
`;

describe('rules and data outside the repository', () => {
  it('a spec in another folder, run from a third one, loads its rule file and MNIST directory relative to itself', async () => {
    const home = tmp('outside');
    const project = join(home, 'project');
    mkdirSync(join(project, 'rules'), { recursive: true });
    writeIdxSet(join(project, 'data', 'mnist'), { train: 60, test: 20 });
    writeFileSync(join(project, 'rules', 'half.ts'), RULE);
    writeFileSync(
      join(project, 'experiment.ts'),
      `import { defineExperiment } from 'rulebench';
import { BACKEND_NAMES } from 'rulebench/kernels';
export default defineExperiment({
  name: 'outside', description: \`runs on any of \${BACKEND_NAMES.join(', ')}\`,
  data: { name: 'mnist', dir: './data/mnist', validation: 10 }, model: { sizes: [784, 16, 10] },
  optimizer: { name: 'sgd', lr: 0.1 }, rules: ['backprop', './rules/half.ts'], seeds: [0], epochs: 1, batchSize: 10,
});
`,
    );
    const elsewhere = join(home, 'elsewhere');
    mkdirSync(elsewhere);
    const r = await sh(`${TSX} ${CLI} run ../project/experiment.ts --out results --workers 1 --no-report`, { cwd: elsewhere });
    expect(hasStackTrace(r.stderr), r.stderr).toBe(false);
    expect(r.code, r.stderr).toBe(0);
    const summaries = readRecords(join(elsewhere, 'results')).filter((x) => x.type === 'summary');
    expect(summaries.map((s) => `${s.rule} ${s.status}`).sort()).toEqual(['backprop done', 'half-backprop done']);
    // The spec's subpath import resolved to the kernels entry.
    expect(JSON.parse(readFileSync(join(elsewhere, 'results', 'experiment.json'), 'utf8')).spec.description).toBe(
      'runs on any of wasm, native, webgpu, reference',
    );
  }, 120_000);

  it("a spec in another folder that imports the docs' noisy-feedback rule runs it, at noise 0 backprop bit for bit", async () => {
    const home = tmp('outside-import');
    const project = join(home, 'project');
    mkdirSync(join(project, 'rules'), { recursive: true });
    // A project without a package.json: tsx would load its files as CommonJS, out of the hook's reach.
    writeFileSync(join(project, 'rules', 'noisy-feedback.ts'), readFileSync('test/fixtures/user-rules/noisy-feedback.ts', 'utf8'));
    writeFileSync(join(project, 'experiment.ts'), IMPORTING_SPEC);
    const elsewhere = join(home, 'elsewhere');
    mkdirSync(elsewhere);
    const r = await sh(`${TSX} ${CLI} run ../project/experiment.ts --out results --workers 1 --no-report`, { cwd: elsewhere });
    // The first line only: vitest reads a Node stack in a message as its own, and stumbles.
    expect(r.code, r.stderr.split('\n')[0]).toBe(0);
    expect(hasStackTrace(r.stderr)).toBe(false);
    const evals = lastEvals(join(elsewhere, 'results'));
    expect(evals).toHaveLength(2);
    expect(evals[1]).toEqual(evals[0]);
  }, 120_000);

  it('Fashion-MNIST reads data.dir (gzipped IDX files) instead of the system directory', async () => {
    const dir = writeIdxSet(join(tmp('fashion'), 'fashion'), { train: 40, test: 10 }, true);
    const file = join(tmp('fashion'), 'exp.ts');
    writeFileSync(
      file,
      `export default ${JSON.stringify({
        name: 'fashion-dir',
        data: { name: 'fashion-mnist', dir },
        model: { sizes: [784, 8, 10] },
        optimizer: { name: 'sgd', lr: 0.1 },
        rules: ['backprop'],
        seeds: [0],
        epochs: 1,
        batchSize: 10,
      })};\n`,
    );
    const res = await runExperiment(file, { out: tmp('fashion'), ...quiet });
    expect(res.summaries[0].status).toBe('done');
    expect(readRecords(res.out).find((x) => x.type === 'eval')).toBeDefined();
  });
});
