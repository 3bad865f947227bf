// rulebench as a bench contender, in its own process like every peer: a BP epoch of the MLP, of
// LeNet-5 or of ResNet-20 through runTrial, the kernel-level LeNet step (bench/lenet.ts), or the
// transformer LM's step (bench/transformer-step.ts), on a chosen backend and thread count. Prints one JSON object on stdout: wall and CPU time per epoch (CPU sums every
// thread).
//
// runTrial models: wall = summary.host.stepMs (rule.step + finite check + optimizer; batch copies
// and evaluation excluded), CPU = summary.host.stepCpuMs over the same spans.
// Usage: tsx bench/ours.ts --model mlp|lenet|resnet20|lenet-kernels|transformer [--backend wasm|native|webgpu]
//        [--threads 1] [--steps 0 (an epoch)] [--orientation OxP|PxO] [--warmup 20] [--batch 128]
// (--batch: the runTrial models' batch, for smoke runs; the transformer keeps its own shape.)
import { cpus } from 'node:os';
import { listRules, type AnyRule } from '../src/index.ts';
import { installBackend } from '../src/kernels-api.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { loadNativeBackend } from '../src/kernels/native/index.ts';
import { loadWasmBackend, type WasmBackend } from '../src/kernels/wasm/index.ts';
import { loadWebGpuBackend } from '../src/kernels/webgpu/index.ts';
import { rng } from '../src/random.ts';
import { runTrial, type SummaryRecord, type TrialConfig } from '../src/runner/trial.ts';
import { lenetStep, type Orientation } from './lenet.ts';
import { SHAPE, tokensPerStep, transformerSteps } from './transformer-step.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
};
const model = arg('model', 'mlp');
const backendName = arg('backend', 'wasm');
const threads = Number(arg('threads', '1'));
const warmup = Number(arg('warmup', '20'));
const B = Number(arg('batch', '128'));
const STEPS_PER_EPOCH = Math.ceil(60000 / B);
const steps = Number(arg('steps', '0')) || STEPS_PER_EPOCH;

const be: WasmBackend =
  backendName === 'native' ? loadNativeBackend() : backendName === 'webgpu' ? await loadWebGpuBackend() : loadWasmBackend();
installBackend(be, threads);
const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

// The MLP, and LeNet-5 as the lead's experiments run it (MNIST resized to 32×32).
const MODELS: Record<string, { model: TrialConfig['model']; data: TrialConfig['data']; lr: number }> = {
  mlp: { model: { sizes: [784, 256, 256, 10], activation: 'relu', init: 'heUniform' }, data: { name: 'mnist', test: 1000 }, lr: 0.1 },
  lenet: { model: { preset: 'lenet5', init: 'xavierUniform' }, data: { name: 'mnist', test: 1000, resize: 32 }, lr: 0.05 },
  // He et al.'s CIFAR ResNet-20 (option-A shortcuts), on the same 32×32 MNIST: one input channel.
  resnet20: { model: { preset: 'resnet', depth: 20 }, data: { name: 'mnist', test: 1000, resize: 32 }, lr: 0.1 },
};

/** The transformer LM's step, as bench/transformer.ts times it (fused attention, Adam). */
function transformer(): Record<string, unknown> {
  const t = transformerSteps(true, Number(arg('steps', '30')) || 30, warmup);
  return { steps: Number(arg('steps', '30')) || 30, stepMedianMs: [t.stepMedianMs], params: t.params, tokensPerStep, shape: SHAPE };
}

function trial(name: string): Record<string, unknown> {
  const bp = listRules().find((r) => r.id === 'backprop') as AnyRule;
  const spec = MODELS[name];
  const config = (maxSteps: number, seed: number): TrialConfig => ({
    experiment: 'bench',
    rule: 'backprop',
    options: {},
    seed,
    data: spec.data,
    model: spec.model,
    optimizer: { name: 'sgd', lr: spec.lr },
    batchSize: B,
    epochs: 1,
    maxSteps,
    evalEvery: 0,
    alignEvery: 0,
    alignSamples: 16,
    memory: false,
    debug: false,
  });
  const run = (maxSteps: number, seed: number): SummaryRecord => {
    let s: SummaryRecord | null = null;
    runTrial(config(maxSteps, seed), `bench-${seed}`, bp, (r) => {
      if (r.type === 'summary') s = r;
    });
    return s!;
  };
  run(warmup + 20, 100); // parses MNIST and lets V8 tier the step path up
  const full = run(steps >= STEPS_PER_EPOCH ? 0 : steps, 1);
  const n = full.steps;
  return {
    steps: n,
    stepsPerEpoch: STEPS_PER_EPOCH,
    epochMs: [(full.host.stepMs / n) * STEPS_PER_EPOCH],
    cpuEpochMs: [(full.host.stepCpuMs / n) * STEPS_PER_EPOCH],
    stepMedianMs: [full.host.medianStepMs],
    testAcc: full.finalTestAcc,
    status: full.status,
  };
}

function lenetKernels(): Record<string, unknown> {
  const orientation = arg('orientation', 'OxP') as Orientation;
  const train = loadMnist('train');
  const net = lenetStep(be, B, rng('bench-lenet'), orientation);
  const order = rng('bench-lenet-order').permutation(train.n);
  const x = new Float32Array(B * 784);
  const y = new Uint8Array(B);
  const labels = train.y as Int32Array;
  let wall = 0;
  let cpu = 0;
  let loss = NaN;
  for (let s = 0; s < warmup + steps; s++) {
    // The batch gather stays outside the clock, as the Loader's does.
    for (let i = 0; i < B; i++) {
      const k = order[(s * B + i) % train.n];
      x.set(train.x.subarray(k * 784, (k + 1) * 784), i * 784);
      y[i] = labels[k];
    }
    const c0 = cpuMs();
    const t0 = performance.now();
    loss = net.step(x, y);
    const t1 = performance.now();
    if (s >= warmup) {
      wall += t1 - t0;
      cpu += cpuMs() - c0;
    }
  }
  return {
    steps,
    stepsPerEpoch: STEPS_PER_EPOCH,
    orientation,
    gemmMacsPerStep: net.macs,
    epochMs: [(wall / steps) * STEPS_PER_EPOCH],
    cpuEpochMs: [(cpu / steps) * STEPS_PER_EPOCH],
    lastLoss: loss,
  };
}

if (!['lenet-kernels', 'transformer', ...Object.keys(MODELS)].includes(model)) {
  console.error(`--model: unknown model "${model}"; accepted: ${[...Object.keys(MODELS), 'lenet-kernels', 'transformer'].join(', ')}`);
  process.exit(2);
}
await import('../algorithms/index.ts');
const result = model === 'lenet-kernels' ? lenetKernels() : model === 'transformer' ? transformer() : trial(model);
const adapter = 'adapter' in be ? { adapter: be.adapter } : {};
console.log(JSON.stringify({ peer: 'rulebench', model, backend: be.name, ...adapter, threads, cores: cpus().length, ...result }));
process.exit(0);
