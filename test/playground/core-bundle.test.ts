// The Node-free entries really are: 'rulebench/core', 'rulebench/kernels-browser' and every
// built-in rule bundle for a browser with nothing from Node (esbuild refuses a node: import
// under platform 'browser'), so the playground's worker runs the same core as the CLI.
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const bundle = (contents: string) =>
  build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    conditions: ['rulebench-source'],
    logLevel: 'silent',
  });

describe('the core in a browser bundle', () => {
  it('core, kernels-browser and the built-in rules bundle without Node', async () => {
    const r = await bundle(
      "export * from './src/core.ts';\nexport * from './src/kernels-browser.ts';\nexport { BUILTIN_RULES } from './algorithms/index.ts';\n",
    );
    expect(r.errors).toEqual([]);
    expect(r.outputFiles[0].text).not.toMatch(/\bprocess\.(env|emitWarning|cwd)\b/);
  });

  it('the main entry does not (it reads files), and the check says which import', async () => {
    const err = await bundle("export * from './src/index.ts';\n").then(
      () => null,
      (e: { errors: { text: string }[] }) => e.errors.map((x) => x.text).join('\n'),
    );
    expect(err).toMatch(/Could not resolve "node:fs"/);
  });
});
