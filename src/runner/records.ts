// Records on disk: one JSONL file per trial. A running trial appends (with fsync) to
// `<id>.partial.jsonl`, one whole line at a time; its summary line is followed by an atomic
// rename to `<id>.jsonl`, so a finished trial is exactly one complete file and a crash leaves
// only a partial: redone, or continued from its `<id>.ckpt` (checkpoint.ts) when it has one.
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { SpecError } from '../errors.ts';
import { readCheckpoint, type LoadedCheckpoint } from './checkpoint.ts';
import { describeError } from './failure.ts';
import type { TrialRecord, TrialStatus } from './record-types.ts';

export const recordsDir = (out: string) => join(out, 'records');
const finalPath = (out: string, id: string) => join(recordsDir(out), `${id}.jsonl`);
const partialPath = (out: string, id: string) => join(recordsDir(out), `${id}.partial.jsonl`);
export const checkpointPath = (out: string, id: string) => join(recordsDir(out), `${id}.ckpt`);
/** Where --fresh moves a directory's earlier contents (the report reads neither it nor its files). */
export const SUPERSEDED = 'superseded';

/**
 * mkdir -p, one level at a time: the recursive form reports ENOENT for a read-only parent, where
 * creating the level itself tells the real cause (EROFS, EACCES, ENOTDIR, ...).
 */
export function makeDir(path: string): void {
  if (existsSync(path)) return;
  const parent = dirname(path);
  if (parent !== path) makeDir(parent);
  try {
    mkdirSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !existsSync(path)) throw e;
  }
}

/** Create the output folders and prove records/ is writable, before any trial starts. */
export function prepareOutput(out: string): void {
  try {
    makeDir(recordsDir(out));
    const probe = join(recordsDir(out), `.write-probe-${process.pid}`);
    writeFileSync(probe, 'ok');
    rmSync(probe);
  } catch (e) {
    throw new SpecError(`--out ${out}: the results directory is not writable: ${describeError(e)}`);
  }
}

/** Atomically write a whole file (temp + rename). */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, content);
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw Object.assign(e as Error, { path });
  }
}

/** Appends a trial's records durably, each line whole or not at all; `finish` publishes the file. */
export class TrialWriter {
  private fd: number;
  private size = 0;
  private readonly path: string;

  /**
   * A leftover partial is an interrupted earlier attempt: it starts over, unless `keepBytes` says
   * how much of it a checkpoint covers; the lines after that are cut and written again.
   */
  constructor(
    private readonly out: string,
    private readonly id: string,
    keepBytes = 0,
  ) {
    this.path = partialPath(out, id);
    try {
      this.fd = openSync(this.path, keepBytes > 0 ? 'r+' : 'w');
      if (keepBytes > 0) ftruncateSync(this.fd, keepBytes);
    } catch (e) {
      throw Object.assign(e as Error, { path: this.path });
    }
    this.size = keepBytes;
  }

  /** Bytes written so far (whole lines). */
  get bytes(): number {
    return this.size;
  }

  write(record: TrialRecord): void {
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    try {
      for (let off = 0; off < line.length;) off += writeSync(this.fd, line, off, line.length - off, this.size + off);
      fsyncSync(this.fd);
    } catch (e) {
      // A full disk can take half a line: cut the file back so it ends on a whole record.
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        // the tail is then reported and dropped by the next run
      }
      throw Object.assign(e as Error, { path: this.path });
    }
    this.size += line.length;
  }

  finish(): void {
    try {
      closeSync(this.fd);
      renameSync(this.path, finalPath(this.out, this.id));
    } catch (e) {
      throw Object.assign(e as Error, { path: this.path });
    }
  }

  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

/** The last `max` bytes of a file (a summary line is short; record files can be long). */
function tail(path: string, max = 65536): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const n = Math.min(size, max);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Bytes of a torn last line (no newline, or not JSON) at the end of `text`; 0 when it ends whole. */
function tornBytes(text: string): number {
  if (text.length === 0) return 0;
  if (!text.endsWith('\n')) return Buffer.byteLength(text.slice(text.lastIndexOf('\n') + 1));
  const last = text.slice(text.lastIndexOf('\n', text.length - 2) + 1, -1);
  try {
    JSON.parse(last);
    return 0;
  } catch {
    return Buffer.byteLength(last) + 1;
  }
}

/** How a trial's finished file ended: its summary's status, or null when it has none. */
function finishedStatus(path: string): TrialStatus | null {
  const text = tail(path);
  const last = text.slice(text.lastIndexOf('\n', text.length - 2) + 1).trim();
  try {
    const r = JSON.parse(last) as { type?: string; status?: TrialStatus };
    return r.type === 'summary' && typeof r.status === 'string' ? r.status : null;
  } catch {
    return null;
  }
}

