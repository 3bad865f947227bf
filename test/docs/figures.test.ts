// Documented tables of results are generated from committed records (scripts/docs-tables.ts): each
// must equal what its records give today, so a figure cannot drift from the records it quotes.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { regenerate, TABLES } from '../../scripts/docs-tables.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('documented tables', () => {
  it('equal what their committed records give', async () => {
    const files = await regenerate(ROOT);
    const names = files.flatMap((f) => f.names);
    expect(names.length).toBeGreaterThan(0);
    for (const f of files) expect(f.after, `${f.file}: run npx tsx scripts/docs-tables.ts`).toBe(f.before);
    // Every table the script knows is shown somewhere: none is generated for nobody.
    for (const n of Object.keys(TABLES)) expect(names, n).toContain(n);
  }, 120_000);

  it('catches a figure edited by hand', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rb-doc-tables-'));
    cpSync(join(ROOT, 'docs'), join(root, 'docs'), { recursive: true });
    writeFileSync(join(root, 'README.md'), readFileSync(join(ROOT, 'README.md'), 'utf8'));
    const page = join(root, 'docs', 'results.md');
    // A hand-made change inside a generated table: one figure's digit.
    writeFileSync(page, readFileSync(page, 'utf8').replace('**0.67** (0.76)', '**0.61** (0.76)'));
    const tables = Object.fromEntries(Object.entries(TABLES).map(([n, d]) => [n, { ...d, sources: d.sources.map((s) => join(ROOT, s)) }]));
    const files = await regenerate(root, tables);
    const stale = files.filter((f) => f.before !== f.after).map((f) => f.file);
    expect(stale).toEqual([join('docs', 'results.md')]);
  }, 120_000);
});
