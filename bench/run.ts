// `npm run bench`: our BP epoch (MLP 784-256-256-10, ReLU, softmax-CE, SGD 0.1, batch 128, 60k
// MNIST) through runTrial on each backend, beside PyTorch (1 and 2 threads) and tfjs (wasm, cpu);
// plus matmul GFLOP/s for the MLP's shapes, every built-in rule's step time relative to BP's, and
// a profile of one BP step on the WASM backend. Contenders run interleaved, one of each per round,
// so a load spike on this shared machine hits all of them alike. Writes results/bench/*.json.
// Run: npm run bench [-- --reps 3] [-- --quick] [-- --no-peers]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { listRules, setBackend, type AnyRule } from '../src/index.ts';
import { referenceBackend } from '../src/kernels/reference.ts';
import { loadWasmBackend, type WasmBackend } from '../src/kernels/wasm/index.ts';
import { runTrial, type EvalRecord, type SummaryRecord, type TrialConfig } from '../src/runner/trial.ts';
import { rng } from '../src/random.ts';
import { ROOT, findTorchPython, tfjsMissing, tfjsSteps, torchEpoch, torchMatmul, type PeerResult } from './peers.ts';
import { matmulKey, profileBpStep, timeBpSteps, type MatmulCall, type StepProfile } from './profile.ts';

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const num = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const quick = flag('quick');
const REPS = Math.max(quick ? 1 : 3, num('reps', quick ? 1 : 3));
const REF_STEPS = num('ref-steps', quick ? 20 : 60);
const TFJS_WASM_STEPS = num('tfjs-steps', quick ? 20 : 60);
const TFJS_CPU_STEPS = num('tfjs-cpu-steps', quick ? 5 : 12);
const RULE_STEPS = num('rule-steps', 30);
const PEERS = !flag('no-peers');
const STEPS_PER_EPOCH = Math.ceil(60000 / 128);

const started = performance.now();
const loads: Array<{ at: string; load1: number; load5: number }> = [];
const noteLoad = (at: string): string => {
  const [l1, l5] = loadavg();
  loads.push({ at, load1: l1, load5: l5 });
  return `load average ${l1.toFixed(2)} (1 min), ${l5.toFixed(2)} (5 min) on ${cpus().length} cores`;
};
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const log = (s: string): void => console.log(s);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

log(`rulebench bench — ${new Date().toISOString()}, node ${process.version}, ${cpus()[0]?.model ?? 'cpu?'}`);
log(`${noteLoad('start')}; ${REPS} interleaved rounds${quick ? ' (--quick)' : ''}`);

await import('../algorithms/index.ts');
const wasm: WasmBackend = loadWasmBackend();
setBackend(wasm);

// ---------------------------------------------------------------- our BP epoch, both backends

const MLP = { sizes: [784, 256, 256, 10], activation: 'relu', init: 'heUniform' };

function trialConfig(rule: string, seed: number, maxSteps: number, data: TrialConfig['data']): TrialConfig {
  return {
    experiment: 'bench', rule, options: {}, seed, data, model: MLP, optimizer: { name: 'sgd', lr: 0.1 },
    batchSize: 128, epochs: 1, maxSteps, evalEvery: 0, alignEvery: 0, memory: false, debug: false,
  };
}

interface OurRun { stepMs: number; steps: number; epochMs: number; trainLoss: number; testAcc: number; status: string }

/** Run BP through runTrial; the step time (summary.host.stepMs) excludes evaluation and batch copies. */
function ourRun(rule: AnyRule, seed: number, maxSteps: number, data: TrialConfig['data']): OurRun {
  let lastEval: EvalRecord | null = null;
  const s: SummaryRecord = runTrial(trialConfig(rule.id, seed, maxSteps, data), `bench-${rule.id}-${seed}`, rule, (r) => {
    if (r.type === 'eval') lastEval = r;
  });
  const ev = lastEval as EvalRecord | null;
  return {
    stepMs: s.host.stepMs, steps: s.steps, epochMs: (s.host.stepMs / Math.max(1, s.steps)) * STEPS_PER_EPOCH,
    trainLoss: ev?.trainLoss ?? NaN, testAcc: s.finalTestAcc, status: s.status,
  };
}

