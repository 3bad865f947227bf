// Kernel micro-benchmark: matmul GFLOP/s for the 784-256-256-10 MLP's shapes (batch 128) in all
// three transpose cases, hot-path elementwise kernels, and one whole MLP training step built from
// kernels; WASM SIMD vs the reference backend. Prints tables, writes results/bench/kernels.json.
// Run: npx tsx bench/kernels.ts [--quick]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend, Buf } from '../src/kernels/backend.ts';
import { adam } from '../src/optim/index.ts';
import { setBackend } from '../src/kernels/index.ts';
import { fromArray } from '../src/tensor/tensor.ts';
import { referenceBackend } from '../src/kernels/reference.ts';
import { loadWasmBackend } from '../src/kernels/wasm/index.ts';
import { rng } from '../src/random.ts';

const quick = process.argv.includes('--quick');
const wasm = loadWasmBackend();
const backends: [string, Backend][] = [
  ['wasm', wasm],
  ['reference', referenceBackend],
];
const r = rng('bench-kernels');

function randomBuf(backend: Backend, n: number): Buf {
  const b = backend.alloc(n);
  for (let i = 0; i < n; i++) b[i] = r.range(-1, 1);
  return b;
}

interface Timing { median: number; best: number }

/** Median and best wall time (ms) of fn over >= minReps runs (and >= ~budgetMs in total), after warm-up. */
function time(fn: () => void, minReps = 5, budgetMs = quick ? 100 : 400): Timing {
  const warm = performance.now();
  // Warm-up also lets V8 tier WASM functions up from Liftoff to TurboFan.
  for (let i = 0; i < 3 || performance.now() - warm < budgetMs / 4; i++) fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minReps || (performance.now() - start < budgetMs && times.length < 500)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[times.length >> 1], best: times[0] };
}

interface MatmulRow {
  layer: string; op: string; m: number; n: number; k: number; transA: boolean; transB: boolean;
  /** Median-based; wasmBestGflops from the fastest run (less sensitive to a busy machine). */
  wasmMs: number; wasmGflops: number; wasmBestGflops: number; referenceMs: number; referenceGflops: number; speedup: number;
}

function benchMatmul(): MatmulRow[] {
  const batch = 128;
  const layers: [string, number, number][] = [['784→256', 784, 256], ['256→256', 256, 256], ['256→10', 256, 10]];
  const rows: MatmulRow[] = [];
  for (const [layer, fanIn, fanOut] of layers) {
    const cases: [string, number, number, number, boolean, boolean][] = [
      ['forward  X·W', batch, fanOut, fanIn, false, false],
      ['input grad dY·Wᵀ', batch, fanIn, fanOut, false, true],
      ['weight grad Xᵀ·dY', fanIn, fanOut, batch, true, false],
    ];
    for (const [op, m, n, k, tA, tB] of cases) {
      const res: Record<string, Timing> = {};
      for (const [name, be] of backends) {
        const a = randomBuf(be, m * k);
        const b = randomBuf(be, k * n);
        const out = be.alloc(m * n);
        res[name] = time(() => be.matmul(a, b, out, m, n, k, tA, tB), 5, name === 'reference' ? 200 : undefined);
      }
      const gf = (ms: number): number => (2 * m * n * k) / (ms * 1e6);
      const [w, ref] = [res.wasm, res.reference];
      rows.push({
        layer, op, m, n, k, transA: tA, transB: tB,
        wasmMs: w.median, wasmGflops: gf(w.median), wasmBestGflops: gf(w.best),
        referenceMs: ref.median, referenceGflops: gf(ref.median), speedup: ref.median / w.median,
      });
    }
  }
  return rows;
}

interface KernelRow { kernel: string; wasmUs: number; referenceUs: number; speedup: number }

