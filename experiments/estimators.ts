// Gradient estimators through stochastic binary units, compared: bias (vs the exact gradient of
// the expected loss, by enumeration) and variance per layer on a tiny net, and an MNIST run of
// a binary stochastic 784-200-200-10 net through the one training loop.
//   npx tsx experiments/estimators.ts                 bias/variance table → results/estimators/records.jsonl
//   npx tsx experiments/estimators.ts --mnist [--rule straight-through|reinforce|gumbel-softmax]
//        [--epochs N] [--train N] [--lr X] [--batch N] [--options '{"baseline":"learned","slope":4}']
//   Full protocol (20 epochs, Adam, cosine decay, batch 100; one run per rule):
//     npx tsx experiments/estimators.ts --mnist --rule straight-through --epochs 20
//     npx tsx experiments/estimators.ts --mnist --rule reinforce --options '{"baseline":"learned","slope":4}' --epochs 20
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gumbelSoftmax } from '../algorithms/gumbel-softmax.ts';
import { reinforce } from '../algorithms/reinforce.ts';
import { straightThrough } from '../algorithms/straight-through.ts';
import {
  buildModel,
  blobs,
  classification,
  exactExpectedGradient,
  fromArray,
  materialize,
  measureEstimator,
  rng,
  ruleContext,
  runSingleTrial,
  type AnyRule,
  type Batch,
  type EstimatorStats,
  type RuleOptions,
  type StochasticNet,
  type SummaryRecord,
  type Tensor,
  type TrialConfig,
  type TrialRecord,
} from '../src/index.ts';

export interface EstimatorSpec {
  estimator: string;
  rule: AnyRule;
  options: RuleOptions;
  temperature?: number;
  /** Steps run first so a moving or learned baseline has settled (its state is then frozen). */
  warmup?: number;
}

export const ESTIMATORS: EstimatorSpec[] = [
  { estimator: 'st-identity', rule: straightThrough as AnyRule, options: { variant: 'identity' } },
  { estimator: 'st-sigmoid-adjusted', rule: straightThrough as AnyRule, options: { variant: 'sigmoid-adjusted' } },
  { estimator: 'reinforce-no-baseline', rule: reinforce as AnyRule, options: { baseline: 'none' } },
  { estimator: 'reinforce-moving-average', rule: reinforce as AnyRule, options: { baseline: 'moving-average' }, warmup: 100 },
  { estimator: 'reinforce-learned', rule: reinforce as AnyRule, options: { baseline: 'learned' }, warmup: 400 },
  { estimator: 'reinforce-loo-4', rule: reinforce as AnyRule, options: { baseline: 'leave-one-out', samples: 4 } },
  ...[2, 1, 0.5, 0.25, 0.1].map((t) => ({
    estimator: 'gumbel-softmax',
    rule: gumbelSoftmax as AnyRule,
    options: { temperature: t },
    temperature: t,
  })),
  ...[1, 0.5].map((t) => ({
    estimator: 'gumbel-softmax-hard',
    rule: gumbelSoftmax as AnyRule,
    options: { temperature: t, hard: true },
    temperature: t,
  })),
];

/** A tiny enumerable net: 6 inputs, two stochastic hidden layers of 4 units (2⁸ configurations), 3 classes. */
export function tinyProblem(seed = 0, sizes = [6, 4, 4, 3], examples = 16) {
  const model = buildModel({ sizes, activation: 'sigmoid', init: 'xavierUniform' });
  const params = model.init(rng(seed).child('init'));
  // Larger weights than the default init, so units are far from σ = ½ and the estimators differ.
  for (const l of model.weightLayers())
    for (let k = 0; k < params[l.params.weight.index].size; k++) params[l.params.weight.index].data[k] *= 2;
  const classes = sizes[sizes.length - 1];
  const ds = blobs(examples, classes, sizes[0], 0.8, rng(seed).child('data'));
  const batch: Batch = { x: fromArray(ds.x, [ds.n, ds.features]), labels: ds.y, size: ds.n };
  const task = classification(classes);
  // Every hidden activation is a stochastic unit, as the rules' default `at: 'all'` makes it.
  const net: StochasticNet = { paths: model.activations().map((a) => a.path), slope: 1 };
  return { model, params, batch, task, net };
}

