// The backprop baseline on full MNIST and Fashion-MNIST: 784-256-256-10, ReLU, Adam, 10 epochs.
// Run one dataset with: rulebench run experiments/bp-baseline.ts  (MNIST)
//                   or: BP_DATASET=fashion-mnist rulebench run experiments/bp-baseline.ts
import { defineExperiment } from '../src/index.ts';

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
  references: dataset === 'mnist'
    ? [{ source: 'Sanfiz & Akrout 2021 (BioTorch), LeNet', dataset: 'mnist', metric: 'test error %', value: 0.91, rule: 'backprop' }]
    : [],
});
