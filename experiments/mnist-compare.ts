// The default experiment: every built-in rule on real MNIST, 3 seeds, one shared MLP and
// optimizer, alignment with backprop and memory measured throughout.
import { defineExperiment } from '../src/index.ts';

export default defineExperiment({
  name: 'mnist-compare',
  description: 'Backprop and its rivals on MNIST (784-256-256-10, ReLU, Adam), 3 seeds.',
  data: { name: 'mnist', validation: 5000 },
  model: { sizes: [784, 256, 256, 10], activation: 'relu', init: 'heUniform' },
  optimizer: { name: 'adam', lr: 1e-3 },
  rules: [
    'backprop',
    { rule: 'feedback-alignment', grid: { variant: ['fa', 'usf', 'frsf'] } },
    'direct-feedback-alignment',
  ],
  seeds: [0, 1, 2],
  epochs: 2,
  batchSize: 128,
  alignEvery: 50,
  memory: true,
  quick: { data: { name: 'mnist', train: 6000, test: 2000, validation: 1000 }, epochs: 2, alignEvery: 10 },
});