function benchElementwise(): KernelRow[] {
  const [B, H] = [128, 256];
  const rows: KernelRow[] = [];
  const specs: [string, (be: Backend) => () => void][] = [
    ['bias add [128,256]+[256]', (be) => { const a = randomBuf(be, B * H), b = randomBuf(be, H), o = be.alloc(B * H); return () => be.binary('add', a, [B, H], b, [H], o, [B, H]); }],
    ['relu [128,256]', (be) => { const a = randomBuf(be, B * H), o = be.alloc(B * H); return () => be.unary('relu', a, o); }],
    ['step mask [128,256]', (be) => { const a = randomBuf(be, B * H), o = be.alloc(B * H); return () => be.unary('step', a, o); }],
    ['mul [128,256]', (be) => { const a = randomBuf(be, B * H), b = randomBuf(be, B * H), o = be.alloc(B * H); return () => be.binary('mul', a, [B, H], b, [B, H], o, [B, H]); }],
    ['sum over axis 0 [128,256]', (be) => { const a = randomBuf(be, B * H), o = be.alloc(H); return () => be.reduce('sum', a, o, 1, B, H); }],
    ['softmax [128,10]', (be) => { const a = randomBuf(be, B * 10), o = be.alloc(B * 10); return () => be.softmax(a, o, B, 10, false); }],
    ['log-softmax [128,10]', (be) => { const a = randomBuf(be, B * 10), o = be.alloc(B * 10); return () => be.softmax(a, o, B, 10, true); }],
    ['axpby 784x256', (be) => { const a = randomBuf(be, 784 * H), b = randomBuf(be, 784 * H); return () => be.axpby(a, 1, b, -0.01, a); }],
    ['transpose [128,784]', (be) => { const a = randomBuf(be, B * 784), o = be.alloc(B * 784); return () => be.transpose(a, [B, 784], [1, 0], o); }],
    ['adam update 784x256 (optimizer kernel)', (be) => {
      setBackend(be);
      const p = fromArray(randomBuf(be, 784 * H), [784 * H]), g = fromArray(randomBuf(be, 784 * H), [784 * H]);
      const opt = adam({ lr: 1e-3 });
      const st = opt.init([p]);
      let t = 0;
      return () => { setBackend(be); opt.update([p], [g], st, t++); };
    }],
  ];
  for (const [kernel, make] of specs) {
    const us: Record<string, number> = {};
    for (const [name, be] of backends) us[name] = time(make(be)).median * 1000;
    rows.push({ kernel, wasmUs: us.wasm, referenceUs: us.reference, speedup: us.reference / us.wasm });
  }
  return rows;
}

/** One SGD step of the 784-256-256-10 ReLU MLP on a batch of 128, from primitive kernels only. */
function mlpStep(be: Backend): () => void {
  const B = 128;
  const sizes = [784, 256, 256, 10];
  const L = sizes.length - 1;
  // He-uniform weights and pixel-like inputs keep activations and gradients in the normal float
  // range, as in real training (unscaled weights saturate the softmax, and the resulting denormal
  // gradients run several times slower on x86).
  const W = sizes.slice(0, L).map((fi, l) => {
    const w = randomBuf(be, fi * sizes[l + 1]);
    const s = Math.sqrt(6 / fi);
    for (let i = 0; i < w.length; i++) w[i] *= s;
    return w;
  });
  const bias = sizes.slice(1).map((fo) => be.alloc(fo));
  const x = randomBuf(be, B * 784);
  for (let i = 0; i < x.length; i++) x[i] = (x[i] + 1) / 2;
  const onehot = be.alloc(B * 10);
  for (let i = 0; i < B; i++) onehot[i * 10 + r.int(10)] = 1;
  const z = sizes.slice(1).map((fo) => be.alloc(B * fo));
  const h = sizes.slice(1).map((fo) => be.alloc(B * fo));
  const dz = sizes.slice(1).map((fo) => be.alloc(B * fo));
  const dh = sizes.slice(1).map((fo) => be.alloc(B * fo));
  const mask = sizes.slice(1).map((fo) => be.alloc(B * fo));
  const dW = W.map((w) => be.alloc(w.length));
  const db = bias.map((b) => be.alloc(b.length));
  return () => {
    let input = x;
    for (let l = 0; l < L; l++) {
      const [fi, fo] = [sizes[l], sizes[l + 1]];
      be.matmul(input, W[l], z[l], B, fo, fi, false, false);
      be.binary('add', z[l], [B, fo], bias[l], [fo], z[l], [B, fo]);
      if (l < L - 1) be.unary('relu', z[l], h[l]);
      input = l < L - 1 ? h[l] : z[l];
    }
    be.softmax(z[L - 1], h[L - 1], B, 10, false);
    be.axpby(h[L - 1], 1 / B, onehot, -1 / B, dz[L - 1]);
    for (let l = L - 1; l >= 0; l--) {
      const [fi, fo] = [sizes[l], sizes[l + 1]];
      const prev = l === 0 ? x : h[l - 1];
      be.matmul(prev, dz[l], dW[l], fi, fo, B, true, false);
      be.reduce('sum', dz[l], db[l], 1, B, fo);
      if (l > 0) {
        be.matmul(dz[l], W[l], dh[l - 1], B, fi, fo, false, true);
        be.unary('step', z[l - 1], mask[l - 1]);
        be.binary('mul', dh[l - 1], [B, fi], mask[l - 1], [B, fi], dz[l - 1], [B, fi]);
      }
      be.axpby(W[l], 1, dW[l], -0.01, W[l]);
      be.axpby(bias[l], 1, db[l], -0.01, bias[l]);
    }
  };
}

