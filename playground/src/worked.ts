// The guided page: the worked example of a two-weight sigmoid net, stepped through — forward
// table, backward δ table, one SGD update — with the figures the core's autograd computes (in
// the worker, like every run) beside the ones the literature prints.
import type { FromWorker } from './protocol.ts';

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const fig = (v: number, digits = 4) => Number(v.toPrecision(digits)).toString();

function table(id: string, rows: Array<[string, string, number]>): void {
  const t = document.getElementById(id) as HTMLTableElement;
  for (const [name, how, v] of rows) {
    const tr = t.insertRow();
    tr.insertCell().textContent = name;
    tr.insertCell().textContent = how;
    tr.insertCell().textContent = fig(v);
  }
}

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  if (m.type === 'error') {
    document.getElementById('status')!.textContent = m.message;
    return;
  }
  if (m.type !== 'worked') return;
  const { forward: f, deltas: d } = m.example;
  table('forward', [
    ['x', 'input', f.x],
    ['w1', 'first weight', f.w1],
    ['z1', 'w1 · x', f.z1],
    ['h', 'σ(z1)', f.h],
    ['w2', 'second weight', f.w2],
    ['z2', 'w2 · h', f.z2],
    ['ŷ', 'σ(z2)', f.yHat],
    ['L', '½ (ŷ − y)², y = 1', m.example.loss],
  ]);
  table('backward', [
    ['δ2 = ∂L/∂z2', '(ŷ − y) · ŷ (1 − ŷ)', d.z2],
    ['∂L/∂w2', 'δ2 · h', m.example.dLdw2],
    ['δ1 = ∂L/∂z1', 'δ2 · w2 · h (1 − h)', d.z1],
    ['∂L/∂w1', 'δ1 · x', m.example.dLdw1],
  ]);
  table('update', [
    ['w2 → ', 'w2 − η ∂L/∂w2, η = 1', m.example.w2After],
    ['w1 → ', 'w1 − η ∂L/∂w1, η = 1', m.example.w1After],
  ]);
  const figures = document.getElementById('figures') as HTMLTableElement;
  for (const p of m.published) {
    const tr = figures.insertRow();
    tr.dataset.key = p.key;
    tr.insertCell().textContent = p.label;
    tr.insertCell().textContent = m.example[p.key].toPrecision(3);
    tr.insertCell().textContent = p.value;
  }
  document.body.setAttribute('data-ready', '');
};
worker.postMessage({ type: 'worked', id: 1 });