const bp = listRules().find((r) => r.id === 'backprop');
if (!bp) throw new Error('bench: the built-in rule "backprop" is not registered (algorithms/index.ts)');

interface Contender {
  id: string;
  label: string;
  /** How the epoch time was obtained. */
  method: string;
  samples: number[];
  /** Load-robust epoch estimates: process CPU time of the timed steps, scaled to an epoch, one per round. */
  robust: number[];
  skipped: string | null;
  extra: Record<string, unknown>;
}
const contenders: Contender[] = [];
const contender = (id: string, label: string, method: string): Contender => {
  const c: Contender = { id, label, method, samples: [], robust: [], skipped: null, extra: {} };
  contenders.push(c);
  return c;
};
const oursWasm = contender('ours-wasm', 'rulebench wasm-simd', `full epoch (${STEPS_PER_EPOCH} steps) via runTrial, host.stepMs`);
const oursRef = contender('ours-reference', 'rulebench reference (plain TS)', `${REF_STEPS} steps via runTrial, ×${STEPS_PER_EPOCH}/${REF_STEPS} (extrapolated)`);
const torch1 = contender('torch-1t', 'PyTorch, 1 thread', `full epoch (${STEPS_PER_EPOCH} steps), OpenBLAS, OMP_WAIT_POLICY=PASSIVE`);
const torch2 = contender('torch-2t', 'PyTorch, 2 threads', `full epoch (${STEPS_PER_EPOCH} steps), OpenBLAS, OMP_WAIT_POLICY=PASSIVE`);
const tfWasm = contender('tfjs-wasm', 'tfjs wasm (SIMD, 1 thread)', `${TFJS_WASM_STEPS} steps, ×${STEPS_PER_EPOCH}/${TFJS_WASM_STEPS} (extrapolated)`);
const tfCpu = contender('tfjs-cpu', 'tfjs cpu (plain JS)', `${TFJS_CPU_STEPS} steps, ×${STEPS_PER_EPOCH}/${TFJS_CPU_STEPS} (extrapolated)`);

const torchPy = PEERS ? findTorchPython() : { python: null as null, reason: '--no-peers' };
const tfMissing = PEERS ? tfjsMissing() : '--no-peers';
if (torchPy.python === null) {
  torch1.skipped = torch2.skipped = torchPy.reason;
  log(`SKIP PyTorch peer: ${torchPy.reason}`);
} else {
  log(`PyTorch peer: ${torchPy.python} (torch ${torchPy.version})`);
}
if (tfMissing) {
  tfWasm.skipped = tfCpu.skipped = tfMissing;
  log(`SKIP tfjs peer: ${tfMissing}`);
}

function peer<T extends { cpuEpochMs: number[] }>(c: Contender, res: PeerResult<T>, epochMs: (v: T) => number, keep: (v: T) => Record<string, unknown>, cpu = true): void {
  if (!res.ok) {
    c.skipped = res.reason;
    log(`  SKIP ${c.label}: ${res.reason}`);
    return;
  }
  c.samples.push(epochMs(res.value));
  // CPU time sums threads, so it stands for wall time only in single-threaded runs.
  if (cpu) c.robust.push(res.value.cpuEpochMs[0]);
  Object.assign(c.extra, keep(res.value));
  log(`  ${c.label.padEnd(30)} ${(epochMs(res.value) / 1000).toFixed(2)} s/epoch   cpu ${(res.value.cpuEpochMs[0] / 1000).toFixed(2)} s   [${elapsed()}]`);
}

/** CPU time of `steps` BP steps (timed as runTrial times them), scaled to an epoch. */
function cpuEpoch(steps: number, warmup = 10): number {
  const t = timeBpSteps(steps, warmup);
  return (t.cpu.reduce((a, b) => a + b, 0) * STEPS_PER_EPOCH) / steps;
}

