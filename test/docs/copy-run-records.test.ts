// Bringing a long run's records in from the checkout where it goes on: manifest and record files
// only, a partial file cut after its last whole line, a trial's partial gone once it finished, and
// a missing run directory refused before anything is written.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyRunRecords, wholeLines } from '../../scripts/copy-run-records.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('copy-run-records', () => {
  it('copies the manifest and records, cuts a torn last line, leaves checkpoints and locks, drops a finished trial’s partial', () => {
    const base = mkdtempSync(join(tmpdir(), 'rb-copy-runs-'));
    const from = join(base, 'run');
    const to = join(base, 'here');
    mkdirSync(join(from, 'records'), { recursive: true });
    writeFileSync(join(from, 'experiment.json'), '{"name":"x"}\n');
    writeFileSync(join(from, '.rulebench.lock.0of1'), 'lock');
    writeFileSync(join(from, 'records', 'a.jsonl'), '{"type":"summary"}\n');
    writeFileSync(join(from, 'records', 'b.partial.jsonl'), '{"epoch":0}\n{"epoch":1}\n{"epo');
    writeFileSync(join(from, 'records', 'b.ckpt'), 'binary');
    // Here: a partial of trial a from an earlier copy, before it finished there.
    mkdirSync(join(to, 'records'), { recursive: true });
    writeFileSync(join(to, 'records', 'a.partial.jsonl'), '{"epoch":0}\n');

    const written = copyRunRecords(from, to);
    expect(written.sort()).toEqual(['experiment.json', 'records/a.jsonl', 'records/b.partial.jsonl']);
    expect(readdirSync(join(to, 'records')).sort()).toEqual(['a.jsonl', 'b.partial.jsonl']);
    expect(readdirSync(to).sort()).toEqual(['experiment.json', 'records']);
    expect(readFileSync(join(to, 'records', 'b.partial.jsonl'), 'utf8')).toBe('{"epoch":0}\n{"epoch":1}\n');
    expect(readFileSync(join(to, 'records', 'a.jsonl'), 'utf8')).toBe('{"type":"summary"}\n');
    expect(wholeLines('no newline yet')).toBe('');
  });

  it('refuses a directory that is not a run, naming it, before writing anything', () => {
    const base = mkdtempSync(join(tmpdir(), 'rb-copy-runs-'));
    mkdirSync(join(base, 'results', 'only-records', 'records'), { recursive: true });
    expect(() => copyRunRecords(join(base, 'results', 'only-records'), join(base, 'here'))).toThrow(/only-records: no experiment\.json/);
    expect(existsSync(join(base, 'here'))).toBe(false);
    // From the command line: one good run directory and one missing; neither is copied.
    const good = 'rb-copy-test-good';
    mkdirSync(join(base, 'results', good, 'records'), { recursive: true });
    writeFileSync(join(base, 'results', good, 'experiment.json'), '{}\n');
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'scripts', 'copy-run-records.ts'), base, good, 'rb-copy-test-missing'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^copy-run-records: \S*rb-copy-test-missing: no such run directory$/);
    expect(existsSync(join(ROOT, 'results', good))).toBe(false);
  }, 60_000);
});
