// One writer per results directory (per shard): a lock file naming its holder's PID, host and
// start time. A second process stops at once naming the holder; a lock whose process is gone
// (killed, crashed, a restarted container) is taken over.
import { linkSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { SpecError } from '../errors.ts';
import type { Shard } from './shard.ts';

const PREFIX = '.rulebench.lock';

export interface LockHolder {
  pid: number;
  host: string;
  /** Kernel boot and process start time: tell a live holder from a reused PID. */
  boot: string | null;
  start: string | null;
  since: string;
  shard: string | null;
  command: string;
}

export const isLockFile = (name: string) => name.startsWith(PREFIX);
const lockName = (shard: Shard | undefined) => (shard ? `${PREFIX}.${shard.index}of${shard.count}` : PREFIX);

function readOr(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Fields 3 onwards of /proc/<pid>/stat (Linux), or null. */
function stat(pid: number): string[] | null {
  const text = readOr(`/proc/${pid}/stat`);
  // The command name (field 2) may hold spaces: split after its closing parenthesis.
  return text ? text.slice(text.lastIndexOf(')') + 2).split(' ') : null;
}

/** Field 22: the process's start time in clock ticks since boot. */
const startTime = (pid: number): string | null => stat(pid)?.[19] ?? null;

function me(shard: string | null): LockHolder {
  return {
    pid: process.pid,
    host: hostname(),
    boot: readOr('/proc/sys/kernel/random/boot_id'),
    start: startTime(process.pid),
    since: new Date().toISOString(),
    shard,
    command: process.argv.slice(1).join(' '),
  };
}

/** Whether the holder may still be running. Another host's holder cannot be checked: assume so. */
function alive(h: LockHolder): boolean {
  if (h.host !== hostname()) return true;
  if (h.boot && h.boot !== readOr('/proc/sys/kernel/random/boot_id')) return false;
  if (h.pid === process.pid) return false; // our own PID in an old lock: a previous life of this container
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  const now = stat(h.pid);
  // A killed process lingers as a zombie until reaped (forever, under an init that never reaps).
  if (now && (now[0] === 'Z' || now[0] === 'X')) return false;
  return !(h.start && now && now[19] !== h.start);
}

function parse(path: string): LockHolder | null {
  const text = readOr(path);
  if (text === null) return null;
  try {
    const h = JSON.parse(text) as LockHolder;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? h : null;
  } catch {
    return null; // damaged (e.g. on a full disk): nothing can be holding it
  }
}

export class OutLock {
  // process.exit (a second Ctrl-C) skips finally blocks; the exit event still runs.
  private readonly onExit = () => this.release();

  private constructor(
    private readonly path: string,
    readonly tookOver: LockHolder | null,
  ) {
    process.on('exit', this.onExit);
  }

  /**
   * Lock `out` for this process. An unsharded run excludes every other run; shard i/n excludes
   * the unsharded run, the same shard, and shards of a different count (they would overlap).
   */
  static acquire(out: string, shard?: Shard): OutLock {
    const name = lockName(shard);
    const path = join(out, name);
    const tookOver = create(path, me(shard ? `${shard.index}/${shard.count}` : null));
    try {
      const h = liveConflict(out, shard, name);
      if (h) throw busy(out, h);
    } catch (e) {
      rmSync(path, { force: true });
      throw e;
    }
    return new OutLock(path, tookOver);
  }

  /** Stop early, before a run spends time loading anything, when `out` is held by a live process. */
  static check(out: string, shard?: Shard): void {
    const h = liveConflict(out, shard, null);
    if (h) throw busy(out, h);
  }

  release(): void {
    process.off('exit', this.onExit);
    // Only our own lock: one taken over after we were presumed dead is not ours to remove.
    if (parse(this.path)?.pid === process.pid) rmSync(this.path, { force: true });
  }
}

/** A live holder of a lock that excludes `shard` (leaving out our own lock file `mine`). */
function liveConflict(out: string, shard: Shard | undefined, mine: string | null): LockHolder | null {
  let names: string[];
  try {
    names = readdirSync(out);
  } catch {
    return null; // no directory yet: nobody holds it
  }
  for (const other of names.filter((f) => isLockFile(f) && f !== mine && !f.includes('.tmp-') && !f.includes('.stale-'))) {
    const m = /\.(\d+)of(\d+)$/.exec(other);
    // A sibling shard of the same count runs disjoint trials.
    if (shard && m && Number(m[2]) === shard.count && Number(m[1]) !== shard.index) continue;
    const h = parse(join(out, other));
    if (h && alive(h)) return h;
  }
  return null;
}

function busy(out: string, h: LockHolder): SpecError {
  const remote = h.host !== hostname() ? ` on host ${h.host} (if it no longer runs there, delete the lock file ${PREFIX}* in ${out})` : '';
  return new SpecError(
    `--out ${out}: in use by process ${h.pid}${remote}, running since ${h.since}${h.shard ? ` as shard ${h.shard}` : ''}` +
      ` (${h.command}); wait for it to finish, or use another --out`,
  );
}

/** Create the lock file, taking over a dead holder's; returns the holder taken over, if any. */
function create(path: string, holder: LockHolder): LockHolder | null {
  const out = dirname(path);
  // Written whole to a temp file and linked into place: a lock file is never seen half-written.
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(holder)}\n`);
  let stale: LockHolder | null = null;
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(tmp, path);
        return stale;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw Object.assign(e as Error, { path });
      }
      const h = parse(path);
      if (h && alive(h)) throw busy(out, h);
      // Move the stale lock aside under our own name, then check that what moved is what we
      // judged stale: a racing process may have replaced it with its own live lock meanwhile.
      const aside = `${path}.stale-${process.pid}`;
      try {
        renameSync(path, aside);
      } catch {
        continue; // another process moved it first
      }
      const moved = parse(aside);
      if (moved && (!h || moved.pid !== h.pid || moved.since !== h.since) && alive(moved)) {
        try {
          linkSync(aside, path); // give it back
        } catch {
          // a third process locked meanwhile; it holds the directory now
        }
        rmSync(aside, { force: true });
        throw busy(out, moved);
      }
      rmSync(aside, { force: true });
      stale = h;
    }
    throw new SpecError(`${path}: could not take the lock (other processes keep creating it); try again`);
  } finally {
    rmSync(tmp, { force: true });
  }
}