// Warm-up: V8 tiers the WASM kernels and the JS step path up before anything is timed.
ourRun(bp, 100, 60, { name: 'mnist', test: 1000 });
let agreement: { steps: number; wasm: { trainLoss: number; testAcc: number }; reference: { trainLoss: number; testAcc: number } } | null = null;

for (let round = 0; round < REPS; round++) {
  log(`\nround ${round + 1}/${REPS} — ${noteLoad(`round ${round + 1}`)}`);
  const w = ourRun(bp, round, 0, { name: 'mnist' });
  oursWasm.samples.push(w.epochMs);
  oursWasm.extra = { steps: w.steps, lastTestAcc: w.testAcc, lastTrainLoss: w.trainLoss };
  const wCpu = cpuEpoch(quick ? 60 : 150);
  oursWasm.robust.push(wCpu);
  log(`  ${oursWasm.label.padEnd(30)} ${(w.epochMs / 1000).toFixed(2)} s/epoch   cpu ${(wCpu / 1000).toFixed(2)} s   test acc ${(w.testAcc * 100).toFixed(2)}%   [${elapsed()}]`);

  if (torchPy.python && !torch1.skipped) peer(torch1, torchEpoch(1), (v) => v.epochMs[0], (v) => ({ version: v.version, testAcc: v.testAccAfterRuns }));
  if (torchPy.python && !torch2.skipped) peer(torch2, torchEpoch(2), (v) => v.epochMs[0], (v) => ({ version: v.version, threads: v.threads, testAcc: v.testAccAfterRuns }), false);
  if (!tfWasm.skipped) peer(tfWasm, tfjsSteps('wasm', TFJS_WASM_STEPS), (v) => v.epochMs[0], (v) => ({ version: v.version, simd: v.simd }));

  setBackend(referenceBackend);
  try {
    // Small test split: the reference evaluation is slow and is not part of the timing anyway.
    const r = ourRun(bp, round, REF_STEPS, { name: 'mnist', test: 2000 });
    oursRef.samples.push(r.epochMs);
    oursRef.robust.push(cpuEpoch(quick ? 5 : 12, 2));
    log(`  ${oursRef.label.padEnd(30)} ${(r.epochMs / 1000).toFixed(2)} s/epoch (extrapolated from ${r.steps} steps)   [${elapsed()}]`);
    if (round === 0) {
      setBackend(wasm);
      const w60 = ourRun(bp, round, REF_STEPS, { name: 'mnist', test: 2000 });
      agreement = { steps: REF_STEPS, wasm: { trainLoss: w60.trainLoss, testAcc: w60.testAcc }, reference: { trainLoss: r.trainLoss, testAcc: r.testAcc } };
    }
  } finally {
    setBackend(wasm);
  }

  if (!tfCpu.skipped) peer(tfCpu, tfjsSteps('cpu', TFJS_CPU_STEPS, 1, 2), (v) => v.epochMs[0], (v) => ({ version: v.version }));
}
noteLoad('after epochs');

// ---------------------------------------------------------------- profile of one BP step (WASM)

log(`\nprofiling BP steps on the WASM backend (medians per call) … [${elapsed()}]`);
const profile: StepProfile = profileBpStep(wasm, quick ? 30 : 80, 20);

// ---------------------------------------------------------------- matmul GFLOP/s, MLP shapes

interface MatmulRow extends MatmulCall { key: string; role: string; ms: number; gflops: number; bestGflops: number; torchGflops: number | null; inStepGflops: number | null }

function matmulRole(c: MatmulCall): string {
  if (c.transB) return 'forward x·Wᵀ';
  if (c.transA) return 'weight grad dZᵀ·X';
  return c.n === 784 ? 'input grad dZ·W (wasted: x needs no grad)' : 'input grad dZ·W';
}