/** The finished trials among `ids` and their status, read without mending anything (a check before a run). */
export function finishedTrials(out: string, ids: readonly string[]): Map<string, TrialStatus> {
  const finished = new Map<string, TrialStatus>();
  for (const id of ids) {
    const path = finalPath(out, id);
    const status = existsSync(path) ? finishedStatus(path) : null;
    if (status) finished.set(id, status);
  }
  return finished;
}

export interface RecordsState {
  /** Trials with a finished file, by id, with the status of their summary. */
  finished: Map<string, TrialStatus>;
  /** One line per problem found and mended (torn tails dropped, damaged files set aside). */
  notes: string[];
}

/**
 * Read the state of `ids` in a results directory. A finished file without a whole summary line
 * at its end is not finished: its torn tail is dropped, it becomes a partial, and is redone.
 */
export function scanRecords(out: string, ids: readonly string[]): RecordsState {
  const finished = new Map<string, TrialStatus>();
  const notes: string[] = [];
  for (const id of ids) {
    const path = finalPath(out, id);
    if (!existsSync(path)) continue;
    const status = finishedStatus(path);
    if (status) {
      finished.set(id, status);
      continue;
    }
    const torn = dropTornTail(path);
    renameSync(path, partialPath(out, id));
    notes.push(`${path}: no summary at its end${torn ? ` (a torn last line of ${torn} bytes was dropped)` : ''}; the trial is redone`);
  }
  return { finished, notes };
}

/** Cut a torn last line off a file; returns the bytes dropped. */
function dropTornTail(path: string): number {
  const text = readFileSync(path, 'utf8');
  const torn = tornBytes(text);
  if (torn) {
    const fd = openSync(path, 'r+');
    try {
      ftruncateSync(fd, Buffer.byteLength(text) - torn);
    } finally {
      closeSync(fd);
    }
  }
  return torn;
}

/**
 * The checkpoint an interrupted trial continues from: one whose partial records still hold
 * every line written before it was taken. Null when the trial must start over.
 */
export function resumable(out: string, id: string): LoadedCheckpoint | null {
  const path = partialPath(out, id);
  const ckpt = readCheckpoint(checkpointPath(out, id));
  if (!ckpt || ckpt.trial !== id || !existsSync(path) || statSync(path).size < ckpt.recordsBytes) return null;
  return ckpt;
}

/**
 * Remove the partial files of these trials (interrupted earlier attempts, redone from scratch)
 * unless a checkpoint lets them continue, saying which ones ended in a torn line, and the stale
 * checkpoints of `finished` trials. Other trials' partials may belong to another shard's process
 * writing right now: they are left alone.
 */
export function clearPartials(out: string, ids: readonly string[], finished: readonly string[] = []): string[] {
  const notes: string[] = [];
  // A kill between a finished trial's last rename and its checkpoint's removal leaves the checkpoint behind.
  for (const id of finished) rmSync(checkpointPath(out, id), { force: true });
  let plain = 0;
  const continued: string[] = [];
  const ours = new Set(ids);
  // A checkpoint a kill cut off while it was being written (the one before it stays whole).
  for (const f of readdirSync(recordsDir(out)))
    if (/\.ckpt\.tmp-\d+$/.test(f) && ours.has(f.slice(0, f.indexOf('.')))) rmSync(join(recordsDir(out), f), { force: true });
  for (const id of ids) {
    const path = partialPath(out, id);
    const ckpt = resumable(out, id);
    if (ckpt) {
      continued.push(`${id} from epoch ${ckpt.epoch}`);
      continue;
    }
    rmSync(checkpointPath(out, id), { force: true });
    if (!existsSync(path)) continue;
    const torn = tornBytes(tail(path));
    if (torn) notes.push(`${path}: dropped a torn last line (${torn} bytes); the interrupted trial is redone`);
    else plain++;
    rmSync(path);
  }
  if (plain) notes.push(`${plain} interrupted trial(s) in ${recordsDir(out)} are redone from the start`);
  if (continued.length) notes.push(`${continued.length} interrupted trial(s) continue from their last checkpoint: ${continued.join(', ')}`);
  return notes;
}

/**
 * Move everything in `out` (records, manifest, report) to `out/superseded/<time>/`, keeping the
 * lock files. Returns where it went.
 */
export function setAside(out: string, keep: (name: string) => boolean): string | null {
  if (!existsSync(out)) return null;
  const names = readdirSync(out).filter((f) => f !== SUPERSEDED && !keep(f));
  if (!names.length) return null;
  const dest = join(out, SUPERSEDED, new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(dest, { recursive: true });
  for (const f of names) renameSync(join(out, f), join(dest, f));
  return dest;
}

/** Every record of every finished trial in a results directory (merging shards is just this). */
export function readRecords(out: string): TrialRecord[] {
  const dir = recordsDir(out);
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl') && !f.endsWith('.partial.jsonl'))
    .sort();
  return files.flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as TrialRecord),
  );
}
