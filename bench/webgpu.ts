// `npm run bench -- --webgpu`: the BP training step on the WebGPU backend beside PyTorch on the
// same GPU (CUDA), each in its own process: the MLP (784-256-256-10, batch 128) and LeNet-5
// (batch 128, as bench/ours.ts runs it). Ratios are ours ÷ PyTorch of the median step. Writes
// results/bench/webgpu.json. Meant for a machine with a GPU; without one Dawn falls back to
// SwiftShader (VK_ICD_FILENAMES) and PyTorch reports no CUDA, which the file then says.
// ResNet-20 and the transformer are not in it yet (docs/webgpu.md).
// Run: npm run bench -- --webgpu [--steps 60] [--warmup 20] [--quick] [--models mlp,lenet]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { oursSteps, ROOT, torchSteps, type EpochResult, type PeerResult } from './peers.ts';

export interface WebGpuBenchOptions {
  steps: number;
  warmup: number;
  models: ReadonlyArray<'mlp' | 'lenet'>;
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

export function benchWebGpu(opts: WebGpuBenchOptions): string {
  const rows = opts.models.map((model) => {
    opts.log(`webgpu bench: ${model} on WebGPU (${opts.steps} steps)…`);
    const ours = oursSteps({ model, backend: 'webgpu', threads: 1, steps: opts.steps, warmup: opts.warmup });
    opts.log(`webgpu bench: ${model} on PyTorch CUDA…`);
    const torch = torchSteps(model, 1, opts.steps, opts.warmup, 'cuda');
    const [a, b] = [median(ours), median(torch)];
    return {
      model,
      batch: 128,
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
    notYet: ['resnet20 (batch 128)', 'transformer'],
    rows,
  };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  for (const r of rows)
    opts.log(
      `  ${r.model}: ours ${r.oursMedianStepMs?.toFixed(2) ?? '—'} ms, torch ${r.torchMedianStepMs?.toFixed(2) ?? '—'} ms, ratio ${r.ratio?.toFixed(2) ?? '—'}`,
    );
  return file;
}