function timeIt(fn: () => void, minReps = 20, budgetMs = quick ? 150 : 400): { median: number; best: number } {
  for (let i = 0; i < 10; i++) fn();
  const times: number[] = [];
  const t0 = performance.now();
  while (times.length < minReps || (performance.now() - t0 < budgetMs && times.length < 2000)) {
    const s = performance.now();
    fn();
    times.push(performance.now() - s);
  }
  return { median: median(times), best: Math.min(...times) };
}

const shapes = profile.matmulCalls;
const torchMm = torchPy.python ? torchMatmul(shapes.map((c) => [c.m, c.n, c.k, c.transA, c.transB])) : null;
if (torchMm && !torchMm.ok) log(`SKIP PyTorch matmul reference: ${torchMm.reason}`);
const r = rng('bench-run-matmul');
const matmul: MatmulRow[] = shapes.map((c) => {
  const a = wasm.alloc(c.m * c.k), b = wasm.alloc(c.k * c.n), out = wasm.alloc(c.m * c.n);
  for (let i = 0; i < a.length; i++) a[i] = r.range(-1, 1);
  for (let i = 0; i < b.length; i++) b[i] = r.range(-1, 1);
  const t = timeIt(() => wasm.matmul(a, b, out, c.m, c.n, c.k, c.transA, c.transB));
  [a, b, out].forEach((x) => wasm.free(x));
  const flops = 2 * c.m * c.n * c.k;
  const tm = torchMm?.ok ? torchMm.value.matmul.find((x) => x.m === c.m && x.n === c.n && x.k === c.k && x.transA === c.transA && x.transB === c.transB) : undefined;
  const inStep = profile.kernels.find((k) => k.key === matmulKey(c));
  return {
    ...c, key: matmulKey(c), role: matmulRole(c), ms: t.median, gflops: flops / (t.median * 1e6), bestGflops: flops / (t.best * 1e6),
    torchGflops: tm?.gflops ?? null, inStepGflops: inStep?.gflops ?? null,
  };
});

// ---------------------------------------------------------------- each rule's step time vs BP's

interface RuleRow { rule: string; stepMs: number | null; ratioToBp: number | null; steps: number; status: string; note: string | null }
log(`timing ${RULE_STEPS} steps of each built-in rule … [${elapsed()}]`);
const ruleData = { name: 'mnist' as const, train: 128 * RULE_STEPS, test: 500 };
const ruleRows: RuleRow[] = [];
for (const rule of listRules()) {
  try {
    ourRun(rule, 7, 5, ruleData); // warm-up of this rule's own code paths
    const samples: number[] = [];
    let last: OurRun | null = null;
    for (let i = 0; i < (quick ? 1 : 2); i++) {
      last = ourRun(rule, 7, RULE_STEPS, ruleData);
      samples.push(last.stepMs / Math.max(1, last.steps));
    }
    ruleRows.push({ rule: rule.id, stepMs: median(samples), ratioToBp: null, steps: last!.steps, status: last!.status, note: last!.status !== 'done' ? `status ${last!.status}` : null });
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    ruleRows.push({ rule: rule.id, stepMs: null, ratioToBp: null, steps: 0, status: 'threw', note: msg });
    log(`  SKIP rule ${rule.id}: it threw: ${msg}`);
  }
}
const bpRow = ruleRows.find((x) => x.rule === 'backprop');
for (const row of ruleRows) if (row.stepMs !== null && bpRow?.stepMs) row.ratioToBp = row.stepMs / bpRow.stepMs;
noteLoad('end');

// ---------------------------------------------------------------- report

