// A training step's real WASM storage beside the ledger's peak, for any model preset:
//   npx tsx bench/step-storage.ts [--model resnet20|lenet5|mlp] [--batch 32] [--rule backprop] [--steps 3]
// The ledger models an eager runtime; the storage is what this process actually holds (see the
// README's memory section). Steps after the first should repeat the same figures.
import { buildModel, ledger, rng, ruleContext, type ModelSpec } from '../src/index.ts';
import { backend, useBackendFromEnv, type WasmBackend } from '../src/kernels-api.ts';
import { BatchStats } from '../src/nn/module.ts';
import { materialize } from '../src/rules/rule.ts';
import { getRule } from '../src/rules/registry.ts';
import { classification } from '../src/rules/task.ts';
import { fromArray, withArena } from '../src/tensor/tensor.ts';
import '../algorithms/index.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const MODELS: Record<string, { spec: ModelSpec; sample: number[] }> = {
  resnet20: { spec: { preset: 'resnet', depth: 20, shortcut: 'A' }, sample: [1, 32, 32] },
  lenet5: { spec: { preset: 'lenet5' }, sample: [1, 32, 32] },
  mlp: { spec: { sizes: [784, 256, 256, 10] }, sample: [784] },
};
const name = arg('model', 'resnet20');
const chosen = MODELS[name];
if (!chosen) {
  console.error(`--model: unknown model "${name}"; accepted: ${Object.keys(MODELS).join(', ')}`);
  process.exit(2);
}
await useBackendFromEnv();
const heap = backend() as Partial<WasmBackend>;
if (!heap.memoryStats) {
  console.error('step-storage: needs the WASM backend (RULEBENCH_BACKEND=wasm or native)');
  process.exit(2);
}
const batchSize = Number(arg('batch', '32'));
const steps = Number(arg('steps', '3'));
const rule = getRule(arg('rule', 'backprop'));
const model = buildModel(chosen.spec, { sampleShape: chosen.sample, outputs: 10 });
const params = model.init(rng(0).child('init'));
const buffers = model.initBuffers();
const task = classification(10);
const r = rng(1);
const x = Float32Array.from({ length: batchSize * chosen.sample.reduce((a, b) => a * b, 1) }, () => r.normal());
const labels = Int32Array.from({ length: batchSize }, (_, i) => i % 10);
const ctxAt = (step: number) =>
  ruleContext({ model, task, params, buffers, rule, options: {}, rng: rng(2), dropout: rng(3), step, stats: new BatchStats() });
let state = rule.init ? rule.init(ctxAt(0)) : undefined;
const MB = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
for (let step = 0; step < steps; step++) {
  const t0 = performance.now();
  const memory = withArena(() => {
    const batch = { x: fromArray(x, [batchSize, ...chosen.sample]), labels, size: batchSize };
    const { result, memory } = ledger().measure(() => rule.step(ctxAt(step), state, batch));
    materialize(result.updates);
    state = result.state;
    return memory;
  });
  const s = heap.memoryStats();
  console.log(
    `${name} batch ${batchSize} ${rule.id} step ${step}: ${(performance.now() - t0).toFixed(0)} ms, ledger peak ${MB(memory.peakBytes)}, storage peak ${MB(s.peakLiveBytes)} (WASM memory ${MB(s.memoryBytes)})`,
  );
}
