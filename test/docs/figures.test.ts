// Documented tables of results are generated from committed records (scripts/docs-tables.ts): each
// must equal what its records give today, so a figure cannot drift from the records it quotes.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
    const files = await regenerate(root, TABLES, ROOT);
    const stale = files.filter((f) => f.before !== f.after).map((f) => f.file);
    expect(stale).toEqual([join('docs', 'results.md')]);
  }, 120_000);

  it('fills an empty block without touching the next table, and refuses a block left open', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rb-doc-tables-'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'README.md'), '# x\n');
    const tables = {
      one: { files: [join(root, 'one.jsonl')], renderRows: () => '| a |\n|---|\n| 1 |' },
      two: { files: [join(root, 'one.jsonl')], renderRows: () => '| b |\n|---|\n| 2 |' },
    };
    writeFileSync(join(root, 'one.jsonl'), '{}\n');
    const page = 'intro\n<!-- table: one -->\n<!-- /table -->\nbetween\n<!-- table: two -->\n| b |\n|---|\n| 2 |\n<!-- /table -->\nend\n';
    writeFileSync(join(root, 'docs', 'page.md'), page);
    const [, after] = await regenerate(root, tables);
    expect(after.after).toBe(page.replace('<!-- table: one -->\n', '<!-- table: one -->\n| a |\n|---|\n| 1 |\n'));
    writeFileSync(join(root, 'docs', 'page.md'), 'intro\n<!-- table: one -->\n| a |\n');
    await expect(regenerate(root, tables)).rejects.toThrow(/docs\/page\.md: 1 table block\(s\) without their <!-- \/table --> mark/);
  });
});
