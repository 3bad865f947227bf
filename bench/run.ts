// `npm run bench`: rulebench beside its peers, every contender in its own process, pinned to the
// threads it claims (OMP/OpenBLAS/MKL variables, torch.set_num_threads), timed in wall and CPU
// time. Rounds are interleaved — one run of each contender per round — so a load spike on a
// shared machine hits all of them alike; ratios are medians over rounds of each round's ours ÷ peer.
//   MLP BP epoch (784-256-256-10 ReLU, softmax-CE, SGD 0.1, batch 128, 60k MNIST): ours on WASM 1
//   and 2 threads and on the native backend, PyTorch 1 and 2 threads, tfjs-wasm, jax-js.
//   LeNet step (bench/lenet.ts, kernel-level until conv ops land) vs PyTorch's LeNet, 1 thread.
// Then in this process: every built-in rule's step time relative to BP's beside its cost model's
// ratio (bench/rules.ts), the playground's steps per second in Chromium beside the same trial here
// (bench/playground.ts, one kernel thread each), a profile of one BP
// step, and matmul GFLOP/s on the MLP's shapes. Writes results/bench/latest.json.
// Run: npm run bench [-- --reps 3] [-- --quick] [-- --no-peers]
// With --webgpu, only the WebGPU bench runs (bench/webgpu.ts, results/bench/webgpu.json).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { installBackend } from '../src/kernels-api.ts';
import { nativeAddon } from '../src/kernels/native/index.ts';
import { loadWasmBackend, type WasmBackend } from '../src/kernels/wasm/index.ts';
import { rng } from '../src/random.ts';
import {
  ROOT,
  findTorchPython,
  jaxjsSteps,
  npmMissing,
  oursSteps,
  tfjsSteps,
  torchMatmul,
  torchSteps,
  type EpochResult,
  type PeerResult,
} from './peers.ts';
import { matmulKey, median, profileBpStep, type MatmulCall, type StepProfile } from './profile.ts';
import { timeRules, untimed, type RuleRow } from './rules.ts';
import { timePlayground } from './playground.ts';

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const num = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const quick = flag('quick');
const REPS = Math.max(1, num('reps', quick ? 1 : 3));
const PEERS = !flag('no-peers');
// Steps per contender run (0 = a full epoch of 469): the JS peers and LeNet are timed on part of
// an epoch and scaled to one, stated per contender.
const JS_PEER_STEPS = num('js-steps', quick ? 20 : 60);
const LENET_STEPS = num('lenet-steps', quick ? 30 : 120);
const MLP_STEPS = num('mlp-steps', quick ? 150 : 0);
const RULE_STEPS = num('rule-steps', quick ? 15 : 60);
const PLAYGROUND_STEPS = num('playground-steps', quick ? 30 : 200);
// GEMM orientations of the kernel-level LeNet (bench/lenet.ts): OxP is the conv op's.
const LENET_ORIENTATIONS = flag('lenet-orientations') ? (['OxP', 'PxO'] as const) : (['OxP'] as const);
const STEPS_PER_EPOCH = Math.ceil(60000 / 128);

if (flag('webgpu')) {
  const { benchWebGpu } = await import('./webgpu.ts');
  const at = argv.indexOf('--models');
  const { WEBGPU_MODELS } = await import('./webgpu.ts');
  const models = at >= 0 ? argv[at + 1].split(',') : [...WEBGPU_MODELS];
  const bad = models.find((m) => !(WEBGPU_MODELS as readonly string[]).includes(m));
  if (bad !== undefined) {
    console.error(`--models: unknown model "${bad}"; accepted: ${WEBGPU_MODELS.join(', ')}`);
    process.exit(2);
  }
  const batch = num('batch', 128);
  if (!Number.isInteger(batch) || batch < 1) {
    console.error(`--batch: expected a positive integer, got "${argv[argv.indexOf('--batch') + 1]}"`);
    process.exit(2);
  }
  const file = benchWebGpu({
    steps: num('steps', quick ? 5 : 60),
    warmup: num('warmup', quick ? 2 : 20),
    models: models as Array<(typeof WEBGPU_MODELS)[number]>,
    batch,
    log: (s) => console.log(s),
  });
  console.log(`wrote ${file}`);
  process.exit(0);
}

