// The lock on a results directory: a dead holder's lock is taken over — also when the holder is
// a zombie (killed, not yet reaped: kill(pid, 0) still succeeds) — and a live one is not.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutLock } from '../../src/runner/lock.ts';
import { tmp } from './helpers.ts';

const holder = (pid: number) =>
  JSON.stringify({
    pid,
    host: hostname(),
    boot: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    start: null,
    since: 'earlier',
    shard: null,
    command: 'x',
  });

describe('OutLock', () => {
  it("takes over a zombie holder's lock, refuses a live holder's", async () => {
    // sh starts a short sleep, then becomes a long one, which never reaps the first: a zombie.
    const sh = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 20'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number(await new Promise<string>((resolve) => sh.stdout.once('data', (d) => resolve(String(d)))));
      for (let i = 0; i < 100 && !readFileSync(`/proc/${zombie}/stat`, 'utf8').includes(') Z'); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(() => process.kill(zombie, 0)).not.toThrow();
      const out = tmp('lock');
      writeFileSync(join(out, '.rulebench.lock'), holder(zombie));
      const lock = OutLock.acquire(out);
      expect(lock.tookOver?.pid).toBe(zombie);
      lock.release();

      writeFileSync(join(out, '.rulebench.lock'), holder(sh.pid!));
      expect(() => OutLock.acquire(out)).toThrow(new RegExp(`in use by process ${sh.pid}, running since earlier`));
      expect(() => OutLock.check(out)).toThrow(/in use by process/);
    } finally {
      sh.kill('SIGKILL');
    }
  });
});
