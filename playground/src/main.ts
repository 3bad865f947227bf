// The page: controls, the decision boundary of each run, loss curves (uPlot) and per-layer
// alignment. It never trains: the worker does, and the page draws what the worker reports.
// For tests and scripts it exposes window.playground (load, step, metrics, state, exportRun).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import {
  GRID,
  NEURON_GRID,
  type FromWorker,
  type NeuronMaps,
  type Points,
  type RuleChoice,
  type RunView,
  type Samples,
  type ToWorker,
} from './protocol.ts';
import { POINT_INPUTS } from '../../src/data/synthetic.ts';
import { DATASETS, formatState, MAX_RULES, NETS, parseState, type PlaygroundState } from './state.ts';

// The page's ?threads=N and ?backend=wasm go to the worker (kernel threads and WebGPU: the speed,
// and the last bits of a figure; WebGPU's sums and exp are not WASM's).
const forwarded = new URLSearchParams();
for (const k of ['threads', 'backend']) {
  const v = new URLSearchParams(location.search).get(k);
  if (v) forwarded.set(k, v);
}
const query = forwarded.toString();
const worker = new Worker(new URL(`./worker.js${query ? `?${query}` : ''}`, import.meta.url), {
  type: 'module',
});
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let state: PlaygroundState = parseState('');
let runs: RunView[] = [];
let points: Points | null = null;
let samples: Samples | null = null;
let extent: [number, number, number, number] = [-1, 1, -1, 1];
let choices: RuleChoice[] = [];
let playing = false;
let nextId = 1;
const waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
let exported: Extract<FromWorker, { type: 'exported' }> | null = null;
let loadedRules: string[] = [];

function send(m: ToWorker): void {
  worker.postMessage(m);
}

/** Send a message the worker answers by id; resolves when it has. */
function ask(
  m:
    | { type: 'load'; state: string }
    | { type: 'step'; n: number }
    | { type: 'export' }
    | { type: 'rule-file'; name: string; source: string },
): Promise<void> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve: () => resolve(), reject });
    send({ ...m, id });
  });
}

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  if (m.type === 'error') {
    $('status').textContent = m.message;
    if (m.id !== null) waiting.get(m.id)?.reject(new Error(m.message));
    if (m.id !== null) waiting.delete(m.id);
    return;
  }
  if (m.type === 'loaded') {
    choices = m.rules;
    points = m.points;
    samples = m.samples;
    extent = m.extent;
    $('backend').textContent = m.backend;
    $('backend-note').textContent = m.backendNote ? ` (not on WebGPU: ${m.backendNote})` : '';
    fillSelect($('c-activation'), m.activations);
    return;
  }
  if (m.type === 'exported') {
    exported = m;
    waiting.get(m.id)?.resolve();
    waiting.delete(m.id);
    return;
  }
  // The guided page's answer; this page never asks for it.
  if (m.type === 'worked') return;
  if (m.type === 'rule-file') {
    loadedRules = m.rules;
    waiting.get(m.id)?.resolve();
    waiting.delete(m.id);
    return;
  }
  runs = m.runs;
  playing = m.playing;
  draw();
  if (m.id !== null) {
    waiting.get(m.id)?.resolve();
    waiting.delete(m.id);
  }
};

// ---- controls -------------------------------------------------------------------------------

const CONTROLS: Array<[keyof PlaygroundState, string]> = [
  ['data', 'select'],
  ['noise', 'number'],
  ['points', 'number'],
  ['trainShare', 'number'],
  ['seed', 'number'],
  ['net', 'select'],
  ['hidden', 'text'],
  ['activation', 'select'],
  ['lr', 'number'],
  ['l2', 'number'],
  ['clip', 'number'],
  ['batch', 'number'],
];

function fillSelect(el: HTMLSelectElement, options: readonly string[]): void {
  el.replaceChildren(...options.map((o) => new Option(o, o)));
}

/** A checkbox per input feature, in POINT_INPUTS order. */
function renderInputs(): void {
  $('c-inputs').replaceChildren(
    ...POINT_INPUTS.map((f) => {
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = f;
      box.addEventListener('change', applyControls);
      label.append(box, f);
      return label;
    }),
  );
}

