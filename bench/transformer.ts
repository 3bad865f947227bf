// The transformer LM's training step (backprop + Adam) in tokens per second against PyTorch on the
// same shapes (bench/peers/torch_transformer.py, 1 thread, OMP_WAIT_POLICY=PASSIVE), and whether the
// fused attention op pays for itself: the same step with attention composed from primitives, its
// time and its saved-activation bytes. Writes results/bench/transformer-latest.json.
// Run alone: npx tsx bench/transformer.ts [--quick] [--no-peers]; `npm run bench` runs it last.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
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
import { installBackend, loadWasmBackend } from '../src/kernels-api.ts';
import { withArena } from '../src/tensor/tensor.ts';
import { ROOT, findTorchPython } from './peers.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const PEERS = !argv.includes('--no-peers');
// The char-lm experiment's transformer: Moby-Dick's vocabulary (89 characters + unknown), context 64, batch 32.
const SHAPE = { vocab: 90, context: 64, dim: 64, heads: 4, blocks: 2, mlp: 4, batch: 32 };
const STEPS = quick ? 10 : 30;
const WARMUP = quick ? 3 : 8;
const tokensPerStep = SHAPE.batch * SHAPE.context;
const log = (s: string): void => console.log(s);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

installBackend(loadWasmBackend());

interface Ours {
  fused: boolean;
  params: number;
  stepMedianMs: number;
  cpuStepMs: number;
  tokensPerSecond: number;
  cpuTokensPerSecond: number;
  savedActivationBytes: number;
  peakBytes: number;
}

function ours(fused: boolean): Ours {
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
  for (let i = 0; i < WARMUP; i++) step(i);
  const { memory } = ledger().measure(() => step(WARMUP));
  const times: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < STEPS; i++) {
    const t = performance.now();
    step(WARMUP + 1 + i);
    times.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(c0);
  const cpuStepMs = (cpu.user + cpu.system) / 1000 / STEPS;
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

interface Torch {
  version: string;
  threads: number;
  params: number;
  stepMedianMs: number;
  cpuStepMs: number;
  tokensPerSecond: number;
}

function torch(): Torch | { skipped: string } {
  if (!PEERS) return { skipped: '--no-peers' };
  const py = findTorchPython();
  if (py.python === null) return { skipped: py.reason };
  const args = Object.entries(SHAPE).flatMap(([k, v]) => [`--${k}`, String(v)]);
  // PASSIVE: idle OpenMP threads sleep; one thread, pinned by the thread count and the OMP/MKL variables.
  const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const r = spawnSync(
    py.python,
    [join(ROOT, 'bench/peers/torch_transformer.py'), '--threads', '1', ...args, '--steps', String(STEPS), '--warmup', String(WARMUP)],
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

log(
  `\n== transformer LM training step (backprop + Adam): vocab ${SHAPE.vocab}, context ${SHAPE.context}, width ${SHAPE.dim}, ${SHAPE.heads} heads, ${SHAPE.blocks} blocks, batch ${SHAPE.batch} (${tokensPerStep} tokens/step) ==`,
);
const fused = ours(true);
const composed = ours(false);
const peer = torch();
const row = (label: string, stepMs: number, cpuMs: number, tps: number, cpuTps: number) =>
  log(
    `  ${label.padEnd(38)} ${stepMs.toFixed(1).padStart(8)} ms/step ${Math.round(tps).toString().padStart(8)} tok/s   cpu ${cpuMs.toFixed(1).padStart(7)} ms/step ${Math.round(cpuTps).toString().padStart(8)} tok/s`,
  );
row('rulebench wasm, fused attention', fused.stepMedianMs, fused.cpuStepMs, fused.tokensPerSecond, fused.cpuTokensPerSecond);
row('rulebench wasm, composed attention', composed.stepMedianMs, composed.cpuStepMs, composed.tokensPerSecond, composed.cpuTokensPerSecond);
if ('skipped' in peer) log(`  PyTorch: SKIPPED (${peer.skipped})`);
else {
  row(
    `PyTorch ${peer.version}, 1 thread`,
    peer.stepMedianMs,
    peer.cpuStepMs,
    peer.tokensPerSecond,
    tokensPerStep / (peer.cpuStepMs / 1000),
  );
  if (peer.params !== fused.params) log(`  WARNING: parameter counts differ (ours ${fused.params}, PyTorch ${peer.params})`);
  log(
    `  ours (fused) ÷ PyTorch step time: ${(fused.stepMedianMs / peer.stepMedianMs).toFixed(2)}× wall, ${(fused.cpuStepMs / peer.cpuStepMs).toFixed(2)}× cpu (cpu time leaves out preemption on a loaded machine)`,
  );
}
log(
  `  fused ÷ composed attention: step ${(fused.cpuStepMs / composed.cpuStepMs).toFixed(2)}× cpu time, saved activations ${(fused.savedActivationBytes / 2 ** 20).toFixed(2)} vs ${(composed.savedActivationBytes / 2 ** 20).toFixed(2)} MiB`,
);

const result = {
  date: new Date().toISOString(),
  shape: SHAPE,
  steps: STEPS,
  warmup: WARMUP,
  quick,
  tokensPerStep,
  ours: { fused, composed },
  torch: peer,
};
mkdirSync(join(ROOT, 'results/bench'), { recursive: true });
writeFileSync(join(ROOT, 'results/bench/transformer-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
log('wrote results/bench/transformer-latest.json');