export type TinyProblem = ReturnType<typeof tinyProblem>;

/** A rule's update on the batch as an estimator: draw i uses the rule's stream for step i. */
export function ruleEstimator(p: TinyProblem, spec: EstimatorSpec, seed = 0): (i: number) => Tensor[] {
  const ctx = (step: number) =>
    ruleContext({
      model: p.model,
      task: p.task,
      params: p.params,
      rule: spec.rule,
      options: spec.options,
      rng: rng(seed).child('estimator'),
      dropout: rng(seed).child('dropout'),
      step,
    });
  let state = spec.rule.init(ctx(-1));
  // Warm-up draws come from streams no measured draw uses.
  for (let k = 0; k < (spec.warmup ?? 0); k++) state = spec.rule.step(ctx(-2 - k), state, p.batch).state;
  const frozen = state;
  return (i) => materialize(spec.rule.step(ctx(i), frozen, p.batch).updates);
}

export interface EstimatorRow {
  type: 'estimator';
  estimator: string;
  temperature?: number;
  layer: string;
  cosine: number;
  relError: number;
  variance: number;
  msPerSample: number;
  /** ‖mean − exact‖² and the part of it finite draws explain (variance / draws). */
  biasSq: number;
  noiseFloor: number;
  draws: number;
}

export function toRows(spec: EstimatorSpec, s: EstimatorStats): EstimatorRow[] {
  return [...s.layers, s.overall].map((l) => ({
    type: 'estimator' as const,
    estimator: spec.estimator,
    ...(spec.temperature !== undefined ? { temperature: spec.temperature } : {}),
    layer: l.layer,
    cosine: l.cosine,
    relError: l.relError,
    variance: l.variance,
    msPerSample: s.msPerSample,
    biasSq: l.biasSq,
    noiseFloor: l.noiseFloor,
    draws: s.draws,
  }));
}

/** Every estimator's bias and variance on the tiny net, against the enumerated exact gradient. */
export function estimatorTable(opts: { draws?: number; seed?: number; specs?: EstimatorSpec[] } = {}): {
  exactLoss: number;
  rows: EstimatorRow[];
} {
  const p = tinyProblem(opts.seed ?? 0);
  const exact = exactExpectedGradient(p.model, p.net, p.task, p.params, p.batch);
  const rows: EstimatorRow[] = [];
  for (const spec of opts.specs ?? ESTIMATORS) {
    const stats = measureEstimator(spec.estimator, p.model, exact.grads, ruleEstimator(p, spec, opts.seed ?? 0), opts.draws ?? 2000);
    rows.push(...toRows(spec, stats));
  }
  return { exactLoss: exact.loss, rows };
}

/** The MNIST protocol for a binary stochastic 784-200-200-10 net. */
export function mnistConfig(
  rule: string,
  options: RuleOptions,
  o: { epochs?: number; train?: number; lr?: number; batchSize?: number; seed?: number } = {},
): TrialConfig {
  const epochs = o.epochs ?? 20;
  const batchSize = o.batchSize ?? 100;
  const train = o.train ?? 60000;
  const steps = epochs * Math.ceil(train / batchSize);
  return {
    experiment: 'estimators-mnist',
    rule,
    options,
    seed: o.seed ?? 0,
    data: { name: 'mnist', ...(o.train ? { train: o.train } : {}) },
    // The model's own activation (σ) is what the plain forward uses; the rules replace it by
    // stochastic binary units in training and predict with σ(a) (their 'expected' mode).
    model: { sizes: [784, 200, 200, 10], activation: 'sigmoid', init: 'xavierUniform' },
    optimizer: { name: 'adam', lr: o.lr ?? 1e-3, schedule: { kind: 'cosine', totalSteps: steps, minLr: (o.lr ?? 1e-3) * 0.05 } },
    batchSize,
    epochs,
    maxSteps: 0,
    evalEvery: 0,
    alignSamples: 64,
    alignEvery: 0,
    memory: false,
    debug: false,
  };
}

