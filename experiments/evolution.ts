// Zeroth-order rivals on MNIST: evolution strategies and CMA-ES beside MeZO (and backprop for
// scale) on a small MLP, at equal forward passes per step, 3 seeds; the report plots accuracy
// against forward passes spent and each step's memory. The same rules on the classification
// error itself, where backprop cannot run, are experiments/evolution-error.ts.
//   npx tsx src/cli.ts run experiments/evolution.ts --out results/evolution
// The gradient-estimate sweep (cosine and variance against samples per step, at the same init,
// against the true gradient) writes zeroth-order.jsonl beside the records; report afterwards:
//   npx tsx experiments/evolution.ts estimates [--out results/evolution] [--draws 16] [--quick]
//   npx tsx src/cli.ts report results/evolution
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../algorithms/index.ts';
import {
  buildModel,
  defineExperiment,
  estimateQuality,
  fromArray,
  getRule,
  loadDataset,
  rng,
  ruleContext,
  taskFor,
  trueGradient,
  type Batch,
  type ExperimentSpec,
  type RuleEntry,
  type RuleOptions,
} from '../src/index.ts';
import { useBackendFromEnv } from '../src/kernels-api.ts';

/** 784-32-10: 25,450 parameters, small enough that a population of 32 carries some signal. */
export const SMALL_MLP = { sizes: [784, 32, 10], activation: 'relu', init: 'heUniform' };
export const DATA: ExperimentSpec['data'] = { name: 'mnist', train: 20000, validation: 2000 };
/** Forward passes per step every zeroth-order rule spends: MeZO 16 directions × 2, ES 32, CMA-ES λ = 32. */
export const PASSES = 32;
// Perturbation sizes: MeZO's paper ε for the smooth loss; ES and CMA-ES search a wider radius.
export const SIGMA = 0.01;

/** The zeroth-order rules at `passes` forward passes per step, each with the optimizer it is run with. */
export function zerothOrderEntries(passes: number, o: { mezoEps?: number } = {}): RuleEntry[] {
  return [
    // Adam 1e-2: on a 4,000-image slice, 5 epochs, it beat 3e-3 for both (ES 67.7 vs 57.0%) and SGD 1e-2 for MeZO (69.3 vs 55.8%).
    { rule: 'mezo', options: { samples: passes / 2, ...(o.mezoEps ? { eps: o.mezoEps } : {}) }, optimizer: { name: 'adam', lr: 1e-2 } },
    { rule: 'evolution-strategies', options: { population: passes, sigma: SIGMA }, optimizer: { name: 'adam', lr: 1e-2 } },
    // CMA-ES's own mean update is its direction at rate 1 (c_m = 1); σ₀ = 0.01 beat 0.003 on the slice (60.3 vs 32.9%).
    { rule: 'cma-es', options: { population: passes, sigma: SIGMA }, optimizer: { name: 'sgd', lr: 1 } },
  ];
}

export default defineExperiment({
  name: 'evolution',
  description: `ES and CMA-ES beside MeZO on MNIST (20k images, MLP 784-32-10 ReLU), ${PASSES} forward passes per step each; backprop for scale. 3 epochs, 3 seeds.`,
  data: DATA,
  model: SMALL_MLP,
  optimizer: { name: 'adam', lr: 1e-3 },
  rules: ['backprop', ...zerothOrderEntries(PASSES)],
  seeds: [0, 1, 2],
  epochs: 3,
  batchSize: 128,
  evalEvery: 50,
  alignEvery: 25,
  memory: true,
  // --quick: 3,500 training images (500 held out), 2,000 test images, 2 epochs (56 steps), 1 seed.
  quick: { data: { name: 'mnist', train: 4000, test: 2000, validation: 500 }, epochs: 2, seeds: [0], evalEvery: 10, alignEvery: 10 },
});

export interface ZerothOrderRow {
  type: 'zeroth-order';
  estimator: string;
  rule: string;
  options: RuleOptions;
  samples: number;
  forwardPasses: number;
  parameters: number;
  draws: number;
  cosine: number;
  cosineStd: number;
  cosineOfMean: number;
  relativeVariance: number;
  scale: number;
  seed: number;
}

