// `rulebench` is a command: after `npm ci` in the checkout (`npx rulebench`), and in a project
// that installed the package from a path or its packed tarball, where the user's own files
// import 'rulebench' and node_modules/.bin/rulebench runs them.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, sh, tmp } from '../runner/helpers.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
// Nothing here may need the network: npm answers from what is on disk or fails.
const OFFLINE = { npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

const RULE = readFileSync(join(ROOT, 'test', 'fixtures', 'user-rules', 'noisy-feedback.ts'), 'utf8');
const SPEC = `import { defineExperiment } from 'rulebench';
import { noisyFeedback } from './noisy-feedback.ts';

export default defineExperiment({
  name: 'installed',
  data: { name: 'blobs', validation: 30 },
  model: { sizes: [2, 8, 3] },
  optimizer: { name: 'sgd', lr: 0.1 },
  rules: ['backprop', { rule: noisyFeedback, grid: { noise: [0] } }],
  seeds: [0],
  epochs: 1,
  batchSize: 30,
});
`;

describe('the rulebench command', () => {
  it('npx rulebench runs the CLI in the checkout', async () => {
    const r = await sh('npx rulebench list', { cwd: ROOT, env: OFFLINE });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^rules:\n {2}backprop /);
    const help = await sh('npx rulebench run --help', { cwd: ROOT, env: OFFLINE });
    expect(help.stdout).toMatch(/^usage: rulebench run <experiment\.ts>/);
  }, 120_000);

  it('a project that installed the packed tarball runs its own spec and rule with npx rulebench', async () => {
    const home = tmp('installed');
    const packed = await sh(`npm pack --pack-destination ${home}`, { cwd: ROOT, env: OFFLINE });
    expect(packed.code, packed.stderr).toBe(0);
    const tarball = join(home, packed.stdout.trim().split('\n').pop()!);
    // The package as `npm install <tarball>` lays it out; its dependencies are the checkout's
    // (installing them would need the registry).
    const pkg = join(home, 'rulebench');
    mkdirSync(pkg);
    expect((await sh(`tar xzf ${tarball} -C ${pkg} --strip-components=1`)).code).toBe(0);
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
    const project = join(home, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), '{ "name": "my-project", "private": true }\n');
    const installed = await sh(`npm install --ignore-scripts ${pkg}`, { cwd: project, env: OFFLINE });
    expect(installed.code, installed.stderr).toBe(0);
    writeFileSync(join(project, 'noisy-feedback.ts'), RULE);
    writeFileSync(join(project, 'experiment.ts'), SPEC);
    const r = await sh('npx rulebench run experiment.ts --out results --workers 1 --no-report', { cwd: project, env: OFFLINE });
    expect(hasStackTrace(r.stderr), r.stderr).toBe(false);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 trial\(s\) run: 2 done/);
    // The packed files sufficed: the WASM kernels travel in the tarball.
    expect(JSON.parse(readFileSync(join(project, 'results', 'experiment.json'), 'utf8')).spec.name).toBe('installed');
    expect(r.stdout).toMatch(/backend: wasm/);
  }, 180_000);
});
