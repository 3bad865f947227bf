// The vanishing-gradient story: per-layer gradient norms at initialization in a 20-hidden-layer
// MLP on one MNIST batch, for sigmoid, tanh and ReLU, Xavier vs He init, with and without
// residual connections. Sigmoid's σ′ ≤ 0.25 shrinks the backward signal layer by layer.
// Run: npx tsx experiments/vanishing-gradients.ts   (table, records and an SVG chart)
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildModel, classification, fromArray, gradientNorms, loadMnist, rng, trueGradient, type Batch } from '../src/index.ts';

export interface NormRow {
  type: 'gradient-norms';
  activation: string;
  init: string;
  residual: boolean;
  layer: number;
  norm: number;
}

export const ACTIVATIONS = ['sigmoid', 'tanh', 'relu'] as const;
export const INITS = ['xavierNormal', 'heNormal'] as const;

/** Gradient norm of every layer at init, for one configuration. */
export function layerNorms(activation: string, init: string, residual: boolean, depth = 20, width = 128, seed = 0): NormRow[] {
  const mnist = loadMnist('train');
  const n = 128;
  const batch: Batch = {
    x: fromArray(mnist.x.subarray(0, n * mnist.features), [n, mnist.features]),
    labels: mnist.y.subarray(0, n),
    size: n,
  };
  const model = buildModel({ sizes: [mnist.features, ...new Array<number>(depth).fill(width), 10], activation, init, residual });
  const params = model.init(rng(seed).child('init'));
  const norms = gradientNorms(model, trueGradient(model, classification(10), params, batch).grads);
  for (const p of params) p.dispose();
  return model.weightLayers().map((l, i) => ({
    type: 'gradient-norms',
    activation,
    init,
    residual,
    layer: i,
    norm: norms[`${model.paramOwner[l.params.weight.index]}.gradNorm`],
  }));
}

export function allNorms(depth = 20): NormRow[] {
  return ACTIVATIONS.flatMap((a) => INITS.flatMap((i) => [false, true].flatMap((r) => layerNorms(a, i, r, depth))));
}

async function main(): Promise<void> {
  const rows = allNorms();
  const out = 'results/vanishing-gradients';
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}/records.jsonl`, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  console.log('Gradient norm per layer at init, 784-128×20-10, one MNIST batch of 128\n');
  console.log(
    `${'activation'.padEnd(10)}${'init'.padEnd(14)}${'residual'.padEnd(10)}${'layer 0'.padStart(11)}${'layer 10'.padStart(11)}${'layer 20'.padStart(11)}${'first/last'.padStart(12)}`,
  );
  for (const a of ACTIVATIONS)
    for (const i of INITS)
      for (const r of [false, true]) {
        const rs = rows.filter((x) => x.activation === a && x.init === i && x.residual === r);
        const f = (v: number) => v.toExponential(2).padStart(11);
        console.log(
          `${a.padEnd(10)}${i.padEnd(14)}${String(r).padEnd(10)}${f(rs[0].norm)}${f(rs[10].norm)}${f(rs[20].norm)}${f(rs[0].norm / rs[20].norm)}`,
        );
      }
  const { renderSvg } = await import('../src/report/index.ts');
  const svg = await renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: rows.map((r) => ({ ...r, net: `${r.activation}${r.residual ? ' + residual' : ''}` })) },
    facet: { column: { field: 'init', title: null } },
    spec: {
      width: 320,
      height: 240,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'layer', type: 'quantitative', title: 'layer (0 = input side)' },
        y: { field: 'norm', type: 'quantitative', scale: { type: 'log' }, title: 'gradient norm (log)' },
        color: { field: 'net', type: 'nominal', title: null },
      },
    },
  });
  writeFileSync(`${out}/gradient-norms.svg`, svg);
  console.log(`\nrecords: ${out}/records.jsonl\nchart: ${out}/gradient-norms.svg`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
