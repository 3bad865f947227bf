// A record is written whole or not at all: a write cut short by a full disk leaves the trial's
// file ending on its last whole line, and the error names the file.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TrialWriter } from '../../src/runner/records.ts';
import type { TrialRecord } from '../../src/runner/trial.ts';
import { tmp } from './helpers.ts';

// The disk fills after `room` more bytes: writes get that much in, then fail with ENOSPC.
let room = Infinity;
vi.mock('node:fs', async (original) => {
  const real = await original<typeof import('node:fs')>();
  const writeSync = (fd: number, buf: Uint8Array, off: number, len: number, pos: number) => {
    if (room <= 0)
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write', errno: -28 });
    const n = real.writeSync(fd, buf, off, Math.min(len, room), pos);
    room -= n;
    return n;
  };
  return { ...real, writeSync, default: { ...real, writeSync } };
});

afterEach(() => {
  room = Infinity;
});

const record = (step: number) => ({ type: 'eval', trial: 't', rule: 'r', step, padding: 'x'.repeat(100) }) as unknown as TrialRecord;

describe('TrialWriter on a full disk', () => {
  it('keeps only whole lines and names the file in the error', () => {
    const out = tmp('records');
    fs.mkdirSync(join(out, 'records'));
    const w = new TrialWriter(out, 'abc');
    w.write(record(0));
    w.write(record(1));
    room = 50; // half of the next line fits
    let err: NodeJS.ErrnoException | null = null;
    try {
      w.write(record(2));
    } catch (e) {
      err = e as NodeJS.ErrnoException;
    }
    expect(err?.code).toBe('ENOSPC');
    expect(err?.path).toBe(join(out, 'records', 'abc.partial.jsonl'));
    w.abandon();
    const text = fs.readFileSync(join(out, 'records', 'abc.partial.jsonl'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).step),
    ).toEqual([0, 1]);
  });
});
