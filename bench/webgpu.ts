// `npm run bench -- --webgpu`: the BP training step on the WebGPU backend beside PyTorch on the
// same GPU (CUDA), each in its own process: the MLP (784-256-256-10, batch 128), LeNet-5 and
// ResNet-20 (batch 128, 32×32 MNIST, as bench/ours.ts runs them) and the transformer LM
// (bench/transformer-step.ts: the char-lm shape, batch 32, Adam). Ratios are ours ÷ PyTorch of the
// median step. Writes results/bench/webgpu.json. Meant for a machine with a GPU; without one Dawn
// falls back to SwiftShader (VK_ICD_FILENAMES) and PyTorch reports no CUDA, which the file then says.
// Run: npm run bench -- --webgpu [--steps 60] [--warmup 20] [--quick] [--models mlp,lenet,resnet20,transformer] [--batch 128]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { oursSteps, ROOT, torchSteps, type EpochResult, type PeerResult } from './peers.ts';
import { torchTransformer } from './transformer-step.ts';

export const WEBGPU_MODELS = ['mlp', 'lenet', 'resnet20', 'transformer'] as const;
export type WebGpuModel = (typeof WEBGPU_MODELS)[number];

export interface WebGpuBenchOptions {
  steps: number;
  warmup: number;
  models: ReadonlyArray<WebGpuModel>;
  /** The batch of the MLP, LeNet and ResNet-20 (128; smaller only for smoke runs); the transformer keeps its shape's. */
  batch: number;
  log: (s: string) => void;
}

/** The GPU's name as nvidia-smi gives it, or why there is none. */
function gpuName(): string {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return 'no NVIDIA GPU found (nvidia-smi failed)';
  }
}

const median = (r: PeerResult<EpochResult>): number | null => (r.ok ? (r.value.stepMedianMs?.[0] ?? null) : null);

const TRANSFORMER_BATCH = 32;
/** PyTorch's transformer step on CUDA, as the other peers' results read. */
function transformerPeer(steps: number, warmup: number): PeerResult<EpochResult> {
  const t = torchTransformer(steps, warmup, 'cuda');
  if ('skipped' in t) return { ok: false, reason: t.skipped };
  return { ok: true, value: { ...t, stepMedianMs: [t.stepMedianMs] } as unknown as EpochResult, ms: 0 };
}

export function benchWebGpu(opts: WebGpuBenchOptions): string {
  const rows = opts.models.map((model) => {
    opts.log(`webgpu bench: ${model} on WebGPU (${opts.steps} steps)…`);
    const ours = oursSteps({ model, backend: 'webgpu', threads: 1, steps: opts.steps, warmup: opts.warmup, batch: opts.batch });
    opts.log(`webgpu bench: ${model} on PyTorch CUDA…`);
    const torch =
      model === 'transformer'
        ? transformerPeer(opts.steps, opts.warmup)
        : torchSteps(model, 1, opts.steps, opts.warmup, 'cuda', opts.batch);
    const [a, b] = [median(ours), median(torch)];
    return {
      model,
      batch: model === 'transformer' ? TRANSFORMER_BATCH : opts.batch,
      ours: ours.ok ? ours.value : { failed: ours.reason },
      torchCuda: torch.ok ? torch.value : { failed: torch.reason },
      oursMedianStepMs: a,
      torchMedianStepMs: b,
      ratio: a !== null && b !== null ? a / b : null,
    };
  });
  const out = join(ROOT, 'results/bench');
  mkdirSync(out, { recursive: true });
  const file = join(out, 'webgpu.json');
  const body = {
    date: new Date().toISOString(),
    gpu: gpuName(),
    vkIcdFilenames: process.env.VK_ICD_FILENAMES ?? null,
    steps: opts.steps,
    warmup: opts.warmup,
    ratioIs: 'median BP step, ours on WebGPU ÷ PyTorch on CUDA (lower is better)',
    targets: { mlp: 2, resnet20: 3, transformer: 3 },
    rows,
  };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  for (const r of rows)
    opts.log(
      `  ${r.model}: ours ${r.oursMedianStepMs?.toFixed(2) ?? '—'} ms, torch ${r.torchMedianStepMs?.toFixed(2) ?? '—'} ms, ratio ${r.ratio?.toFixed(2) ?? '—'}`,
    );
  return file;
}
