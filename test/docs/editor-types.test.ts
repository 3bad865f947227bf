// docs/writing-rules.md#types-in-your-editor: a project that installed rulebench and uses the
// tsconfig the page gives type-checks a user's rule against the declarations the package exports
// (types/, built by scripts/build-types.mjs), and a mistake in the rule is a type error.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sh, tmp } from '../runner/helpers.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');

/** The page's tsconfig: the one fenced JSON block of its "Types in your editor" section. */
function documentedTsconfig(): string {
  const page = readFileSync(join(ROOT, 'docs', 'writing-rules.md'), 'utf8');
  const section = page.split(/^## /m).find((s) => s.startsWith('Types in your editor'));
  expect(section, 'docs/writing-rules.md has a "Types in your editor" section').toBeDefined();
  const blocks = [...section!.matchAll(/^```json\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  expect(blocks).toHaveLength(1);
  return blocks[0];
}

describe('editor types for a project that installed rulebench', () => {
  let project = '';
  beforeAll(async () => {
    const built = await sh(`node ${join(ROOT, 'scripts', 'build-types.mjs')}`);
    expect(built.code, built.stderr).toBe(0);
    project = tmp('editor-types');
    // What `npm install <path to this checkout>` leaves: a link in node_modules.
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(ROOT, join(project, 'node_modules', 'rulebench'));
    writeFileSync(join(project, 'package.json'), '{ "name": "my-project", "private": true, "type": "module" }\n');
    writeFileSync(join(project, 'tsconfig.json'), documentedTsconfig());
  }, 120_000);

  it("the docs' rule type-checks; a misspelt option is a type error naming it", async () => {
    const rule = readFileSync(join(ROOT, 'test', 'fixtures', 'user-rules', 'noisy-feedback.ts'), 'utf8');
    writeFileSync(join(project, 'rule.ts'), rule);
    const ok = await sh(`${TSC} -p .`, { cwd: project });
    expect(ok.stdout + ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    writeFileSync(join(project, 'rule.ts'), rule.replace('ctx.options.noise', 'ctx.options.nosie'));
    const bad = await sh(`${TSC} -p .`, { cwd: project });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/^rule\.ts\(\d+,\d+\): error TS2551: Property 'nosie' does not exist/);
  }, 120_000);
});
