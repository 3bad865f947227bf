// Predictive coding on a small conv net beside backprop (MNIST): value nodes after each conv and
// dense segment (conv, ReLU, pool). Equilibrium propagation has no convolutional energy here and
// refuses this model before training, so it is not in the list.
//   npx tsx src/cli.ts run experiments/energy-based-conv.ts --out results/energy-based-conv
import { defineExperiment } from '../src/index.ts';

export default defineExperiment({
  name: 'energy-based-conv',
  description:
    'Backprop and predictive coding (T = 20, β = 1 and 0.1) on MNIST (10k images), conv 8@5×5-pool-conv 16@5×5-pool-dense 10, Adam 1e-3, batch 64, 2 epochs, 2 seeds.',
  data: { name: 'mnist', train: 10000, validation: 1000 },
  model: {
    layers: [
      { type: 'conv2d', channels: 8, kernel: 5, name: 'conv1' },
      'relu',
      { type: 'maxPool2d', kernel: 2 },
      { type: 'conv2d', channels: 16, kernel: 5, name: 'conv2' },
      'relu',
      { type: 'maxPool2d', kernel: 2 },
      'flatten',
      { type: 'dense', units: 10, name: 'fc' },
    ],
    init: 'heUniform',
  },
  optimizer: { name: 'adam', lr: 1e-3 },
  rules: ['backprop', { rule: 'predictive-coding', grid: { beta: [1, 0.1] } }],
  seeds: [0, 1],
  epochs: 2,
  batchSize: 64,
  alignEvery: 50,
  memory: true,
  // --quick: 3,500 training images (500 held out), 1,000 test images, 1 epoch (55 steps), 1 seed.
  quick: { data: { name: 'mnist', train: 4000, test: 1000, validation: 500 }, epochs: 1, seeds: [0], alignEvery: 10 },
});
