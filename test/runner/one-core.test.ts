// One copy of the core per process. A tsconfig "paths" entry mapping 'rulebench' to the source
// (what a user outside the repository writes for editor types) must not load a second copy under
// tsx; and a second copy loaded some other way refuses with one line, before anything is written.
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, lastEvals, sh, tmp } from './helpers.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(ROOT, 'src', 'cli.ts');

const spec = (rule: string) => `import { defineExperiment } from 'rulebench';
${rule}

export default defineExperiment({
  name: 'one-core',
  data: { name: 'blobs', validation: 30 },
  model: { sizes: [2, 16, 16, 3] },
  optimizer: { name: 'sgd', lr: 0.1 },
  rules: ['backprop', { rule: noisyFeedback, grid: { noise: [0] } }],
  seeds: [0],
  epochs: 2,
  batchSize: 30,
});
`;

const NOISY = readFileSync(join(ROOT, 'test', 'fixtures', 'user-rules', 'noisy-feedback.ts'), 'utf8');

describe('one copy of the core per process', () => {
  it("with 'rulebench' mapped to the source in the project's tsconfig, the docs' rule at noise 0 is still backprop", async () => {
    const project = tmp('tsconfig-paths');
    const src = join(ROOT, 'src');
    const paths = { rulebench: [join(src, 'index.ts')], 'rulebench/testing': [join(src, 'testing.ts')] };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, paths } }));
    writeFileSync(join(project, 'noisy-feedback.ts'), NOISY);
    writeFileSync(join(project, 'experiment.ts'), spec("import { noisyFeedback } from './noisy-feedback.ts';"));
    // tsx reads the tsconfig of the directory it runs in.
    const r = await sh(`${TSX} ${CLI} run experiment.ts --out results --workers 1 --no-report`, { cwd: project });
    expect(r.code, r.stderr.split('\n')[0]).toBe(0);
    const evals = lastEvals(join(project, 'results'));
    expect(evals).toHaveLength(2);
    expect(evals[1]).toEqual(evals[0]);
    expect(evals[0].testAcc).toBeGreaterThan(0.5); // it learned: three classes, chance is 1/3
  }, 120_000);

  it('a rule that imports another copy of the core by its path: one line naming both copies, exit 1, nothing written', async () => {
    const home = tmp('second-copy');
    const copy = join(home, 'other-checkout');
    cpSync(join(ROOT, 'src'), join(copy, 'src'), { recursive: true, filter: (p) => !p.includes(`${join('native', 'build')}`) });
    writeFileSync(join(copy, 'package.json'), '{ "type": "module" }\n');
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const project = join(home, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'noisy-feedback.ts'), NOISY.replace("from 'rulebench'", "from '../other-checkout/src/index.ts'"));
    writeFileSync(join(project, 'experiment.ts'), spec("import { noisyFeedback } from './noisy-feedback.ts';"));
    const r = await sh(`${TSX} ${CLI} run experiment.ts --out results --workers 1 --no-report`, { cwd: project });
    expect(r.code).toBe(1);
    expect(hasStackTrace(r.stderr)).toBe(false);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^rulebench: .*experiment\.ts.*a second copy of rulebench's core is loading \(file:\/\/.*other-checkout\/src\/engine\.ts; the first came from file:\/\/.*\/src\/engine\.ts\)/,
    );
    expect(existsSync(join(project, 'results'))).toBe(false);
  }, 120_000);
});