function showState(): void {
  for (const box of $('c-inputs').querySelectorAll('input')) box.checked = state.inputs.includes(box.value as never);
  for (const [k] of CONTROLS) {
    const el = $<HTMLInputElement>(`c-${k}`);
    const v = state[k];
    el.value = Array.isArray(v) ? v.join(',') : String(v);
  }
}

/** The state the controls say (a bad value: named in the status line, the state unchanged). */
function readControls(): PlaygroundState | null {
  const q = new URLSearchParams(formatState(state));
  const keyOf: Partial<Record<keyof PlaygroundState, string>> = { trainShare: 'train', activation: 'act' };
  for (const [k] of CONTROLS) q.set(keyOf[k] ?? k, $<HTMLInputElement>(`c-${k}`).value.replace(/\s+/g, ''));
  // The selected rules in order, each once; an empty selector is '(none)'.
  const picked = RULE_SELECTORS.map((id) => $<HTMLSelectElement>(id).value).filter(Boolean);
  q.set('rules', [...new Set(picked)].join(','));
  // The inputs keep the state's order; a newly ticked one goes last.
  const ticked = new Set(Array.from($('c-inputs').querySelectorAll('input:checked'), (b) => (b as HTMLInputElement).value));
  q.set(
    'inputs',
    [...state.inputs.filter((f) => ticked.has(f)), ...POINT_INPUTS.filter((f) => ticked.has(f) && !state.inputs.includes(f))].join(','),
  );
  try {
    return parseState(q.toString());
  } catch (e) {
    $('status').textContent = (e as Error).message;
    return null;
  }
}

/** One selector per rule that can train side by side (MAX_RULES); the first is never empty. */
const RULE_SELECTORS = ['rule-a', 'rule-b', 'rule-c'].slice(0, MAX_RULES);

function renderRuleSelectors(): void {
  RULE_SELECTORS.forEach((id, i) => {
    const allowNone = i > 0;
    const sel = $<HTMLSelectElement>(id);
    const opts = choices.map((c) => {
      const o = new Option(c.reason ? `${c.id} (not for this network)` : c.id, c.id);
      o.disabled = c.reason !== null;
      o.title = c.reason ?? c.description;
      return o;
    });
    // An entry with options (backprop:checkpoint=1) is offered as it is, beside the plain ids.
    const own = state.rules[i] && !choices.some((c) => c.id === state.rules[i]) ? [new Option(state.rules[i], state.rules[i])] : [];
    sel.replaceChildren(...(allowNone ? [new Option('(none)', '')] : []), ...own, ...opts);
    sel.value = state.rules[i] ?? '';
  });
  $('rule-reasons').replaceChildren(
    ...choices
      .filter((c) => c.reason)
      .map((c) => {
        const li = document.createElement('li');
        li.textContent = `${c.id}: ${c.reason}`;
        return li;
      }),
  );
}

/** Load a state: the worker checks and starts it; only then do the URL and controls take it (a refused one changes nothing). */
async function load(hash: string): Promise<void> {
  const next = parseState(hash);
  const h = formatState(next);
  await ask({ type: 'load', state: h });
  state = next;
  if (location.hash.slice(1) !== h) history.replaceState(null, '', `#${h}`);
  showState();
  renderRuleSelectors();
  $('status').textContent = '';
}

function applyControls(): void {
  $('lesson').textContent = '';
  const s = readControls();
  if (s) void load(formatState(s)).catch(() => {});
}

// ---- drawing --------------------------------------------------------------------------------

const COLORS = ['#1f77b4', '#d62728', '#2ca02c'];