const fmtS = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '—');
const ours = median(oursWasm.samples);
const oursRobust = median(oursWasm.robust);
interface Row {
  id: string; label: string; method: string; medianMs: number | null; minMs: number | null; samplesMs: number[];
  oursOverPeer: number | null; oursOverPeerBest: number | null;
  /** CPU-time epoch (median over rounds; single-threaded runs only), and ours/this on that basis. */
  robustMs: number | null; oursOverPeerRobust: number | null;
  skipped: string | null; extra: Record<string, unknown>;
}
const rows: Row[] = contenders.map((c) => {
  const med = c.samples.length ? median(c.samples) : null;
  const min = c.samples.length ? Math.min(...c.samples) : null;
  const rob = c.robust.length ? median(c.robust) : null;
  return {
    id: c.id, label: c.label, method: c.method, medianMs: med, minMs: min, samplesMs: c.samples,
    oursOverPeer: med ? ours / med : null, oursOverPeerBest: min ? Math.min(...oursWasm.samples) / min : null,
    robustMs: rob, oursOverPeerRobust: rob ? oursRobust / rob : null,
    skipped: c.samples.length ? null : c.skipped ?? 'not run', extra: c.extra,
  };
});

log(`\n== BP epoch: MLP 784-256-256-10 ReLU, softmax-CE, SGD lr 0.1, batch 128, 60,000 MNIST images (${STEPS_PER_EPOCH} steps) ==`);
log(`   s/epoch: median of ${REPS} interleaved rounds (min); ours/this = ours-wasm ÷ this. Evaluation excluded.`);
log('   cpu s: process CPU time of the timed steps per epoch (1-thread runs): time preempted by other processes does not count,');
log('   so on this loaded machine it is the fairer comparison (Node\'s GC helper threads count against us).');
log(`${'contender'.padEnd(31)} ${'s/epoch'.padStart(8)} ${'(min)'.padStart(8)} ${'ours/this'.padStart(10)} ${'(min)'.padStart(8)} ${'cpu s'.padStart(9)} ${'ours/this'.padStart(10)}  how`);
for (const row of rows) {
  if (row.skipped) {
    log(`${row.label.padEnd(31)} SKIPPED: ${row.skipped}`);
    continue;
  }
  const ratio = row.oursOverPeer!, best = row.oursOverPeerBest!;
  log(`${row.label.padEnd(31)} ${fmtS(row.medianMs!).padStart(8)} ${`(${fmtS(row.minMs!)})`.padStart(8)} ${`${ratio.toFixed(2)}x`.padStart(10)} ${`(${best.toFixed(2)}x)`.padStart(8)} ` +
    `${(row.robustMs ? fmtS(row.robustMs) : '—').padStart(9)} ${(row.oursOverPeerRobust ? `${row.oursOverPeerRobust.toFixed(2)}x` : '—').padStart(10)}  ${row.method}`);
}

