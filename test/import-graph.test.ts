// The house's import graph: no circles, and no floor imports one above it
// (kernels → tensor → autograd / optim / data → nn → rules → metrics → runner → report → entries).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '..', 'scripts', 'import-graph.mjs');
const check = (root?: string): { ok: boolean; out: string } => {
  try {
    return { ok: true, out: execFileSync(process.execPath, [script, ...(root ? ['--root', root] : [])], { encoding: 'utf8' }) };
  } catch (e) {
    return { ok: false, out: String((e as { stdout?: string }).stdout) };
  }
};

describe('the import graph of src/', () => {
  it('has no circles and no upward imports', () => {
    const r = check();
    expect(r.out.trim()).toBe('no circles and no upward imports under src');
    expect(r.ok).toBe(true);
  });

  it('the check finds a circle and an upward import (type-only imports count)', () => {
    const root = mkdtempSync(join(tmpdir(), 'rulebench-graph-'));
    const put = (f: string, text: string) => {
      mkdirSync(dirname(join(root, f)), { recursive: true });
      writeFileSync(join(root, f), text);
    };
    try {
      put('nn/a.ts', "import { b } from './b.ts';\nexport const a = b;\n");
      put('nn/b.ts', "import type { a } from './a.ts';\nexport const b = 1;\n");
      put('tensor/t.ts', "import { run } from '../runner/r.ts';\nexport const t = run;\n");
      put('runner/r.ts', 'export const run = 1;\n');
      const r = check(root);
      expect(r.ok).toBe(false);
      expect(r.out).toMatch(/circle \(2 files\): .*nn\/a\.ts, .*nn\/b\.ts/);
      expect(r.out).toMatch(/upward: .*tensor\/t\.ts → .*runner\/r\.ts/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
