// What the package needs at run time is in package.json's `dependencies`: a project that installs
// rulebench from a path or a tarball gets no devDependencies, so a run-time import of one (vega
// for the report, say) works in this checkout and fails there. From the files a user's command
// loads (the bin, the public entries, the built-in rules, the experiments), this follows every
// value import, dynamic import and `new URL('./file', import.meta.url)`, and collects the packages
// they name; type-only imports are erased and need nothing. The report page also inlines the
// packages' browser bundles, read by path (BUNDLES).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLES } from '../src/report/page.ts';

const ROOT = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  bin: Record<string, string>;
  exports: Record<string, { default: string }>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

// `import type …` and `export type …` lines are erased; every other import or re-export loads its module.
const STATIC =
  /(?:^|\n)[ \t]*(?:import|export)(?![ \t]+type[ \t])[ \t][^'"`;]*?from[ \t]*['"]([^'"]+)['"]|(?:^|\n)[ \t]*import[ \t]*['"]([^'"]+)['"]/g;
const DYNAMIC = /import\(\s*['"]([^'"]+)['"]\s*\)|new URL\(\s*['"](\.{1,2}\/[^'"]+\.(?:ts|mjs|js))['"],\s*import\.meta\.url\s*\)/g;

/** The package a bare specifier names ('vega-lite', '@stdlib/x' from '@stdlib/x/y'); null for node: and relative ones. */
function packageOf(spec: string): string | null {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return null;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Packages each file reachable from `entries` loads, by file. */
function runtimePackages(entries: string[]): Map<string, string[]> {
  const seen = new Set<string>();
  const found = new Map<string, string[]>();
  const queue = entries.map((e) => resolve(ROOT, e));
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of [...text.matchAll(STATIC), ...text.matchAll(DYNAMIC)]) {
      const spec = m[1] ?? m[2];
      const name = packageOf(spec);
      if (name === null) {
        const target = resolve(dirname(file), spec);
        // scripts/ are build steps (the WASM build, spawned when the kernels are missing or stale):
        // a packed rulebench ships them built, so their tools (assemblyscript) stay devDependencies.
        if (/\.(m?ts|m?js)$/.test(spec) && !relative(ROOT, target).startsWith('scripts/')) queue.push(target);
      } else if (name !== pkg.name) {
        found.set(name, [...(found.get(name) ?? []), relative(ROOT, file)]);
      }
    }
  }
  return found;
}

const ENTRIES = [
  ...Object.values(pkg.bin),
  ...Object.values(pkg.exports).map((e) => e.default),
  'src/cli.ts',
  ...readdirSync(join(ROOT, 'experiments')).map((f) => join('experiments', f)),
];

describe('package.json dependencies', () => {
  it('hold every package a user-facing command loads at run time', () => {
    const used = runtimePackages(ENTRIES);
    for (const b of BUNDLES) used.set(packageOf(b)!, ['src/report/page.ts (BUNDLES)']);
    // The walk reaches the report, the workers and the built-in rules (checked so that a broken walk cannot pass).
    expect([...used.keys()]).toEqual(expect.arrayContaining(['vega', 'vega-lite', 'vega-embed', 'tsx', 'mathjs', 'seedrandom']));
    const missing = [...used].filter(([name]) => !Object.hasOwn(pkg.dependencies, name)).map(([name, files]) => `${name} (${files[0]})`);
    expect(missing).toEqual([]);
  });

  it('the walk follows value imports only: a type-only import and a test-only module add nothing', () => {
    const used = runtimePackages(ENTRIES);
    // src/report/browser.ts (playwright, for tests and the screenshot script) is reached by nothing a user runs.
    expect(used.has('playwright-core')).toBe(false);
    expect(Object.hasOwn(pkg.devDependencies, 'playwright-core')).toBe(true);
  });
});
