// PEPITA's paper protocol (Dellaferrera & Kreiman 2022), as the authors' code runs it
// (GiorgiaD/PEPITA, Tutorial_PEPITA_FullyConnectedNets_CIFAR-10.ipynb, whose "settings and results
// are the same as reported in the paper", its README says): one hidden layer of 1024 ReLU units,
// no biases, He-uniform weights (±√(6/fan-in)), dropout keeping 90% of the hidden units (the same
// mask in both passes), pixels in [0, 1], F uniform on ±0.05·√(6/inputs), SGD with momentum 0.9 at
// rate 0.01, ×0.1 at epochs 60 and 90, batch 64, 100 epochs, the test accuracy after the last
// epoch: the rule's preset 'paper', and backprop beside it under the same optimizer.
// The published figure read in that source is CIFAR-10's: the notebook's printed run ends at 52.58%
// test accuracy (epoch 99 of 0–99). On MNIST (the default here; the notebook notes the input size
// to change for it) no figure was read in a source: that run shows the CIFAR-10 figure, marked as
// another dataset's. The authors' numpy code runs MNIST at η 0.1 (its README's command); this
// experiment keeps the notebook's 0.01 for both datasets.
//   npx tsx src/cli.ts run experiments/pepita-paper.ts [--quick]                 (MNIST; hours on 2 cores)
//   PEPITA_CIFAR10=<dir with data_batch_1..5.bin, test_batch.bin> npx tsx src/cli.ts run experiments/pepita-paper.ts
import { defineExperiment, type LayerSpec, type OptimizerSpec, type Reference } from '../src/index.ts';

const cifarDir = process.env.PEPITA_CIFAR10;
if (cifarDir === '') throw new Error('PEPITA_CIFAR10: expected the directory holding CIFAR-10’s binary batches');
const dataset = cifarDir ? 'cifar10' : 'mnist';
const EPOCHS = 100;
const BATCH = 64;
const stepsPerEpoch = Math.ceil((cifarDir ? 50_000 : 60_000) / BATCH);
// The notebook's optimizer (also the rule's preset 'paper'), given here so backprop runs under it too.
const optimizer: OptimizerSpec = {
  name: 'momentum',
  lr: 0.01,
  momentum: 0.9,
  schedule: { kind: 'multistep', milestones: [60 * stepsPerEpoch, 90 * stepsPerEpoch], gamma: 0.1 },
};

const PEPITA_CIFAR10: Reference = {
  source: 'Dellaferrera & Kreiman 2022, the authors’ code (GiorgiaD/PEPITA)',
  location: 'Tutorial_PEPITA_FullyConnectedNets_CIFAR-10.ipynb, the printed output of its training cell (epoch 99)',
  rule: 'pepita',
  dataset: 'cifar10',
  metric: 'accuracy %',
  value: 52.58,
  protocol: {
    architecture: { name: 'MLP', hidden: [1024], activation: 'relu' },
    epochs: EPOCHS,
    split: { train: 50_000, test: 10_000 },
    regularization: { dropout: 0.1 },
    evaluation: 'test',
  },
  note: 'no biases, He-uniform init, SGD momentum 0.9 at 0.01 (×0.1 at epochs 60 and 90), batch 64, one seed',
};

const layers: LayerSpec[] = [
  { type: 'flatten', name: 'flatten' },
  { type: 'dense', units: 1024, bias: false, name: 'fc1' },
  { type: 'activation', fn: 'relu', name: 'act1' },
  { type: 'dropout', p: 0.1, name: 'drop1' },
  { type: 'dense', units: 10, bias: false, name: 'fc2' },
];

export default defineExperiment({
  name: `pepita-paper-${dataset}`,
  description: `PEPITA's paper protocol on ${dataset}: 1024 ReLU units (no biases, dropout 0.1), SGD momentum 0.9 at 0.01, ×0.1 at epochs 60 and 90, batch 64, ${EPOCHS} epochs; backprop under the same optimizer.`,
  data: cifarDir ? { name: 'cifar10', dir: cifarDir } : { name: 'mnist' },
  model: { layers, init: 'heUniform' },
  optimizer,
  rules: [
    { rule: 'backprop', optimizer },
    { rule: 'pepita', preset: 'paper' },
  ],
  seeds: [0],
  epochs: EPOCHS,
  batchSize: BATCH,
  alignEvery: 500,
  // On MNIST runs the report shows it as a figure of another dataset (the only one read).
  references: [PEPITA_CIFAR10],
  // --quick: 6,000 training images and 2,000 test images, 3 epochs (282 steps) at the protocol's
  // rate, evaluated every 47 steps (no decay falls in so short a run).
  quick: {
    description: `--quick: 6,000 ${dataset} training images, 2,000 test images, 3 epochs at the protocol's rate.`,
    data: cifarDir ? { name: 'cifar10', dir: cifarDir, train: 6000, test: 2000 } : { name: 'mnist', train: 6000, test: 2000 },
    epochs: 3,
    evalEvery: 47,
    alignEvery: 47,
  },
});
