// Brings the records of long runs that go on elsewhere (another checkout, another machine) into
// results/ and regenerates the documented tables, so the docs quote the epochs reached so far:
// experiment.json and every records/*.jsonl (finished or partial) of each named directory. A
// partial file is cut after its last whole line (it may be copied mid-write); a trial's partial is
// dropped here once its finished file arrives. Checkpoints (.ckpt) and locks stay behind.
//   npx tsx scripts/copy-run-records.ts <run checkout> [results dir name ...]
//     e.g. npx tsx scripts/copy-run-records.ts /work/runs-repro2
//   Without names: the long protocols' directories (LONG_RUNS below).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');

/** The published protocols whose runs take days on 2 cores; their records are committed as they stand. */
export const LONG_RUNS = ['nokland-mlp', 'forward-forward-loewex', 'forward-forward-hinton', 'forward-gradient-baydin'];

/** Text up to and including its last newline: a line still being written is left out. */
export const wholeLines = (text: string) => text.slice(0, text.lastIndexOf('\n') + 1);

/**
 * Copy one run directory's manifest and records from `from` into `to`; returns the files written.
 * Throws, naming the path, before writing anything when `from` is not a run directory.
 */
export function copyRunRecords(from: string, to: string): string[] {
  const manifest = join(from, 'experiment.json');
  if (!existsSync(manifest)) throw new Error(`${from}: no experiment.json (not a run directory)`);
  const src = join(from, 'records');
  const files = existsSync(src) ? readdirSync(src).filter((f) => f.endsWith('.jsonl')) : [];
  const finished = new Set(files.filter((f) => !f.endsWith('.partial.jsonl')).map((f) => f.slice(0, -'.jsonl'.length)));
  const dst = join(to, 'records');
  mkdirSync(dst, { recursive: true });
  copyFileSync(manifest, join(to, 'experiment.json'));
  const written = ['experiment.json'];
  for (const f of files) {
    const partial = f.endsWith('.partial.jsonl');
    if (partial && finished.has(f.slice(0, -'.partial.jsonl'.length))) continue;
    writeFileSync(join(dst, f), partial ? wholeLines(readFileSync(join(src, f), 'utf8')) : readFileSync(join(src, f)));
    written.push(`records/${f}`);
  }
  // A trial that finished there leaves no partial here.
  for (const id of finished) rmSync(join(dst, `${id}.partial.jsonl`), { force: true });
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [checkout, ...names] = process.argv.slice(2);
  const fail = (msg: string) => {
    console.error(`copy-run-records: ${msg}`);
    process.exit(1);
  };
  if (!checkout) fail('usage: npx tsx scripts/copy-run-records.ts <run checkout> [results dir name ...]');
  const dirs = names.length ? names : LONG_RUNS;
  // Every source is checked before anything is copied.
  for (const d of dirs) {
    const from = resolve(checkout, 'results', d);
    if (!existsSync(from) || !statSync(from).isDirectory()) fail(`${from}: no such run directory`);
    if (!existsSync(join(from, 'experiment.json'))) fail(`${from}: no experiment.json (not a run directory)`);
  }
  for (const d of dirs) {
    const files = copyRunRecords(resolve(checkout, 'results', d), join(ROOT, 'results', d));
    console.log(`results/${d}: ${files.join(', ')}`);
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'docs-tables.ts')], { stdio: 'inherit', cwd: ROOT });
  process.exit(r.status ?? 1);
}
