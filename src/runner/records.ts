// Records on disk: one JSONL file per trial. A running trial appends (with fsync) to
// `<id>.partial.jsonl`; its summary line is followed by an atomic rename to `<id>.jsonl`, so a
// finished trial is exactly one complete file and a crash leaves only a partial to redo.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SpecError } from '../errors.ts';
import type { TrialRecord } from './trial.ts';

export const recordsDir = (out: string) => join(out, 'records');
const finalPath = (out: string, id: string) => join(recordsDir(out), `${id}.jsonl`);
const partialPath = (out: string, id: string) => join(recordsDir(out), `${id}.partial.jsonl`);

/** Create the output folders and prove they are writable, before any trial starts. */
export function prepareOutput(out: string): void {
  try {
    mkdirSync(recordsDir(out), { recursive: true });
    const probe = join(out, `.write-probe-${process.pid}`);
    writeFileSync(probe, 'ok');
    rmSync(probe);
  } catch (e) {
    throw new SpecError(`--out ${out}: the results directory is not writable (${(e as Error).message}); choose another with --out`);
  }
}

/** Atomically write a whole file (temp + rename). */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
}

export function isFinished(out: string, id: string): boolean {
  return existsSync(finalPath(out, id));
}

/** Appends a trial's records durably; `finish` publishes the file. */
export class TrialWriter {
  private fd: number;

  constructor(private readonly out: string, private readonly id: string) {
    // A leftover partial is an interrupted earlier attempt: start the trial over.
    this.fd = openSync(partialPath(out, id), 'w');
  }

  write(record: TrialRecord): void {
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.fd);
  }

  finish(): void {
    closeSync(this.fd);
    renameSync(partialPath(this.out, this.id), finalPath(this.out, this.id));
  }

  abandon(): void {
    closeSync(this.fd);
  }
}

/**
 * Remove partial files of trials that did not finish (they are rerun from scratch) — only those
 * of `ids` when given, so shards sharing one directory leave each other's running trials alone.
 */
export function clearPartials(out: string, ids?: ReadonlySet<string>): number {
  const dir = recordsDir(out);
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const f of readdirSync(dir)) {
    const id = f.split('.')[0];
    if ((f.endsWith('.partial.jsonl') || f.includes('.tmp-')) && (!ids || ids.has(id))) {
      rmSync(join(dir, f));
      n++;
    }
  }
  return n;
}

/** Every record of every finished trial in a results directory (merging shards is just this). */
export function readRecords(out: string): TrialRecord[] {
  const dir = recordsDir(out);
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl') && !f.endsWith('.partial.jsonl')).sort();
  return files.flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as TrialRecord),
  );
}
