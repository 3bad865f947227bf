// The training worker: the project's own core, rules and trial loop (trainSteps), never on the
// page's thread. One run per selected rule, all from the same seed: the same data, initial
// weights and batch order, so the runs differ only by their rule.
// The built-in rules register themselves on import.
import '../../algorithms/index.ts';
import { PUBLISHED, workedExample } from '../../experiments/worked-example.ts';
import {
  ACTIVATION_NAMES,
  checkOption,
  fromArray,
  getRule,
  layerBlocks,
  listRules,
  noGrad,
  pointInputs,
  prepareData,
  rng,
  runModules,
  standardObservers,
  Training,
  trainSteps,
  withArena,
  withLedger,
  Ledger,
  type EvalRecord,
  type Prepared,
  type SummaryRecord,
  type TrialRecord,
} from '../../src/core.ts';
import { fetchWasmBackend, installBackend, referenceBackend, withThreads } from '../../src/kernels-browser.ts';
import { startWebGpu } from '../../src/kernels/webgpu/browser/index.ts';
import { configFor, dataLoader, specFor, specModule } from './config.ts';
import { decodeMnistSubset, MNIST_FILE } from './mnist-subset.ts';
import { loadRuleFile } from './rule-file.ts';
import {
  GRID,
  gridPoints,
  MAX_UNITS_SHOWN,
  NEURON_GRID,
  type FromWorker,
  type Points,
  type Samples,
  type RuleChoice,
  type RunView,
  type ToWorker,
} from './protocol.ts';
import { parseState, REGRESSION, StateError, type PlaygroundState } from './state.ts';

interface Run {
  /** The run's own ledger: its memory figures never include the other run's tensors. */
  ledger: Ledger;
  t: Training;
  /** Every evaluation record, as the CLI would write them. */
  records: EvalRecord[];
  steps: Generator<number, SummaryRecord, void>;
  view: RunView;
  done: boolean;
}

/** Steps per message while playing: enough to move, few enough to stay responsive to pause. */
const PLAY_CHUNK = 5;

