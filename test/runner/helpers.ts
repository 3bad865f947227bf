// Shared by the runner and CLI tests: temp directories, quiet run options, a tiny MNIST-layout
// IDX set written to disk, spawning the CLI the way a user's shell does, and records compared apart from timing.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { rng } from '../../src/random.ts';
import { readRecords } from '../../src/runner/records.ts';
import type { EvalRecord, TrialRecord } from '../../src/runner/record-types.ts';

export const tmp = (tag = 'integrity') => mkdtempSync(join(tmpdir(), `rulebench-${tag}-`));
export const quiet = { log: () => {}, tty: false, workers: 1 };

function idx(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

/** The four MNIST IDX files with `train` and `test` 28×28 images of seeded noise; labels cycle 0–9. */
export function writeIdxSet(dir: string, sizes = { train: 60, test: 20 }, gzip = false): string {
  mkdirSync(dir, { recursive: true });
  const r = rng('idx-fixture');
  for (const [split, n] of [
    ['train', sizes.train],
    ['t10k', sizes.test],
  ] as const) {
    const pixels = Uint8Array.from({ length: n * 784 }, () => r.int(256));
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    const files: Array<[string, Buffer]> = [
      [`${split}-images-idx3-ubyte`, idx([n, 28, 28], pixels)],
      [`${split}-labels-idx1-ubyte`, idx([n], labels)],
    ];
    for (const [name, bytes] of files) writeFileSync(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  }
  return dir;
}

export interface Exit {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Run a shell command line to its end (its own process group, as a terminal starts a job). */
export function sh(command: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Exit> {
  return new Promise((resolve) => {
    const p = spawn('sh', ['-c', command], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** No stack trace: no "    at …" frame lines and no Node internals. */
export const hasStackTrace = (text: string) => /^\s+at .+[(:]/m.test(text) || /node:internal/.test(text);

/** Each trial's last evaluation (loss and accuracies), by rule in name order. */
export function lastEvals(out: string): Array<Pick<EvalRecord, 'trainLoss' | 'valLoss' | 'valAcc' | 'testAcc'>> {
  const evals = readRecords(out).filter((r): r is EvalRecord => r.type === 'eval');
  return [...new Set(evals.map((r) => r.rule))].sort().map((rule) => {
    const { trainLoss, valLoss, valAcc, testAcc } = evals.filter((r) => r.rule === rule).at(-1)!;
    return { trainLoss, valLoss, valAcc, testAcc };
  });
}

/** A run directory's records without the timing/process fields (`host`), in a canonical order. */
export function canonicalRecords(dir: string): string[] {
  return readRecords(dir)
    .map((r: TrialRecord) => {
      const { host: _host, ...rest } = r as TrialRecord & { host: unknown };
      return JSON.stringify(rest);
    })
    .sort();
}
