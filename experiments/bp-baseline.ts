// The backprop baseline on full MNIST and Fashion-MNIST: 784-256-256-10, ReLU, Adam, 10 epochs.
// Run one dataset with: rulebench run experiments/bp-baseline.ts  (MNIST)
//                   or: BP_DATASET=fashion-mnist rulebench run experiments/bp-baseline.ts
import { defineExperiment, type Reference } from '../src/index.ts';
import { BIOTORCH_FASHION_MNIST, BIOTORCH_MNIST } from './mnist-rules.ts';

/** A submitted benchmark in Fashion-MNIST's own README; the row states the layers and "no preprocessing" only. */
const FASHION_MNIST_MLP: Reference = {
  source: 'Xiao, Rasul & Vollgraf 2017, Fashion-MNIST README (benchmark submitted by @heitorrapela)',
  location: 'README.md, Benchmark table, row "MLP 256-128-100"',
  rule: 'backprop',
  dataset: 'fashion-mnist',
  metric: 'accuracy %',
  value: 88.33,
  protocol: {
    architecture: { name: 'MLP', hidden: [256, 128, 100] },
    epochs: null,
    split: { test: 10_000 },
    regularization: null,
    evaluation: 'test',
  },
};

const dataset = process.env.BP_DATASET === 'fashion-mnist' ? 'fashion-mnist' : 'mnist';

export default defineExperiment({
  name: `bp-baseline-${dataset}`,
  description: `Backprop baseline on full ${dataset}: 784-256-256-10 ReLU MLP, Adam 1e-3 with cosine decay, batch 128, 10 epochs.`,
  data: { name: dataset, validation: 5000 },
  model: { sizes: [784, 256, 256, 10], activation: 'relu', init: 'heUniform' },
  // 55,000 training images / 128 = 430 steps per epoch; the rate decays to 0 over 10 epochs.
  optimizer: { name: 'adam', lr: 1e-3, schedule: { kind: 'cosine', totalSteps: 4300 } },
  rules: ['backprop'],
  seeds: [0],
  epochs: 10,
  batchSize: 128,
  alignEvery: 0,
  memory: true,
  references: (dataset === 'mnist' ? BIOTORCH_MNIST : [...BIOTORCH_FASHION_MNIST, FASHION_MNIST_MLP]).filter((r) => r.rule === 'backprop'),
  // --quick: 3,500 training images (500 held out), 2,000 test images, 2 epochs (56 steps), the
  // cosine decay over those steps.
  quick: {
    data: { name: dataset, train: 4000, test: 2000, validation: 500 },
    epochs: 2,
    optimizer: { name: 'adam', lr: 1e-3, schedule: { kind: 'cosine', totalSteps: 56 } },
  },
});