const scope = self as unknown as {
  postMessage(m: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  crossOriginIsolated: boolean;
  location: { href: string };
};
const post = (m: FromWorker) => scope.postMessage(m);

let runs: Run[] = [];
let loaded: PlaygroundState | null = null;
let extent: [number, number, number, number] = [-1, 1, -1, 1];
let playing = false;
/** Whether the loaded data's target is a number (one output) rather than a class. */
let regression = false;
let backendName = 'reference';
/** Why the kernels are not on WebGPU (null when they are). */
let backendNote: string | null = null;
/** The bundled MNIST subset, fetched the first time a state asks for it. */
let mnist: ReturnType<typeof decodeMnistSubset> | null = null;
/** The rule files loaded into the page, by the id of each rule they gave (an exported spec names the file). */
const ruleFiles = new Map<string, string>();
/** Test images whose predictions each MNIST run shows. */
const SAMPLES = 16;

// Shared WASM memory needs a cross-origin isolated page; elsewhere the reference kernels run.
/**
 * Kernel threads: in a cross-origin isolated page, the page's ?threads=N (default: the cores the
 * browser reports, at most 4), each a worker on the kernels' shared memory; elsewhere one, this
 * worker's own. The thread count never changes a figure, only the speed.
 */
const THREADS = scope.crossOriginIsolated
  ? Number(new URL(scope.location.href).searchParams.get('threads')) || Math.min(4, navigator.hardwareConcurrency || 1)
  : 1;

/** The page's ?backend=wasm keeps the kernels off WebGPU where the browser has it. */
const WANT_GPU = new URL(scope.location.href).searchParams.get('backend') !== 'wasm';

// Shared WASM memory needs a cross-origin isolated page; elsewhere the reference kernels run.
// There, the WebGPU backend runs on the WASM backend's storage when navigator.gpu gives an
// adapter: this worker blocks in Atomics.wait while a second worker owns the GPUDevice.
const ready = (async () => {
  if (scope.crossOriginIsolated) {
    const base = new URL('./', scope.location.href);
    const wasm = await fetchWasmBackend(base, { maxPages: 16384, threads: new URL('kernel-thread.js', base) });
    const threads = `${THREADS} thread${THREADS > 1 ? 's' : ''}`;
    const gpu = WANT_GPU ? await startWebGpu(wasm, base) : { backend: null, note: 'left off by ?backend=wasm' };
    installBackend(gpu.backend ?? wasm);
    backendName = gpu.backend ? `webgpu (${gpu.backend.adapter}), WASM host kernels on ${threads}` : `${wasm.name}, ${threads}`;
    backendNote = gpu.note;
  } else {
    installBackend(referenceBackend);
    backendName = 'reference (the page is not cross-origin isolated), 1 thread';
    backendNote = 'the page is not cross-origin isolated';
  }
})();

function startRun(s: PlaygroundState, ruleId: string): Run {
  const config = configFor(s, ruleId);
  const rule = getRule(config.rule);
  for (const [k, v] of Object.entries(config.options)) checkOption(`rules (${ruleId})`, rule, k, v);
  const ledger = new Ledger();
  // As runTraining sets a trial up: in its own ledger, its parameters from the seed's init stream.
  const t = withLedger(() => {
    const data = prepareData(config, rng(config.seed).child('data'), dataLoader(mnist));
    const params = data.model.init(rng(config.seed).child('init'));
    return new Training(config, `playground-${ruleId}`, rule, data, params, data.model.initBuffers());
  }, ledger);
  const view: RunView = {
    rule: ruleId,
    step: 0,
    trainLoss: NaN,
    testLoss: null,
    testAcc: NaN,
    alignment: {},
    reference: null,
    errorSignals: {},
    gradNorms: {},
    diagnostics: {},
    memory: null,
    forwardPasses: null,
    curve: { step: [], train: [], test: [] },
    boundary: new Float32Array(GRID * GRID),
    neurons: [],
    predictions: [],
    status: 'training',
    error: null,
  };
  const run: Run = {
    ledger,
    t,
    view,
    records: [],
    done: false,
    steps: withLedger(() => trainSteps(t, standardObservers(t, {}), (r) => record(run, r)), ledger),
  };
  return run;
}

function record(run: Run, r: TrialRecord): void {
  if (r.type === 'eval') {
    run.records.push(r);
    return evaluated(run.view, r);
  }
  if (r.status !== 'done') {
    run.view.status = 'diverged';
    run.view.error = r.error;
  }
}

function evaluated(v: RunView, r: EvalRecord): void {
  v.step = r.step;
  v.trainLoss = r.trainLoss;
  v.testLoss = r.testLoss;
  v.testAcc = r.testAcc;
  const a = r.alignment.at(-1);
  if (a) {
    v.reference = a.reference;
    v.alignment = Object.fromEntries(a.layers.map((l) => [l.layer, l.cosine]));
    v.errorSignals = Object.fromEntries(a.errorSignals.map((e) => [e.layer, e.cosine]));
  }
  // The health observer's gradient norms are `<layer>.gradNorm`; dead-unit shares are left out.
  v.gradNorms = {};
  v.diagnostics = {};
  for (const [k, x] of Object.entries(r.diagnostics)) {
    if (k.endsWith('.gradNorm')) v.gradNorms[k.slice(0, -'.gradNorm'.length)] = x;
    else if (!k.endsWith('.deadShare')) v.diagnostics[k] = x;
  }
  v.forwardPasses = r.cost?.forwardPasses ?? null;
  v.memory = r.memory && {
    peakBytes: r.memory.peakBytes,
    atPeak: { ...r.memory.atPeak },
    peakByCategory: { ...r.memory.peakByCategory },
    ratioToInference: r.memory.ratioToInference,
  };
  v.curve.step.push(r.step);
  v.curve.train.push(r.trainLoss);
  v.curve.test.push(r.testLoss ?? NaN);
}

/** The rules defined for this network, and for the others what their own check says. */
function ruleChoices(s: PlaygroundState, data: Prepared): RuleChoice[] {
  return listRules().map((rule) => {
    let reason: string | null = null;
    try {
      // In a ledger of its own, given back at once: a check leaves nothing in the runs' figures.
      withLedger(() => {
        const params = data.model.init(rng(s.seed).child('init'));
        new Training(configFor(s, rule.id), 'check', rule, data, params, data.model.initBuffers()).dispose();
      });
    } catch (e) {
      reason = String((e as Error).message ?? e);
    }
    return { id: rule.id, description: rule.description ?? '', reason };
  });
}

/** P(class 1) over the grid, from the model's current parameters. */
function boundary(run: Run): void {
  const { t } = run;
  withArena(() =>
    noGrad(() => {
      const out = t.data.model.forward(t.params, gridInputs(GRID), t.infer).data;
      // Classes: P(class 1); a regression target: its value from −1 to 1, as 0 to 1 (the same colours).
      for (let p = 0; p < GRID * GRID; p++)
        run.view.boundary[p] = regression ? Math.min(1, Math.max(0, (out[p] + 1) / 2)) : 1 / (1 + Math.exp(out[2 * p] - out[2 * p + 1]));
    }),
  );
}

/**
 * Each hidden layer's activity (after its activation) over the small grid: the model's own
 * modules run block by block on the grid points, as its forward runs them.
 */
function neurons(run: Run): void {
  const { t } = run;
  const { prefix, blocks } = layerBlocks(t.data.model, 'the playground');
  const n = NEURON_GRID * NEURON_GRID;
  const opts = { ...t.infer, params: t.params };
  run.view.neurons = withArena(() =>
    noGrad(() => {
      const x = gridInputs(NEURON_GRID);
      // The inputs first, as TensorFlow Playground shows them: each feature over the plane.
      const out = [{ layer: 'input', units: loaded!.inputs.length, maps: unitMaps(x.data, n, loaded!.inputs.length) }];
      let h = runModules(prefix, x, opts);
      for (const [k, b] of blocks.entries()) {
        const act = runModules(b.modules.slice(0, b.activityDepth), h, opts);
        if (k < blocks.length - 1) {
          const units = act.size / n;
          out.push({ layer: b.layer.path, units, maps: unitMaps(act.data, n, units) });
        }
        h = runModules(b.modules.slice(b.activityDepth), act, opts);
      }
      return out;
    }),
  );
}

/** Activities [n, units] as the first MAX_UNITS_SHOWN units' maps, one after the other. */
function unitMaps(a: ArrayLike<number>, n: number, units: number): Float32Array {
  const shown = Math.min(units, MAX_UNITS_SHOWN);
  const maps = new Float32Array(shown * n);
  for (let u = 0; u < shown; u++) for (let p = 0; p < n; p++) maps[u * n + p] = a[p * units + u];
  return maps;
}

/** The side × side grid over the plane as the model's inputs: each point's chosen features, as the data set computes them. */
function gridInputs(side: number) {
  return fromArray(pointInputs(gridPoints(extent, side), loaded!.inputs), [side * side, loaded!.inputs.length]);
}

/** The first test images' predicted classes and the model's probability of each. */
function predictions(run: Run): void {
  const { t } = run;
  const test = t.data.test;
  const f = test.features;
  run.view.predictions = withArena(() =>
    noGrad(() => {
      const out = t.data.model.forward(t.params, fromArray(test.x.subarray(0, SAMPLES * f), [SAMPLES, f]), t.infer).data;
      return Array.from({ length: SAMPLES }, (_, i) => {
        const z = Array.from(out.subarray(i * 10, (i + 1) * 10));
        const top = z.indexOf(Math.max(...z));
        const sum = z.reduce((a, v) => a + Math.exp(v - z[top]), 0);
        return { label: top, confidence: 1 / sum };
      });
    }),
  );
}

function draw(run: Run): void {
  if (loaded!.data === 'mnist') return predictions(run);
  boundary(run);
  neurons(run);
}

async function load(hash: string, id: number): Promise<void> {
  const s = parseState(hash);
  if (s.data === 'mnist' && !mnist) {
    const r = await fetch(new URL(MNIST_FILE, scope.location.href));
    if (!r.ok) throw new Error(`${MNIST_FILE}: ${r.status} ${r.statusText} (rebuild the playground)`);
    mnist = decodeMnistSubset(new Uint8Array(await r.arrayBuffer()));
  }
  withThreads(THREADS, () => start(s, id));
}

/** Start the state's runs (its rules' checks may refuse it: then the old runs go on) and report them. */
function start(s: PlaygroundState, id: number): void {
  if (!(ACTIVATION_NAMES as readonly string[]).includes(s.activation))
    throw new StateError(`act: expected one of ${ACTIVATION_NAMES.join(', ')}, got "${s.activation}"`);
  // A rule not defined for the network refuses here (its check), and the old runs go on.
  const fresh: Run[] = [];
  try {
    for (const r of s.rules) fresh.push(startRun(s, r));
  } catch (e) {
    for (const f of fresh) withLedger(() => f.t.dispose(), f.ledger);
    throw e;
  }
  for (const r of runs) if (!r.done) withLedger(() => r.t.dispose(), r.ledger);
  playing = false;
  loaded = s;
  runs = fresh;
  regression = REGRESSION.includes(s.data);
  const shown = s.data === 'mnist' ? { points: null, samples: samples() } : { points: plane(s), samples: null };
  for (const r of runs) withLedger(() => draw(r), r.ledger);
  post({
    type: 'loaded',
    id,
    backend: backendName,
    backendNote,
    activations: [...ACTIVATION_NAMES],
    rules: ruleChoices(s, runs[0].t.data),
    ...shown,
    extent,
  });
  report(id);
}

/** The points on the plane, and the extent around them (the grids' plane). */
function plane(s: PlaygroundState): Points {
  // The same draw as the runs' data (the same stream), before the inputs map them.
  const { inputs: _mapped, ...plain } = configFor(s, s.rules[0]).data;
  const { train, test } = dataLoader(null)(plain.name, { ...plain, rng: rng(s.seed).child('data').child('dataset') });
  const x = new Float32Array([...train.x, ...test.x]);
  const y = new Float32Array([...train.y, ...test.y]);
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < x.length; i += 2) {
    x0 = Math.min(x0, x[i]);
    x1 = Math.max(x1, x[i]);
    y0 = Math.min(y0, x[i + 1]);
    y1 = Math.max(y1, x[i + 1]);
  }
  const pad = 0.1 * Math.max(x1 - x0, y1 - y0);
  extent = [x0 - pad, x1 + pad, y0 - pad, y1 + pad];
  return { x, y, train: train.n, regression };
}