const started = performance.now();
const loads: Array<{ at: string; load1: number; load5: number }> = [];
const noteLoad = (at: string): string => {
  const [l1, l5] = loadavg();
  loads.push({ at, load1: l1, load5: l5 });
  return `load average ${l1.toFixed(2)} (1 min), ${l5.toFixed(2)} (5 min) on ${cpus().length} cores`;
};
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const log = (s: string): void => console.log(s);
const fmtS = (ms: number | null): string => (ms !== null && Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '—');

log(`rulebench bench — ${new Date().toISOString()}, node ${process.version}, ${cpus()[0]?.model ?? 'cpu?'}`);
log(`${noteLoad('start')}; ${REPS} interleaved round(s)${quick ? ' (--quick)' : ''}`);

// ---------------------------------------------------------------- contenders

interface Contender {
  /** Contenders of one group run back to back (see the order below). */
  group: string;
  id: string;
  label: string;
  model: 'mlp' | 'lenet';
  threads: number;
  how: string;
  run: () => PeerResult<EpochResult>;
  /** Per round: epoch wall ms and CPU ms (null when the run failed). */
  wall: Array<number | null>;
  cpu: Array<number | null>;
  /** Per round: the median step's wall ms, where the contender reports one (stepMedianMs). */
  medianStep: Array<number | null>;
  skipped: string | null;
  extra: Record<string, unknown>;
}

const contenders: Contender[] = [];
const add = (c: Omit<Contender, 'wall' | 'cpu' | 'medianStep' | 'skipped' | 'extra'>, skipped: string | null = null): void => {
  contenders.push({ ...c, wall: [], cpu: [], medianStep: [], skipped, extra: {} });
};
const part = (steps: number): string =>
  steps > 0 && steps < STEPS_PER_EPOCH ? `${steps} steps ×${STEPS_PER_EPOCH}/${steps}` : `full epoch (${STEPS_PER_EPOCH} steps)`;

const native = nativeAddon();
const torchPy = PEERS ? findTorchPython() : { python: null as null, reason: '--no-peers' };
const torchSkip = torchPy.python === null ? torchPy.reason : null;
const tfSkip = PEERS ? npmMissing(['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']) : '--no-peers';
const jaxSkip = PEERS ? npmMissing(['@jax-js/jax']) : '--no-peers';
const nativeSkip = native.addon ? null : native.reason;