function drawBoundary(canvas: HTMLCanvasElement, run: RunView): void {
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(GRID, GRID);
  for (let p = 0; p < GRID * GRID; p++) {
    const v = run.boundary[p];
    // Orange for class 0, blue for class 1, pale where the net is unsure.
    img.data.set([255 - 140 * v, 200 - 40 * Math.abs(v - 0.5), 110 + 140 * v, 255], p * 4);
  }
  const off = new OffscreenCanvas(GRID, GRID);
  off.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
  if (!points) return;
  const [x0, x1, y0, y1] = extent;
  for (let i = 0; i < points.y.length; i++) {
    const px = ((points.x[2 * i] - x0) / (x1 - x0)) * canvas.width;
    const py = ((y1 - points.x[2 * i + 1]) / (y1 - y0)) * canvas.height;
    ctx.beginPath();
    ctx.arc(px, py, 3, 0, 2 * Math.PI);
    // A class: blue or orange; a regression target from −1 to 1: orange through white to blue.
    const v = points.regression ? Math.min(1, Math.max(0, (points.y[i] + 1) / 2)) : points.y[i];
    ctx.fillStyle = `rgb(${194 - 183 * v}, ${84 - 5 * v}, ${156 * v})`;
    ctx.fill();
    ctx.strokeStyle = i < points.train ? '#fff' : '#000';
    ctx.stroke();
  }
}

/** Each hidden layer's units as small maps over the input plane: orange below zero, blue above, each unit on its own scale. */
function drawNeurons(layers: NeuronMaps[]): HTMLElement {
  const box = document.createElement('div');
  box.className = 'neurons';
  const n = NEURON_GRID * NEURON_GRID;
  for (const { layer, units, maps } of layers) {
    const row = document.createElement('div');
    row.dataset.layer = layer;
    const label = document.createElement('span');
    const shown = maps.length / n;
    label.textContent = shown < units ? `${layer} (${shown} of ${units})` : layer;
    row.append(label);
    for (let u = 0; u < shown; u++) {
      const unit = maps.subarray(u * n, (u + 1) * n);
      const scale = unit.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
      const c = document.createElement('canvas');
      c.width = c.height = NEURON_GRID;
      c.title = `${layer} unit ${u}: output in [${Math.min(...unit).toFixed(2)}, ${Math.max(...unit).toFixed(2)}]`;
      const ctx = c.getContext('2d')!;
      const img = ctx.createImageData(NEURON_GRID, NEURON_GRID);
      for (let p = 0; p < n; p++) {
        const v = unit[p] / scale;
        const rgb = v < 0 ? [255, 255 + 100 * v, 255 + 225 * v] : [255 - 225 * v, 255 - 130 * v, 255 - 30 * v];
        img.data.set([...rgb, 255], p * 4);
      }
      ctx.putImageData(img, 0, 0);
      row.append(c);
    }
    box.append(row);
  }
  return box;
}

/** MNIST: the sample images, each with the class predicted (green when right, red when wrong) and its probability. */
function drawPredictions(run: RunView): HTMLElement {
  const box = document.createElement('div');
  box.className = 'samples';
  if (!samples) return box;
  run.predictions.forEach((p, i) => {
    const fig = document.createElement('figure');
    const c = document.createElement('canvas');
    c.width = c.height = 28;
    const ctx = c.getContext('2d')!;
    const img = ctx.createImageData(28, 28);
    for (let k = 0; k < 784; k++) {
      const v = 255 - 255 * samples!.x[i * 784 + k];
      img.data.set([v, v, v, 255], k * 4);
    }
    ctx.putImageData(img, 0, 0);
    const cap = document.createElement('figcaption');
    cap.textContent = `${p.label} ${(100 * p.confidence).toFixed(0)}%`;
    cap.className = p.label === samples!.labels[i] ? 'right' : 'wrong';
    cap.title = `label ${samples!.labels[i]}`;
    fig.append(c, cap);
    box.append(fig);
  });
  return box;
}

const fmt = (v: number | null) => (v === null || Number.isNaN(v) ? '–' : v.toFixed(4));