const rowOf = (id: string): Row | undefined => rows.find((x) => x.id === id && !x.skipped);
const t1 = rowOf('torch-1t'), tw = rowOf('tfjs-wasm');
const targets = {
  torch1Within3_5x: t1 ? { ratio: t1.oursOverPeer!, ratioBest: t1.oursOverPeerBest!, ratioRobust: t1.oursOverPeerRobust, pass: t1.oursOverPeer! <= 3.5, passRobust: (t1.oursOverPeerRobust ?? Infinity) <= 3.5 } : null,
  tfjsWasmAtLeast5xSlower: tw ? { speedup: 1 / tw.oursOverPeer!, speedupBest: 1 / tw.oursOverPeerBest!, speedupRobust: tw.oursOverPeerRobust ? 1 / tw.oursOverPeerRobust : null, pass: 1 / tw.oursOverPeer! >= 5, passRobust: tw.oursOverPeerRobust ? 1 / tw.oursOverPeerRobust >= 5 : false } : null,
  compassTorch1Within2x: t1 ? { ratio: t1.oursOverPeer!, ratioRobust: t1.oursOverPeerRobust, pass: t1.oursOverPeer! <= 2 } : null,
};
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
log('\ntargets (issue 10):');
{
  const a = targets.torch1Within3_5x, b = targets.tfjsWasmAtLeast5xSlower, c = targets.compassTorch1Within2x;
  log(a ? `  BP epoch ≤ 3.5x PyTorch-1-thread: epoch median ${a.ratio.toFixed(2)}x → ${verdict(a.pass)}; min/min ${a.ratioBest.toFixed(2)}x; cpu ${a.ratioRobust?.toFixed(2) ?? '—'}x → ${verdict(a.passRobust)}`
    : '  BP epoch ≤ 3.5x PyTorch-1-thread: not measured (PyTorch skipped)');
  log(b ? `  ≥ 5x faster than tfjs-wasm: epoch median ${b.speedup.toFixed(2)}x → ${verdict(b.pass)}; min/min ${b.speedupBest.toFixed(2)}x; cpu ${b.speedupRobust?.toFixed(2) ?? '—'}x → ${verdict(b.passRobust)}`
    : '  ≥ 5x faster than tfjs-wasm: not measured (tfjs skipped)');
  if (c) log(`  compass ≤ 2x PyTorch-1-thread: ${c.ratio.toFixed(2)}x (cpu ${c.ratioRobust?.toFixed(2) ?? '—'}x) → ${c.pass && (c.ratioRobust ?? Infinity) <= 2 ? 'met' : 'not yet (see profile)'}`);
}
if (agreement) {
  log(`backend agreement after ${agreement.steps} steps, seed 0 (2,000 test images): wasm loss ${agreement.wasm.trainLoss.toFixed(4)} acc ${(agreement.wasm.testAcc * 100).toFixed(2)}% · reference loss ${agreement.reference.trainLoss.toFixed(4)} acc ${(agreement.reference.testAcc * 100).toFixed(2)}%`);
}

log('\n== matmul, MLP shapes as BP calls them (batch 128, 1 thread) ==');
log(`${'call (m×n×k)'.padEnd(28)} ${'role'.padEnd(42)} ${'ms'.padStart(7)} ${'GFLOP/s'.padStart(8)} ${'best'.padStart(6)} ${'in-step'.padStart(8)} ${'torch'.padStart(7)} ${'ours/torch'.padStart(10)}`);
for (const m of matmul) {
  log(`${m.key.replace('matmul ', '').padEnd(28)} ${m.role.padEnd(42)} ${m.ms.toFixed(3).padStart(7)} ${m.gflops.toFixed(1).padStart(8)} ${m.bestGflops.toFixed(1).padStart(6)} ${(m.inStepGflops?.toFixed(1) ?? '—').padStart(8)} ${(m.torchGflops?.toFixed(1) ?? '—').padStart(7)} ${(m.torchGflops ? `${(m.gflops / m.torchGflops).toFixed(2)}` : '—').padStart(10)}`);
}
const mmFlops = matmul.reduce((a, m) => a + 2 * m.m * m.n * m.k, 0);
const mmMs = matmul.reduce((a, m) => a + m.ms, 0);
const wastedKeys = matmul.filter((m) => m.role.includes('wasted')).map((m) => m.key);
const torchMmMs = matmul.every((m) => m.torchGflops) ? matmul.reduce((a, m) => a + (2 * m.m * m.n * m.k) / (m.torchGflops! * 1e6), 0) : null;
log(`all ${matmul.length} matmuls of one step: ${mmMs.toFixed(2)} ms isolated (${(mmFlops / (mmMs * 1e6)).toFixed(1)} GFLOP/s)` +
  (torchMmMs ? `; PyTorch/OpenBLAS same shapes: ${torchMmMs.toFixed(2)} ms` : ''));