// Contenders compared in a ratio run back to back (a group), their order within the group
// alternating by round, so a slow phase of the machine lands on both sides of the ratio.
add({
  group: 'mlp-1t',
  id: 'ours-wasm-1t',
  label: 'rulebench wasm, 1 thread',
  model: 'mlp',
  threads: 1,
  how: `${part(MLP_STEPS)} via runTrial`,
  run: () => oursSteps({ model: 'mlp', backend: 'wasm', threads: 1, steps: MLP_STEPS }),
});
add(
  {
    group: 'mlp-1t',
    id: 'torch-1t',
    label: 'PyTorch, 1 thread',
    model: 'mlp',
    threads: 1,
    how: `${part(MLP_STEPS)}, OpenBLAS`,
    run: () => torchSteps('mlp', 1, MLP_STEPS),
  },
  torchSkip,
);
add({
  group: 'mlp-2t',
  id: 'ours-wasm-2t',
  label: 'rulebench wasm, 2 threads',
  model: 'mlp',
  threads: 2,
  how: `${part(MLP_STEPS)} via runTrial`,
  run: () => oursSteps({ model: 'mlp', backend: 'wasm', threads: 2, steps: MLP_STEPS }),
});
add(
  {
    group: 'mlp-2t',
    id: 'torch-2t',
    label: 'PyTorch, 2 threads',
    model: 'mlp',
    threads: 2,
    how: `${part(MLP_STEPS)}, OpenBLAS`,
    run: () => torchSteps('mlp', 2, MLP_STEPS),
  },
  torchSkip,
);
add(
  {
    group: 'mlp-1t',
    id: 'ours-native-1t',
    label: 'rulebench native (OpenBLAS), 1 thread',
    model: 'mlp',
    threads: 1,
    how: `${part(MLP_STEPS)} via runTrial`,
    run: () => oursSteps({ model: 'mlp', backend: 'native', threads: 1, steps: MLP_STEPS }),
  },
  nativeSkip,
);
add(
  {
    group: 'tfjs',
    id: 'tfjs-wasm',
    label: 'tfjs wasm (SIMD), 1 thread',
    model: 'mlp',
    threads: 1,
    how: part(JS_PEER_STEPS),
    run: () => tfjsSteps(JS_PEER_STEPS),
  },
  tfSkip,
);
add(
  {
    group: 'jaxjs',
    id: 'jaxjs-wasm',
    label: 'jax-js wasm (jit), 1 thread',
    model: 'mlp',
    threads: 1,
    how: part(JS_PEER_STEPS),
    run: () => jaxjsSteps(JS_PEER_STEPS),
  },
  jaxSkip,
);
add({
  group: 'lenet-1t',
  id: 'ours-lenet-1t',
  label: 'rulebench LeNet-5, 1 thread',
  model: 'lenet',
  threads: 1,
  how: `${part(LENET_STEPS)} via runTrial (preset lenet5, 32×32)`,
  run: () => oursSteps({ model: 'lenet', backend: 'wasm', threads: 1, steps: LENET_STEPS }),
});
add(
  {
    group: 'lenet-1t',
    id: 'torch-lenet-1t',
    label: 'PyTorch LeNet-5, 1 thread',
    model: 'lenet',
    threads: 1,
    how: `${part(LENET_STEPS)}, oneDNN convolutions`,
    run: () => torchSteps('lenet', 1, LENET_STEPS),
  },
  torchSkip,
);
add({
  group: 'lenet-2t',
  id: 'ours-lenet-2t',
  label: 'rulebench LeNet-5, 2 threads',
  model: 'lenet',
  threads: 2,
  how: `${part(LENET_STEPS)} via runTrial (preset lenet5, 32×32)`,
  run: () => oursSteps({ model: 'lenet', backend: 'wasm', threads: 2, steps: LENET_STEPS }),
});
add(
  {
    group: 'lenet-2t',
    id: 'torch-lenet-2t',
    label: 'PyTorch LeNet-5, 2 threads',
    model: 'lenet',
    threads: 2,
    how: `${part(LENET_STEPS)}, oneDNN convolutions`,
    run: () => torchSteps('lenet', 2, LENET_STEPS),
  },
  torchSkip,
);
// The same network as kernel calls on preallocated buffers: what the ops layer costs on top.
for (const o of LENET_ORIENTATIONS) {
  add({
    group: 'lenet-1t',
    id: `ours-lenet-kernels-${o}`,
    label: `rulebench LeNet kernels only (${o}), 1 thread`,
    model: 'lenet',
    threads: 1,
    how: `${part(LENET_STEPS)}, bench/lenet.ts`,
    run: () => oursSteps({ model: 'lenet-kernels', backend: 'wasm', threads: 1, steps: LENET_STEPS, orientation: o }),
  });
}

for (const c of contenders) if (c.skipped) log(`SKIP ${c.label}: ${c.skipped}`);
if (torchPy.python) log(`PyTorch peer: ${torchPy.python} (torch ${torchPy.version})`);

for (let round = 0; round < REPS; round++) {
  log(`\nround ${round + 1}/${REPS} — ${noteLoad(`round ${round + 1}`)}`);
  const groups = [...new Set(contenders.map((c) => c.group))].map((g) => contenders.filter((c) => c.group === g));
  for (const c of groups.flatMap((g) => (round % 2 === 0 ? g : [...g].reverse()))) {
    if (c.skipped) continue;
    const res = c.run();
    if (!res.ok) {
      c.wall.push(null);
      c.cpu.push(null);
      c.medianStep.push(null);
      c.extra.lastError = res.reason;
      log(`  ${c.label.padEnd(42)} FAILED: ${res.reason}`);
      continue;
    }
    const { epochMs, cpuEpochMs, stepMedianMs, ...rest } = res.value;
    c.wall.push(epochMs[0]);
    c.cpu.push(cpuEpochMs[0]);
    c.medianStep.push(stepMedianMs?.[0] ?? null);
    Object.assign(c.extra, rest);
    log(`  ${c.label.padEnd(42)} ${fmtS(epochMs[0]).padStart(7)} s/epoch wall  ${fmtS(cpuEpochMs[0]).padStart(7)} s CPU   [${elapsed()}]`);
  }
}
noteLoad('after contenders');