/** How each rule turns "forward passes per step" into its own option. */
const ESTIMATORS: Array<{
  estimator: string;
  rule: string;
  options: (passes: number) => RuleOptions;
  samples: (passes: number) => number;
}> = [
  { estimator: 'mezo (SPSA)', rule: 'mezo', options: (p) => ({ samples: p / 2 }), samples: (p) => p / 2 },
  {
    estimator: 'evolution-strategies (ranks)',
    rule: 'evolution-strategies',
    options: (p) => ({ population: p, sigma: SIGMA }),
    samples: (p) => p,
  },
  { estimator: 'cma-es (first generation)', rule: 'cma-es', options: (p) => ({ population: p, sigma: SIGMA }), samples: (p) => p },
];

/**
 * Cosine and calibrated variance of each zeroth-order estimator against the true gradient, at
 * the small MLP's initialization on one batch of 128 MNIST images, for each count of forward
 * passes per step: `draws` independent draws each (a draw is the rule's step with fresh noise).
 */
export function zerothOrderRows(
  o: { passes?: number[]; draws?: number; seed?: number; model?: typeof SMALL_MLP; log?: (s: string) => void } = {},
): ZerothOrderRow[] {
  const seed = o.seed ?? 0;
  const passes = o.passes ?? [2, 4, 8, 16, 32, 64, 128, 256];
  const draws = o.draws ?? 16;
  const root = rng(seed);
  const data = loadDataset('mnist', { train: 128, test: 1, rng: root.child('data') }).train;
  const model = buildModel(o.model ?? SMALL_MLP, { sampleShape: data.shape, outputs: data.classes });
  const params = model.init(root.child('init'));
  const batch: Batch = { x: fromArray(data.x, [data.n, data.features]), labels: data.y as Int32Array, size: data.n };
  const task = taskFor(data);
  const reference = trueGradient(model, task, params, batch).grads;
  const rows: ZerothOrderRow[] = [];
  for (const e of ESTIMATORS) {
    const rule = getRule(e.rule);
    for (const p of passes) {
      const ctx = (step: number) =>
        ruleContext({
          model,
          task,
          params,
          rule,
          options: e.options(p),
          rng: root.child('estimates').child(e.rule),
          dropout: root.child('dropout'),
          step,
        });
      const state = rule.init(ctx(-1));
      const q = estimateQuality(reference, (r) => rule.step(ctx(r), state, batch).updates, draws);
      rows.push({
        type: 'zeroth-order',
        estimator: e.estimator,
        rule: e.rule,
        options: e.options(p),
        samples: e.samples(p),
        forwardPasses: p,
        seed,
        ...q,
      });
      o.log?.(
        `${e.estimator.padEnd(30)} passes ${String(p).padStart(4)}  cosine ${q.cosine.toFixed(4)} ± ${q.cosineStd.toFixed(4)}  variance/‖g‖² ${q.relativeVariance.toPrecision(4)}`,
      );
    }
  }
  return rows;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  if (process.argv[2] !== 'estimates') {
    console.error(
      'usage: npx tsx experiments/evolution.ts estimates [--out dir] [--draws N] [--quick]\n(the training runs: npx tsx src/cli.ts run experiments/evolution.ts)',
    );
    process.exit(2);
  }
  await useBackendFromEnv();
  const quick = process.argv.includes('--quick');
  const out = arg('out') ?? 'results/evolution';
  const draws = Number(arg('draws') ?? (quick ? 4 : 16));
  mkdirSync(out, { recursive: true });
  console.log(
    `Zeroth-order estimates against the true gradient: MLP ${SMALL_MLP.sizes.join('-')} at init, one batch of 128 MNIST images, ${draws} draws per point`,
  );
  const rows = zerothOrderRows({ draws, passes: quick ? [2, 8, 32] : undefined, log: console.log });
  const file = join(out, 'zeroth-order.jsonl');
  writeFileSync(`${file}.tmp`, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  renameSync(`${file}.tmp`, file);
  console.log(`SPSA's theory for the variance: 2(d + 1)/passes with d = ${rows[0]?.parameters}. Rows written to ${file}.`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