log(`\n== profile: one BP step on the WASM backend (${profile.steps} steps, median phases, kernel time per step; ${profile.callsPerStep.toFixed(0)} kernel calls/step) ==`);
for (const row of profile.breakdown) log(`  ${row.part.padEnd(70)} ${row.msPerStep.toFixed(2).padStart(7)} ms ${(row.share * 100).toFixed(1).padStart(5)}%`);
log(`  ${'total (profiled step)'.padEnd(70)} ${profile.stepMs.toFixed(2).padStart(7)} ms   (unprofiled: cpu ${(oursRobust / STEPS_PER_EPOCH).toFixed(2)} ms/step; runTrial wall ${(ours / STEPS_PER_EPOCH).toFixed(2)} ms/step)`);
log('  top kernels:');
for (const k of profile.kernels.slice(0, 12)) {
  log(`    ${k.key.padEnd(40)} ${(k.calls / profile.steps).toFixed(0).padStart(3)}× ${k.msPerStep.toFixed(3).padStart(7)} ms${k.gflops ? `  ${k.gflops.toFixed(1)} GFLOP/s` : ''}`);
}
if (profile.foreignCalls > 0) log(`  WARNING: ${profile.foreignCalls} kernel calls ran on the reference fallback (storage outside WASM memory)`);

// What stands between us and 2x PyTorch. Load on this shared machine inflates every wall time, so
// the projection works in shares of our own (preemption-robust) profiled step, applied to the
// measured ratio, and compares matmul work in isolation (ours vs OpenBLAS on the same shapes).
const sgdKernelMs = (() => {
  // The fused WASM SGD update the backend already has, over the MLP's parameter sizes.
  const sizes = [256 * 784, 256, 256 * 256, 256, 10 * 256, 10];
  const prog = new Float64Array(10);
  prog[0] = 2;
  const bufs = sizes.map((n) => [wasm.alloc(n), wasm.alloc(n)] as const);
  const t = timeIt(() => { for (const [p, g] of bufs) wasm.optimizerStep(prog, 1, p, g, [], -1); });
  bufs.forEach(([p, g]) => { wasm.free(p); wasm.free(g); });
  return t.median;
})();
const gap = (() => {
  const part = (re: RegExp): number => profile.breakdown.filter((b) => re.test(b.part)).reduce((a, b) => a + b.msPerStep, 0);
  const step = profile.stepMs;
  const wasted = wastedKeys.reduce((a, key) => a + (profile.kernels.find((k) => k.key === key)?.msPerStep ?? 0), 0);
  const parts = {
    matmulMs: part(/^matmul/), wastedInputGradMs: wasted, optimizerMs: part(/^optimizer/), finiteCheckMs: part(/finite-check/),
    allocMs: part(/^alloc/), elementwiseMs: part(/^elementwise/), glueMs: part(/^JS glue/), arenaMs: part(/^arena/),
  };
  // Savings already within reach: SGD through the existing WASM kernel, and no gradient for the input batch.
  const afterFixesMs = step - parts.optimizerMs + sgdKernelMs - wasted;
  const mmNoWaste = matmul.filter((m) => !wastedKeys.includes(m.key));
  const ourMm = mmNoWaste.reduce((a, m) => a + m.ms, 0);
  const torchMm = mmNoWaste.every((m) => m.torchGflops) ? mmNoWaste.reduce((a, m) => a + (2 * m.m * m.n * m.k) / (m.torchGflops! * 1e6), 0) : null;
  // The CPU-time ratio: like the profile's medians, it leaves preemption out.
  const measured = t1 ? t1.oursOverPeerRobust ?? t1.oursOverPeer! : null;
  return {
    profiledStepMs: step, ...parts, sgdKernelMs, afterFixesMs,
    measuredRatio: measured,
    projectedRatioAfterFixes: measured !== null ? (measured * afterFixesMs) / step : null,
    matmulOnlyRatio: measured !== null ? (measured * (parts.matmulMs - wasted)) / step : null,
    isolatedMatmulMs: { ours: ourMm, torch: torchMm, ratio: torchMm ? ourMm / torchMm : null },
  };
})();
{
  const g = gap;
  const pct = (ms: number): string => `${((ms / g.profiledStepMs) * 100).toFixed(0)}%`;
  log('\n== what stands between us and ≤ 2x PyTorch-1-thread ==');
  log(`  profiled step ${g.profiledStepMs.toFixed(2)} ms: matmul ${g.matmulMs.toFixed(2)} (${pct(g.matmulMs)}; of it ${g.wastedInputGradMs.toFixed(2)} ms = the input gradient dZ·W of layer 1, which nothing uses), ` +
    `optimizer JS loop ${g.optimizerMs.toFixed(2)} (${pct(g.optimizerMs)}), JS glue ${g.glueMs.toFixed(2)} (${pct(g.glueMs)}), finite check ${g.finiteCheckMs.toFixed(2)} (${pct(g.finiteCheckMs)}), ` +
    `alloc ${g.allocMs.toFixed(2)}, elementwise ${g.elementwiseMs.toFixed(2)} ms`);
  log(`  the WASM sgdUpdate kernel (exists, unused by the optimizer) does the same update in ${g.sgdKernelMs.toFixed(3)} ms`);
  if (g.measuredRatio !== null) {
    log(`  measured ${g.measuredRatio.toFixed(2)}x (cpu time) → with SGD in WASM and no input-batch gradient ≈ ${g.projectedRatioAfterFixes!.toFixed(2)}x; ` +
      `our needed matmuls alone already take ${g.matmulOnlyRatio!.toFixed(2)}x PyTorch's whole step`);
  }
  if (g.isolatedMatmulMs.torch) {
    log(`  isolated matmul work per step (needed calls only): ours ${g.isolatedMatmulMs.ours.toFixed(2)} ms vs OpenBLAS ${g.isolatedMatmulMs.torch.toFixed(2)} ms = ${g.isolatedMatmulMs.ratio!.toFixed(2)}x ` +
      '(128-bit WASM SIMD mul+add vs AVX2/AVX-512 FMA): the floor of the ratio while everything else costs nothing');
  }
}