// ---------------------------------------------------------------- ratios

const byId = (id: string): Contender => contenders.find((c) => c.id === id)!;
const med = (xs: Array<number | null>): number | null => {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? median(v) : null;
};
/** Median over rounds of a/b (each round's pair), in wall or CPU time; null unless both ran. */
function ratio(a: Contender, b: Contender, kind: 'wall' | 'cpu' | 'medianStep' = 'wall'): number | null {
  const r: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const x = a[kind][i],
      y = b[kind][i];
    if (x != null && y != null && y > 0) r.push(x / y);
  }
  return r.length ? median(r) : null;
}
const w1 = byId('ours-wasm-1t'),
  w2 = byId('ours-wasm-2t'),
  n1 = byId('ours-native-1t');
const t1 = byId('torch-1t'),
  t2 = byId('torch-2t'),
  tf = byId('tfjs-wasm'),
  jx = byId('jaxjs-wasm');
const l1 = byId('ours-lenet-1t'),
  l2 = byId('ours-lenet-2t'),
  lk = byId('ours-lenet-kernels-OxP'),
  tl = byId('torch-lenet-1t'),
  tl2 = byId('torch-lenet-2t');
const ratios = {
  bpEpochVsTorch1: ratio(w1, t1),
  bpEpochVsTorch1Cpu: ratio(w1, t1, 'cpu'),
  /** Median step ÷ median step: what a step costs when neither contender is preempted. */
  bpStepMedianVsTorch1: ratio(w1, t1, 'medianStep'),
  bpEpochVsTorch2: ratio(w2, t2),
  bpEpochVsTorch2Cpu: ratio(w2, t2, 'cpu'),
  nativeBpEpochVsTorch1: ratio(n1, t1),
  nativeBpEpochVsTorch1Cpu: ratio(n1, t1, 'cpu'),
  lenetEpochVsTorch1: ratio(l1, tl),
  lenetEpochVsTorch1Cpu: ratio(l1, tl, 'cpu'),
  lenetEpochVsTorch2: ratio(l2, tl2),
  /** The kernel-level LeNet ÷ PyTorch: the floor the ops layer could reach. */
  lenetKernelsVsTorch1: ratio(lk, tl),
  /** The peer ÷ ours: how many times longer the JS peer's epoch takes. */
  tfjsWasmVsOurs: ratio(tf, w1),
  tfjsWasmVsOursCpu: ratio(tf, w1, 'cpu'),
  jaxjsWasmVsOurs: ratio(jx, w1),
  jaxjsWasmVsOursCpu: ratio(jx, w1, 'cpu'),
  /** Ours on 2 threads ÷ ours on 1: thread scaling of one trial. */
  wasm2tVs1t: ratio(w2, w1),
};
const targets = {
  bpEpochVsTorch1: { max: 2.0, moonshot: 1.5 },
  bpEpochVsTorch2: { max: 2.0 },
  nativeBpEpochVsTorch1: { max: 1.2 },
  lenetEpochVsTorch1: { max: 2.5 },
};

log(`\n== epochs: median over ${REPS} round(s) (s); the MLP: 784-256-256-10 ReLU, SGD 0.1, batch 128, 60,000 MNIST images ==`);
log(`${'contender'.padEnd(44)} ${'wall s'.padStart(8)} ${'CPU s'.padStart(8)} ${'CPU/wall'.padStart(9)}  how`);
for (const c of contenders) {
  if (c.skipped) {
    log(`${c.label.padEnd(44)} SKIPPED: ${c.skipped}`);
    continue;
  }
  const w = med(c.wall),
    cp = med(c.cpu);
  log(
    `${c.label.padEnd(44)} ${fmtS(w).padStart(8)} ${fmtS(cp).padStart(8)} ${(w && cp ? (cp / w).toFixed(2) : '—').padStart(9)}  ${c.how}`,
  );
}
log('\n== ratios (median over rounds of ours ÷ peer; lower is better) ==');
const fx = (x: number | null): string => (x === null ? '—' : `${x.toFixed(2)}x`);
for (const [k, v] of Object.entries(ratios)) {
  const t = (targets as Record<string, { max: number; moonshot?: number }>)[k];
  log(
    `  ${k.padEnd(28)} ${fx(v).padStart(8)}${t ? `   target ≤ ${t.max}${t.moonshot ? ` (moonshot ${t.moonshot})` : ''}: ${v === null ? 'not measured' : v <= t.max ? 'met' : 'NOT met'}` : ''}`,
  );
}

