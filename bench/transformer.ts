// The transformer LM's training step (backprop + Adam) in tokens per second against PyTorch on the
// same shapes (bench/peers/torch_transformer.py, 1 thread, OMP_WAIT_POLICY=PASSIVE), and whether the
// fused attention op pays for itself: the same step with attention composed from primitives, its
// time and its saved-activation bytes. Writes results/bench/transformer-latest.json.
// Run alone: npx tsx bench/transformer.ts [--quick] [--no-peers]; `npm run bench` runs it last.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installBackend, loadWasmBackend } from '../src/kernels-api.ts';
import { ROOT } from './peers.ts';
import { SHAPE, tokensPerStep, torchTransformer, transformerSteps } from './transformer-step.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const PEERS = !argv.includes('--no-peers');
const STEPS = quick ? 10 : 30;
const WARMUP = quick ? 3 : 8;
const log = (s: string): void => console.log(s);

installBackend(loadWasmBackend());

log(
  `\n== transformer LM training step (backprop + Adam): vocab ${SHAPE.vocab}, context ${SHAPE.context}, width ${SHAPE.dim}, ${SHAPE.heads} heads, ${SHAPE.blocks} blocks, batch ${SHAPE.batch} (${tokensPerStep} tokens/step) ==`,
);
const fused = transformerSteps(true, STEPS, WARMUP);
const composed = transformerSteps(false, STEPS, WARMUP);
const peer = PEERS ? torchTransformer(STEPS, WARMUP) : { skipped: '--no-peers' };
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
