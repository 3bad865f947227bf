// The transformer LM's training step (backprop + Adam) as bench/transformer.ts and the WebGPU
// bench (bench/webgpu.ts, through bench/ours.ts) time it, on the backend installed, and PyTorch's
// same step (bench/peers/torch_transformer.py) on the CPU or on CUDA.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { backprop } from '../algorithms/backprop.ts';
import {
  adam,
  buildModel,
  fromArray,
  ledger,
  rng,
  ruleContext,
  sequence,
  type AnyRule,
  type ModelSpec,
  type Tensor,
} from '../src/index.ts';
import { withArena } from '../src/tensor/tensor.ts';
import { ROOT, findTorchPython } from './peers.ts';

// The char-lm experiment's transformer: Moby-Dick's vocabulary (89 characters + unknown), context 64, batch 32.
export const SHAPE = { vocab: 90, context: 64, dim: 64, heads: 4, blocks: 2, mlp: 4, batch: 32 };
export const tokensPerStep = SHAPE.batch * SHAPE.context;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export interface Ours {
  fused: boolean;
  params: number;
  stepMedianMs: number;
  cpuStepMs: number;
  tokensPerSecond: number;
  cpuTokensPerSecond: number;
  savedActivationBytes: number;
  peakBytes: number;
}

/** `steps` timed steps after `warmup` untimed ones, on the backend installed. */
export function transformerSteps(fused: boolean, steps: number, warmup: number): Ours {
  const spec = {
    preset: 'transformer',
    blocks: SHAPE.blocks,
    dim: SHAPE.dim,
    heads: SHAPE.heads,
    mlp: SHAPE.mlp,
    fused,
    init: 'xavierUniform',
  } as ModelSpec;
  const model = buildModel(spec, { sampleShape: [SHAPE.context], outputs: SHAPE.vocab, outputShape: [SHAPE.context, SHAPE.vocab] });
  const params = model.init(rng(0).child('init'));
  const task = sequence(SHAPE.vocab, { positions: SHAPE.context });
  const opt = adam({ lr: 3e-3 });
  const state = opt.init(params);
  const r = rng(1);
  const batches = Array.from({ length: 8 }, () => {
    const ids = Array.from({ length: SHAPE.batch * (SHAPE.context + 1) }, () => r.int(SHAPE.vocab));
    const at = (k: number, shift: number) => ids[Math.floor(k / SHAPE.context) * (SHAPE.context + 1) + (k % SHAPE.context) + shift];
    return {
      x: ledger().withCategory('other', () =>
        fromArray(
          Array.from({ length: tokensPerStep }, (_, k) => at(k, 0)),
          [SHAPE.batch, SHAPE.context],
        ),
      ),
      labels: Int32Array.from({ length: tokensPerStep }, (_, k) => at(k, 1)),
      size: SHAPE.batch,
    };
  });
  const rule = backprop as unknown as AnyRule;
  const step = (i: number) =>
    withArena(() => {
      const ctx = ruleContext({
        model,
        task,
        params,
        rule,
        options: { checkpoint: 0, truncate: 0 },
        rng: rng(2),
        dropout: rng(3),
        step: i,
      });
      const res = rule.step(ctx, null, batches[i % batches.length]);
      opt.update(params, res.updates as Tensor[], state, i);
    });
  for (let i = 0; i < warmup; i++) step(i);
  const { memory } = ledger().measure(() => step(warmup));
  const times: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    step(warmup + 1 + i);
    times.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(c0);
  const cpuStepMs = (cpu.user + cpu.system) / 1000 / steps;
  const stepMedianMs = median(times);
  return {
    fused,
    params: params.reduce((a, p) => a + p.size, 0),
    stepMedianMs,
    cpuStepMs,
    tokensPerSecond: tokensPerStep / (stepMedianMs / 1000),
    cpuTokensPerSecond: tokensPerStep / (cpuStepMs / 1000),
    savedActivationBytes: memory.peakByCategory['saved-activation'],
    peakBytes: memory.peakBytes - memory.startBytes,
  };
}

export interface Torch {
  version: string;
  threads: number;
  params: number;
  stepMedianMs: number;
  cpuStepMs: number;
  tokensPerSecond: number;
}

/** PyTorch's step on `device` (cpu: one thread; cuda: synchronized at each step). */
export function torchTransformer(steps: number, warmup: number, device: 'cpu' | 'cuda' = 'cpu'): Torch | { skipped: string } {
  const py = findTorchPython();
  if (py.python === null) return { skipped: py.reason };
  const args = Object.entries(SHAPE).flatMap(([k, v]) => [`--${k}`, String(v)]);
  // PASSIVE: idle OpenMP threads sleep; one thread, pinned by the thread count and the OMP/MKL variables.
  const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const r = spawnSync(
    py.python,
    [
      join(ROOT, 'bench/peers/torch_transformer.py'),
      '--threads',
      '1',
      ...args,
      '--steps',
      String(steps),
      '--warmup',
      String(warmup),
      '--device',
      device,
    ],
    { cwd: ROOT, env, encoding: 'utf8', timeout: 600_000 },
  );
  const line = `${r.stdout ?? ''}`
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line)
    return { skipped: `${py.python} exited with ${r.status ?? r.signal}: ${`${r.stderr ?? ''}`.trim().split('\n').slice(-2).join(' | ')}` };
  return JSON.parse(line) as Torch;
}