// ---------------------------------------------------------------- in-process: rules, profile, matmul

const wasm: WasmBackend = loadWasmBackend();
installBackend(wasm);
await import('../algorithms/index.ts');

// As many rounds as the contenders get (--reps): a median over more rounds rides out load spikes.
log(`\ntiming ${RULE_STEPS} steps of each built-in rule beside a BP run, ${REPS} round(s) (${wasm.name}, 1 thread) … [${elapsed()}]`);
const ruleRows: RuleRow[] = timeRules(RULE_STEPS, REPS, log);

log(`\ntiming the playground in Chromium beside the same trial here, ${PLAYGROUND_STEPS} steps, ${REPS} round(s) … [${elapsed()}]`);
const playground = await timePlayground(PLAYGROUND_STEPS, REPS, log);
log(
  `== playground: ${playground.state} ==\n  browser (${playground.browserKernels || '—'}, 1 thread) ÷ node (${wasm.name}, 1 thread), steps per second: ` +
    `${playground.ratio?.toFixed(2) ?? '—'} (median over rounds)${playground.note ? `; ${playground.note}` : ''}`,
);

log(`\nprofiling BP steps on ${wasm.name} (medians per call) … [${elapsed()}]`);
const profile: StepProfile = profileBpStep(wasm, quick ? 30 : 80, 20);
log(`== profile: one BP step (${profile.steps} steps; kernel medians × calls; ${profile.callsPerStep.toFixed(0)} kernel calls/step) ==`);
for (const row of profile.breakdown)
  log(`  ${row.part.padEnd(72)} ${row.msPerStep.toFixed(2).padStart(7)} ms ${(row.share * 100).toFixed(1).padStart(5)}%`);
log(`  ${'total (profiled step)'.padEnd(72)} ${profile.stepMs.toFixed(2).padStart(7)} ms`);

interface MatmulRow extends MatmulCall {
  key: string;
  wasmMs: number;
  wasmGflops: number;
  nativeGflops: number | null;
  torchGflops: number | null;
}
function timeIt(fn: () => void, budgetMs = quick ? 150 : 400): number {
  for (let i = 0; i < 10; i++) fn();
  const times: number[] = [];
  const t0 = performance.now();
  while (times.length < 20 || (performance.now() - t0 < budgetMs && times.length < 2000)) {
    const s = performance.now();
    fn();
    times.push(performance.now() - s);
  }
  return median(times);
}
const shapes = profile.matmulCalls;
const torchMm = torchPy.python ? torchMatmul(shapes.map((c) => [c.m, c.n, c.k, c.transA, c.transB])) : null;
const nativeBe = native.addon ? (await import('../src/kernels/native/index.ts')).createNativeBackend() : null;
const r = rng('bench-run-matmul');
const matmul: MatmulRow[] = shapes.map((c) => {
  const flops = 2 * c.m * c.n * c.k;
  const gf = (be: WasmBackend): number => {
    const a = be.alloc(c.m * c.k),
      b = be.alloc(c.k * c.n),
      out = be.alloc(c.m * c.n);
    for (let i = 0; i < a.length; i++) a[i] = r.range(-1, 1);
    for (let i = 0; i < b.length; i++) b[i] = r.range(-1, 1);
    const ms = timeIt(() => be.matmul(a, b, out, c.m, c.n, c.k, c.transA, c.transB));
    [a, b, out].forEach((x) => be.free(x));
    return flops / (ms * 1e6);
  };
  const wasmGflops = gf(wasm);
  const tm = torchMm?.ok
    ? torchMm.value.matmul.find((x) => x.m === c.m && x.n === c.n && x.k === c.k && x.transA === c.transA && x.transB === c.transB)
    : undefined;
  return {
    ...c,
    key: matmulKey(c),
    wasmMs: flops / (wasmGflops * 1e6),
    wasmGflops,
    nativeGflops: nativeBe ? gf(nativeBe) : null,
    torchGflops: tm?.gflops ?? null,
  };
});
log(`\n== matmul GFLOP/s, the shapes of one BP step (1 thread) ==`);
log(`${'call (m×n×k)'.padEnd(30)} ${wasm.name.padStart(18)} ${'native'.padStart(8)} ${'torch'.padStart(8)}`);
for (const m of matmul)
  log(
    `${m.key.replace('matmul ', '').padEnd(30)} ${m.wasmGflops.toFixed(1).padStart(18)} ${(m.nativeGflops?.toFixed(1) ?? '—').padStart(8)} ${(m.torchGflops?.toFixed(1) ?? '—').padStart(8)}`,
  );