const pad = (s: string | number, w: number): string => String(s).padStart(w);
const fmt = (x: number, d = 1): string => x.toFixed(d);

// Warm up every WASM kernel first, so V8 has tiered them up from Liftoff to TurboFan.
time(mlpStep(wasm), 5, quick ? 300 : 1000);

const matmul = benchMatmul();
console.log('\nmatmul, batch 128 (median wall time; GFLOP/s = 2mnk / time; "best" from the fastest run)');
console.log(`${'layer'.padEnd(9)} ${'op'.padEnd(19)} ${pad('m×n×k', 13)} ${pad('wasm ms', 9)} ${pad('GFLOP/s', 8)} ${pad('best', 6)} ${pad('ref ms', 9)} ${pad('GFLOP/s', 8)} ${pad('speedup', 8)}`);
for (const row of matmul) {
  console.log(`${row.layer.padEnd(9)} ${row.op.padEnd(19)} ${pad(`${row.m}×${row.n}×${row.k}`, 13)} ${pad(fmt(row.wasmMs, 3), 9)} ${pad(fmt(row.wasmGflops), 8)} ${pad(fmt(row.wasmBestGflops), 6)} ${pad(fmt(row.referenceMs, 2), 9)} ${pad(fmt(row.referenceGflops, 2), 8)} ${pad(fmt(row.speedup) + '×', 8)}`);
}

const kernels = benchElementwise();
console.log('\nother hot-path kernels (median µs per call)');
console.log(`${'kernel'.padEnd(30)} ${pad('wasm µs', 9)} ${pad('ref µs', 9)} ${pad('speedup', 8)}`);
for (const row of kernels) console.log(`${row.kernel.padEnd(30)} ${pad(fmt(row.wasmUs), 9)} ${pad(fmt(row.referenceUs), 9)} ${pad(fmt(row.speedup) + '×', 8)}`);

const stepMs: Record<string, number> = {};
for (const [name, be] of backends) stepMs[name] = time(mlpStep(be), 5, name === 'reference' ? 1000 : undefined).median;
console.log(`\nload average during the run: ${loadavg().map((x) => x.toFixed(1)).join(', ')} on ${cpus().length} cores`);
console.log(`MLP 784-256-256-10 SGD step, batch 128, primitive kernels: wasm ${fmt(stepMs.wasm, 2)} ms, reference ${fmt(stepMs.reference, 2)} ms (${fmt(stepMs.reference / stepMs.wasm)}×)`);

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outFile = join(root, 'results/bench/kernels.json');
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify({
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  threads: 1,
  loadAverage: loadavg(),
  matmul,
  kernels,
  mlpStepMs: stepMs,
}, null, 2) + '\n');
console.log(`\nwrote ${outFile}`);