const RULES: Record<string, AnyRule> = {
  'straight-through': straightThrough as AnyRule,
  reinforce: reinforce as AnyRule,
  'gumbel-softmax': gumbelSoftmax as AnyRule,
};

export function runMnist(
  rule: string,
  options: RuleOptions,
  o: Parameters<typeof mnistConfig>[2],
  emit: (r: TrialRecord) => void,
): SummaryRecord {
  const r = RULES[rule];
  if (!r) throw new Error(`unknown rule ${rule}; one of ${Object.keys(RULES).join(', ')}`);
  return runSingleTrial(mnistConfig(rule, options, o), r, { id: `estimators-mnist-${rule}`, onRecord: emit });
}

const RECORDS = 'results/estimators/records.jsonl';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main(): void {
  mkdirSync(dirname(RECORDS), { recursive: true });
  if (process.argv.includes('--mnist')) {
    const rule = arg('rule') ?? 'straight-through';
    const options = JSON.parse(arg('options') ?? '{}') as RuleOptions;
    const o = {
      epochs: arg('epochs') ? Number(arg('epochs')) : undefined,
      train: arg('train') ? Number(arg('train')) : undefined,
      lr: arg('lr') ? Number(arg('lr')) : undefined,
      batchSize: arg('batch') ? Number(arg('batch')) : undefined,
    };
    const out = 'results/estimators/mnist.jsonl';
    console.log(`MNIST binary stochastic 784-200-200-10, rule ${rule} ${JSON.stringify(options)} ${JSON.stringify(o)}`);
    const s = runMnist(rule, options, o, (r) => {
      appendFileSync(out, JSON.stringify(r) + '\n');
      if (r.type === 'eval')
        console.log(
          `epoch ${r.epoch} step ${r.step} trainLoss ${r.trainLoss.toFixed(4)} testAcc ${(100 * r.testAcc).toFixed(2)}% wall ${(r.host.wallMs / 1000).toFixed(0)}s`,
        );
    });
    console.log(
      `done: ${s.status} test accuracy ${(100 * s.finalTestAcc).toFixed(2)}% after ${s.epochs} epochs, ${s.steps} steps, ${(s.host.wallMs / 1000).toFixed(0)} s`,
    );
    return;
  }
  const draws = Number(arg('draws') ?? 2000);
  const { exactLoss, rows } = estimatorTable({ draws });
  const tmp = `${RECORDS}.tmp`;
  writeFileSync(tmp, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  renameSync(tmp, RECORDS);
  console.log(
    `Tiny net 6-4-4-3, 8 stochastic binary units, 16 examples; exact E[loss] = ${exactLoss.toFixed(4)}; ${draws} draws per estimator\n`,
  );
  const head = ['estimator', 'τ', 'layer', 'cosine', 'relError', 'variance', 'bias²/floor', 'ms/sample'];
  const w = [26, 5, 8, 8, 9, 11, 12, 10];
  console.log(head.map((h, i) => (i < 3 ? h.padEnd(w[i]) : h.padStart(w[i]))).join(''));
  for (const r of rows) {
    const cells = [
      r.estimator,
      r.temperature !== undefined ? String(r.temperature) : '',
      r.layer,
      r.cosine.toFixed(3),
      r.relError.toFixed(3),
      r.variance.toExponential(2),
      (r.biasSq / r.noiseFloor).toFixed(1),
      r.msPerSample.toFixed(3),
    ];
    console.log(cells.map((c, i) => (i < 3 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(''));
  }
  console.log(`\nbias²/floor ≈ 1 means the mean over draws is as close to the exact gradient as the draws' noise allows (unbiased);`);
  console.log(`≫ 1 means a bias. Rows written to ${RECORDS}.`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