/** The MNIST test images whose predictions the runs show (unpadded), and their labels. */
function samples(): Samples {
  const { test } = mnist!;
  return { x: test.x.slice(0, SAMPLES * 784), labels: Array.from(test.y.subarray(0, SAMPLES)) };
}

function step(n: number): void {
  withThreads(THREADS, () => {
    for (const r of runs) {
      withLedger(() => {
        for (let i = 0; i < n && !r.done; i++) r.done = r.steps.next().done === true;
        if (!r.done) draw(r);
      }, r.ledger);
    }
  });
}

function report(id: number | null): void {
  post({
    type: 'metrics',
    id,
    playing,
    runs: runs.map((r) => ({
      ...r.view,
      boundary: r.view.boundary.slice(),
      neurons: r.view.neurons.map((m) => ({ ...m, maps: m.maps.slice() })),
    })),
  });
}

function tick(): void {
  if (!playing) return;
  step(PLAY_CHUNK);
  if (runs.every((r) => r.done)) playing = false;
  report(null);
  setTimeout(tick, 0);
}

scope.onmessage = (e) => {
  const m = e.data;
  const id = 'id' in m ? m.id : null;
  ready
    .then(() => {
      if (m.type === 'load') return load(m.state, m.id);
      else if (m.type === 'step') {
        step(m.n);
        report(m.id);
      } else if (m.type === 'rule-file') {
        return loadRuleFile(m.name, m.source).then((rules) => {
          for (const r of rules) ruleFiles.set(r.id, m.name);
          post({ type: 'rule-file', id: m.id, rules: rules.map((r) => r.id) });
        });
      } else if (m.type === 'worked') {
        post({ type: 'worked', id: m.id, example: workedExample(), published: PUBLISHED });
      } else if (m.type === 'export') {
        const spec = specModule(specFor(loaded!, Math.min(...runs.map((r) => r.view.step)), ruleFiles));
        post({ type: 'exported', id: m.id, spec, records: runs.map((r) => r.records) });
      } else if (m.type === 'play') {
        if (!playing) {
          playing = true;
          setTimeout(tick, 0);
        }
      } else {
        playing = false;
        report(null);
      }
    })
    .catch((err: unknown) => post({ type: 'error', id, message: String((err as Error).message ?? err) }));
};
