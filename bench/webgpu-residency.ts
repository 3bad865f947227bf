// The traffic of a training step on the WebGPU backend (docs/webgpu.md, Residency): dispatches,
// uploads, readbacks and the times the calling thread blocks on the device thread, per BP step
// of the MLP and of LeNet-5, with tensors resident on the device and in `eager` mode, which
// brings every kernel's storage back to the host around each call as the backend did before
// residency. Counts per step are the difference of two runs (few and more steps) divided by the
// extra steps, so set-up and the final evaluation cancel out. Also times one readback of a
// device-only block by size. Writes results/bench/webgpu-residency.json.
// Run: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json XDG_RUNTIME_DIR=/tmp \
//        npx tsx bench/webgpu-residency.ts [--models mlp,lenet] [--steps 8] [--optimizer sgd|adam] [--out results/bench/webgpu-residency.json]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { listRules, type AnyRule } from '../src/index.ts';
import { withBackend } from '../src/kernels/index.ts';
import { createWebGpuBackend, eager, type Transfers, type WebGpuBackend } from '../src/kernels/webgpu/index.ts';
import { runTrial, type SummaryRecord, type TrialConfig } from '../src/runner/trial.ts';
import '../algorithms/index.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
};
const models = arg('models', 'mlp,lenet').split(',');
const steps = Number(arg('steps', '8'));
const out = arg('out', 'results/bench/webgpu-residency.json');
const optimizerName = arg('optimizer', 'sgd');
const OPTIMIZERS: Record<string, TrialConfig['optimizer']> = { sgd: { name: 'sgd', lr: 0.05 }, adam: { name: 'adam', lr: 1e-3 } };
if (!(optimizerName in OPTIMIZERS)) {
  console.error(`--optimizer: unknown optimizer "${optimizerName}" (sgd, adam)`);
  process.exit(2);
}
for (const m of models) {
  if (m !== 'mlp' && m !== 'lenet') {
    console.error(`--models: unknown model "${m}" (mlp, lenet)`);
    process.exit(2);
  }
}
if (!Number.isInteger(steps) || steps < 1) {
  console.error(`--steps: expected a positive integer, got "${arg('steps', '')}"`);
  process.exit(2);
}

// The nets of the WebGPU training tests (test/kernels/webgpu.test.ts), small enough for SwiftShader.
const NETS: Record<string, { model: TrialConfig['model']; data: TrialConfig['data']; batch: number }> = {
  mlp: { model: { sizes: [784, 32, 10], activation: 'relu', init: 'heUniform' }, data: { name: 'mnist', train: 512, test: 32 }, batch: 32 },
  lenet: { model: { preset: 'lenet5', init: 'xavierUniform' }, data: { name: 'mnist', train: 512, test: 16, resize: 32 }, batch: 16 },
};

const bp = listRules().find((r) => r.id === 'backprop') as AnyRule;

/** Counts and step time of a BP run of `n` steps. */
function run(B: WebGpuBackend, be: WebGpuBackend, net: string, n: number): { t: Transfers; stepMs: number } {
  const spec = NETS[net];
  const config: TrialConfig = {
    experiment: 'bench',
    rule: 'backprop',
    options: {},
    seed: 1,
    data: spec.data,
    model: spec.model,
    optimizer: OPTIMIZERS[optimizerName],
    batchSize: spec.batch,
    epochs: 1,
    maxSteps: n,
    evalEvery: 0,
    alignEvery: 0,
    alignSamples: 16,
    memory: false,
    debug: false,
  };
  const before = B.transfers();
  let summary: SummaryRecord | null = null;
  withBackend(be, () =>
    runTrial(config, 'bench', bp, (rec) => {
      if (rec.type === 'summary') summary = rec;
    }),
  );
  const after = B.transfers();
  const t = Object.fromEntries(
    Object.keys(after).map((k) => [k, after[k as keyof Transfers] - before[k as keyof Transfers]]),
  ) as unknown as Transfers;
  return { t, stepMs: (summary as SummaryRecord | null)?.host.stepMs ?? NaN };
}

const B = await createWebGpuBackend();
const rows = [];
for (const net of models) {
  for (const mode of ['resident', 'eager'] as const) {
    const be = mode === 'eager' ? eager(B) : B;
    run(B, be, net, 2); // compiles every shader
    const few = run(B, be, net, 2);
    const more = run(B, be, net, 2 + steps);
    const perStep = Object.fromEntries(
      Object.keys(more.t).map((k) => [k, (more.t[k as keyof Transfers] - few.t[k as keyof Transfers]) / steps]),
    ) as unknown as Transfers;
    const stepMs = (more.stepMs - few.stepMs) / steps;
    rows.push({ net, batch: NETS[net].batch, mode, perStep, stepMs });
    console.log(`${net} ${mode}: ${JSON.stringify(perStep)}, ${stepMs.toFixed(1)} ms/step`);
  }
}

// One readback: a block written on the device, then read by the host (the median of 9).
const readback = [1 << 10, 1 << 16, 1 << 20].map((n) => {
  const a = B.alloc(n);
  const times: number[] = [];
  for (let i = 0; i < 9; i++) {
    B.unary('neg', a, a);
    const t0 = performance.now();
    B.sync(a, 'read');
    times.push(performance.now() - t0);
  }
  B.free(a);
  times.sort((x, y) => x - y);
  console.log(`readback of ${n * 4} bytes: ${times[4].toFixed(2)} ms`);
  return { bytes: n * 4, medianMs: times[4] };
});
await B.close();

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      commit,
      adapter: B.adapter,
      command: `npx tsx bench/webgpu-residency.ts --models ${models.join(',')} --steps ${steps} --optimizer ${optimizerName}`,
      perStepIs:
        'counts per BP training step (the difference of a 2-step and a (2 + steps)-step run, over steps); stepMs: step wall time likewise',
      eagerIs: 'every kernel call brings its storage back to the host and sends host values up, as the backend did before residency',
      rows,
      readback,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${out}`);