log(`\n== each built-in rule's step time vs BP (${RULE_STEPS} steps on ${ruleData.train} MNIST images, same MLP, SGD 0.1, WASM) ==`);
for (const row of ruleRows) {
  if (row.stepMs === null) log(`  ${row.rule.padEnd(30)} SKIPPED: threw: ${row.note}`);
  else log(`  ${row.rule.padEnd(30)} ${row.stepMs.toFixed(2).padStart(7)} ms/step ${`${row.ratioToBp!.toFixed(2)}x BP`.padStart(10)}${row.note ? `  (${row.note}, ${row.steps} steps)` : ''}`);
}

log(`\n${noteLoad('report')}; total ${elapsed()}`);
const result = {
  date: new Date().toISOString(),
  host: { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadAverage: loads },
  config: { model: MLP, optimizer: { name: 'sgd', lr: 0.1 }, batchSize: 128, stepsPerEpoch: STEPS_PER_EPOCH, reps: REPS, refSteps: REF_STEPS, tfjsWasmSteps: TFJS_WASM_STEPS, tfjsCpuSteps: TFJS_CPU_STEPS, ruleSteps: RULE_STEPS, quick },
  epoch: rows,
  targets,
  agreement,
  matmul,
  profile,
  gap,
  rules: ruleRows,
  notes: [
    'Our time is runTrial summary host.stepMs (rule.step + finite check + optimizer; batch copy, arena release and evaluation excluded).',
    'PyTorch times the whole epoch loop after an untimed shuffle gather; tfjs times minimize + loss read-back per step, batch tensors built outside the clock.',
    'Rounds are interleaved (one run of each contender per round) so machine load affects all contenders alike.',
    'cpu columns: process CPU time (user+system) of the timed steps, scaled to an epoch; single-threaded runs only. On a loaded machine wall time includes waiting for a core, CPU time does not.',
  ],
};
const dir = join(ROOT, 'results/bench');
mkdirSync(dir, { recursive: true });
const stamp = result.date.replace(/[:.]/g, '-');
const json = JSON.stringify(result, null, 2) + '\n';
writeFileSync(join(dir, `bench-${stamp}.json`), json);
writeFileSync(join(dir, 'latest.json'), json);
log(`wrote results/bench/bench-${stamp}.json and results/bench/latest.json`);
