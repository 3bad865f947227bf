// The stochastic kernels beside the forward pass's matmuls on the bench's MLP (784-256-256-10,
// batch 128, one thread): a Gaussian draw over every parameter (the zeroth-order rules' and
// forward gradients' unit of noise, which the cost model counts at 0.227 forward passes here:
// src/rules/cost.ts), and one step's units of a Gumbel-softmax and a REINFORCE net (two layers
// of 256). Calls alternate, medians over `--reps`, so a busy machine slows both sides alike.
// Run: npx tsx bench/noise-kernels.ts [--reps 80]
import { cpus, loadavg } from 'node:os';
import { loadWasmBackend } from '../src/kernels/wasm/index.ts';
import { median } from './profile.ts';

const argv = process.argv.slice(2);
const i = argv.indexOf('--reps');
const reps = i >= 0 ? Number(argv[i + 1]) : 80;
if (!(Number.isInteger(reps) && reps >= 1)) {
  console.error(`--reps: expected an integer ≥ 1, got ${argv[i + 1]}`);
  process.exit(1);
}
const be = loadWasmBackend();
const B = 128;
const layers = [
  [784, 256],
  [256, 256],
  [256, 10],
];
const fill = (n: number) => {
  const b = be.alloc(n, true);
  for (let k = 0; k < n; k++) b[k] = Math.random() - 0.5;
  return b;
};
const acts = layers.map(([k]) => fill(B * k));
const weights = layers.map(([k, n]) => fill(n * k));
const outs = layers.map(([, n]) => be.alloc(B * n, true));
const params = layers.flatMap(([k, n]) => [be.alloc(n * k, true), be.alloc(n, true)]);
const units = fill(B * 256);
const [y, aux, logp] = [0, 1, 2].map(() => be.alloc(B * 256, true));
const times: Record<string, number[]> = { forward: [], gaussian: [], concrete: [], bernoulli: [] };
const time = (name: string, f: () => void): void => {
  const t0 = performance.now();
  f();
  times[name].push(performance.now() - t0);
};
for (let r = 0; r < reps; r++) {
  time('forward', () => layers.forEach(([k, n], l) => be.matmul(acts[l], weights[l], outs[l], B, n, k, false, true)));
  time('gaussian', () => params.forEach((p, j) => be.addNoise(p, 1e-3, [r, j], 0, 'gaussian', null)));
  // Two stochastic layers a step: the relaxed sample and its slope; the sample, its score and log p.
  time('concrete', () => [0, 1].forEach((l) => be.binaryConcrete(units, [r, l], 1, y, aux)));
  time('bernoulli', () => [0, 1].forEach((l) => be.bernoulliSigmoid(units, [r, l], y, aux, 'score', logp)));
}
const fwd = median(times.forward);
console.log(`${be.name}, ${reps} reps; load average ${loadavg()[0].toFixed(2)} (1 min) on ${cpus().length} cores`);
console.log(`  forward's matmuls: ${fwd.toFixed(3)} ms`);
for (const [name, what] of [
  ['gaussian', 'a Gaussian draw over every parameter'],
  ['concrete', "a Gumbel-softmax step's units (2 × 128 × 256)"],
  ['bernoulli', "a REINFORCE step's units (2 × 128 × 256)"],
] as const)
  console.log(`  ${what}: ${median(times[name]).toFixed(3)} ms = ${(median(times[name]) / fwd).toFixed(3)} forward's matmuls`);