function drawRunPanel(run: RunView, i: number): HTMLElement {
  const panel = document.createElement('section');
  panel.className = 'run';
  panel.dataset.rule = run.rule;
  const h = document.createElement('h3');
  h.textContent = run.rule;
  h.style.color = COLORS[i];
  const canvas = document.createElement('canvas');
  canvas.className = 'boundary';
  canvas.width = canvas.height = 240;
  drawBoundary(canvas, run);
  const stats = document.createElement('p');
  stats.textContent = `step ${run.step} · train loss ${fmt(run.trainLoss)} · test loss ${fmt(run.testLoss)} · test acc ${fmt(run.testAcc)}`;
  if (run.error) stats.textContent += ` · ${run.status}: ${run.error}`;
  const mem = document.createElement('p');
  mem.className = 'memory';
  if (run.memory) {
    const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
    const parts = Object.entries(run.memory.atPeak)
      .filter(([, b]) => b > 0)
      .map(([c, b]) => `${c} ${kib(b)}`);
    mem.textContent = `memory at the step's peak: ${kib(run.memory.peakBytes)} (${parts.join(', ')}), ${run.memory.ratioToInference.toFixed(1)}× a forward pass`;
    mem.textContent += `; saved activations at their own peak: ${kib(run.memory.peakByCategory['saved-activation'] ?? 0)}`;
    if (run.forwardPasses !== null && run.step > 0)
      mem.textContent += `; compute: ${(run.forwardPasses / run.step).toFixed(1)} forward passes a step`;
  }
  const table = document.createElement('table');
  table.className = 'alignment';
  const ref = run.reference ?? 'none (own objective)';
  table.innerHTML =
    `<caption>per layer: cosine of the update with the reference (${ref}), of the error signal with backprop's δ, ` +
    `and the norm of backprop's gradient</caption><tr><th>layer</th><th>update</th><th></th><th>error signal</th><th>‖∇‖</th></tr>`;
  for (const layer of Object.keys({ ...run.alignment, ...run.gradNorms })) {
    const c = run.alignment[layer];
    const tr = table.insertRow();
    tr.insertCell().textContent = layer;
    tr.insertCell().textContent = c === undefined ? '–' : c.toFixed(3);
    const span = document.createElement('span');
    span.className = 'bar';
    span.style.width = `${Math.max(0, c ?? 0) * 100}px`;
    tr.insertCell().append(span);
    tr.insertCell().textContent = run.errorSignals[layer] === undefined ? '–' : run.errorSignals[layer].toFixed(3);
    tr.insertCell().textContent = run.gradNorms[layer] === undefined ? '–' : run.gradNorms[layer].toExponential(2);
  }
  const diag = document.createElement('p');
  diag.className = 'diagnostics';
  diag.textContent = Object.entries(run.diagnostics)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(3)}`)
    .join(' · ');
  if (samples) panel.append(h, drawPredictions(run), stats, mem, table, diag);
  else panel.append(h, canvas, drawNeurons(run.neurons), stats, mem, table, diag);
  return panel;
}

class Curves {
  private plot: uPlot | null = null;
  private rules = '';
  clear(): void {
    this.plot?.destroy();
    this.plot = null;
    this.rules = '';
  }
  draw(rs: RunView[]): void {
    const key = rs.map((r) => r.rule).join(',');
    if (!rs.length) return;
    const base = rs[0].curve.step;
    const data: uPlot.AlignedData = [base, ...rs.flatMap((r) => [r.curve.train, r.curve.test])];
    if (!this.plot || this.rules !== key) {
      this.clear();
      this.rules = key;
      const series: uPlot.Series[] = [{ label: 'step' }];
      rs.forEach((r, i) => {
        series.push({ label: `${r.rule} train`, stroke: COLORS[i], width: 2 });
        series.push({ label: `${r.rule} test`, stroke: COLORS[i], dash: [6, 4], width: 2 });
      });
      this.plot = new uPlot(
        { width: 640, height: 260, series, scales: { x: { time: false } }, axes: [{ label: 'step' }, { label: 'loss' }] },
        data,
        $('curves'),
      );
    } else this.plot.setData(data);
  }
}
const curves = new Curves();

function draw(): void {
  $('runs').replaceChildren(...runs.map(drawRunPanel));
  curves.draw(runs);
  $('play').textContent = playing ? 'pause' : 'play';
}

// ---- wiring ---------------------------------------------------------------------------------

fillSelect($('c-data'), DATASETS);
fillSelect($('c-net'), NETS);
renderInputs();
for (const [k] of CONTROLS) $(`c-${k}`).addEventListener('change', applyControls);
for (const id of RULE_SELECTORS) $(id).addEventListener('change', applyControls);
$('play').addEventListener('click', () => send({ type: playing ? 'pause' : 'play' }));
$('step').addEventListener('click', () => void ask({ type: 'step', n: 1 }));
$('reset').addEventListener('click', () => void load(formatState(state)));
$('export').addEventListener('click', () => {
  void exportRun().then(({ spec }) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([spec], { type: 'text/javascript' }));
    a.download = 'playground-spec.mjs';
    a.click();
    URL.revokeObjectURL(a.href);
  });
});

/** The spec that reruns these runs through `rulebench run` for the steps taken, and the runs' records. */
async function exportRun(): Promise<{ spec: string; records: unknown[][] }> {
  await ask({ type: 'export' });
  return { spec: exported!.spec, records: exported!.records };
}
/**
 * A user's rule file (JavaScript importing 'rulebench/core') into the worker: its rules join the
 * selectors (the state reloads, so their checks grey them or not). Resolves with their ids.
 */
async function loadRuleFile(name: string, source: string): Promise<string[]> {
  await ask({ type: 'rule-file', name, source });
  await load(formatState(state));
  $('status').textContent = '';
  $('rule-file-status').textContent = `loaded from ${name}: ${loadedRules.join(', ')}`;
  return loadedRules;
}
$('rule-file').addEventListener('change', () => {
  const file = $<HTMLInputElement>('rule-file').files?.[0];
  if (file) void file.text().then((text) => loadRuleFile(file.name, text).catch(() => {}));
});

// A lesson link says what to watch; the note stays until a control changes the state.
for (const a of document.querySelectorAll<HTMLAnchorElement>('a[data-note]'))
  a.addEventListener('click', () => ($('lesson').textContent = a.dataset.note ?? ''));
window.addEventListener('hashchange', () => {
  if (location.hash.slice(1) !== formatState(state)) void load(location.hash).catch(() => {});
});

/** The first run's figures at the top level (what a test reads), every run's under `runs`. */
function metrics() {
  const view = (r: RunView) => ({
    rule: r.rule,
    step: r.step,
    trainLoss: r.trainLoss,
    testLoss: r.testLoss,
    testAcc: r.testAcc,
    alignment: { ...r.alignment },
    errorSignals: { ...r.errorSignals },
    gradNorms: { ...r.gradNorms },
    diagnostics: { ...r.diagnostics },
    memory: r.memory,
    forwardPasses: r.forwardPasses,
    status: r.status,
    predictions: r.predictions.map((p) => ({ ...p })),
  });
  const first = runs[0]
    ? view(runs[0])
    : {
        rule: '',
        step: 0,
        trainLoss: NaN,
        testLoss: null,
        testAcc: NaN,
        alignment: {},
        errorSignals: {},
        gradNorms: {},
        diagnostics: {},
        memory: null,
        forwardPasses: null,
        status: 'training',
        predictions: [],
      };
  return {
    ...first,
    backend: $('backend').textContent,
    backendNote: $('backend-note').textContent,
    rules: choices.map((c) => ({ ...c })),
    runs: runs.map(view),
  };
}

/** A run's hidden-unit maps and the plane they cover (extent: x1 from, to; x2 from, to). */
function neuronMaps(i = 0) {
  const layers = (runs[i]?.neurons ?? []).map((m) => ({ layer: m.layer, units: m.units, maps: Array.from(m.maps) }));
  return { grid: NEURON_GRID, extent: [...extent], layers };
}

const api = {
  load: (s: string) => load(s),
  loadRuleFile,
  neuronMaps,
  step: (n: number) => ask({ type: 'step', n }),
  exportRun,
  metrics,
  state: () => formatState(state),
};
(window as unknown as { playground: typeof api }).playground = api;

load(location.hash).then(
  () => document.body.setAttribute('data-ready', ''),
  (e: Error) => {
    $('status').textContent = e.message;
    document.body.setAttribute('data-ready', '');
  },
);