log(`\n${noteLoad('report')}; total ${elapsed()}`);
const result = {
  date: new Date().toISOString(),
  command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
  host: { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadAverage: loads },
  config: {
    reps: REPS,
    quick,
    mlpSteps: MLP_STEPS || STEPS_PER_EPOCH,
    jsPeerSteps: JS_PEER_STEPS,
    lenetSteps: LENET_STEPS,
    ruleSteps: RULE_STEPS,
    playgroundSteps: PLAYGROUND_STEPS,
    stepsPerEpoch: STEPS_PER_EPOCH,
    kernels: wasm.name,
  },
  ratios,
  targets,
  contenders: contenders.map((c) => ({
    id: c.id,
    label: c.label,
    model: c.model,
    threads: c.threads,
    how: c.how,
    skipped: c.skipped,
    wallMs: c.wall,
    cpuMs: c.cpu,
    medianWallMs: med(c.wall),
    medianCpuMs: med(c.cpu),
    medianStepMs: c.medianStep,
    extra: c.extra,
  })),
  rules: ruleRows,
  playground,
  profile,
  matmul,
  notes: [
    "Every contender runs in its own process with OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS set to its thread count (PyTorch also torch.set_num_threads); CPU time sums all of a process's threads, so a hidden helper thread shows as CPU > wall.",
    'Ours (MLP): wall = runTrial summary host.stepMs (rule.step + finite check + optimizer; batch copy and evaluation excluded); CPU = host.stepCpuMs, the process CPU time over the same spans.',
    'PyTorch times its step loop after an untimed shuffle gather; tfjs times minimize + loss read-back; jax-js times its jit-compiled step + loss read-back; batches are built outside every clock.',
    'LeNet-5 (ours): the lenet5 preset through runTrial on MNIST resized to 32×32; PyTorch pads the same images to 32×32 (same shapes and work). "kernels only": the same step as kernel calls on preallocated buffers (bench/lenet.ts).',
    "Ratios: median over rounds of each round's ours ÷ peer (tfjs/jax-js: peer ÷ ours).",
    'rules[]: each rule beside a backprop run on the same setting (rules[].setting): the bench MLP at SGD 0.01, or the first setting of bench/rules.ts SETTINGS (a smaller rate, then a bounded activation) where the rule runs all its steps; a rule that runs on none has null times and fails the bench.',
    "playground: the page's worker in Chromium (window.playground.step, messages and drawing included) against the same trial config run here with trainSteps, both on the WASM kernels with one kernel thread, after 10 warm-up steps; ratio = browser steps/s ÷ node steps/s, median over rounds.",
    "rules[].modelRatio: the rule's cost model (forward-pass equivalents per step, src/rules/cost.ts) ÷ backprop's, as its trial recorded it (summary cost.forwardPassesPerStep): what ratioToBp would be if every rule ran at its algorithm's floor.",
  ],
};
const dir = join(ROOT, 'results/bench');
mkdirSync(dir, { recursive: true });
const stamp = result.date.replace(/[:.]/g, '-');
const json = JSON.stringify(result, null, 2) + '\n';
writeFileSync(join(dir, `bench-${stamp}.json`), json);
writeFileSync(join(dir, 'latest.json'), json);
log(`wrote results/bench/bench-${stamp}.json and results/bench/latest.json`);

// The transformer LM's training step against PyTorch (tokens/s), in its own file.
await import('./transformer.ts');
// A rule the bench could not time fails the run, after everything else is written.
const failed = untimed(ruleRows);
if (failed) console.error(`\n${failed}`);
process.exit(failed ? 1 : 0);
