// Binary stochastic networks on MNIST (784-200-200-10, two stochastic hidden layers), trained by
// straight-through (sigmoid-adjusted) and REINFORCE with a learned input-dependent baseline.
import { defineExperiment } from '../src/index.ts';

export default defineExperiment({
  name: 'stochastic-mnist',
  description: 'Binary stochastic 784-200-200-10 on MNIST: straight-through vs REINFORCE (learned baseline), Adam 2e-3 cosine, 20 epochs.',
  data: { name: 'mnist', validation: 5000 },
  model: { sizes: [784, 200, 200, 10], activation: 'sigmoid', init: 'xavierUniform' },
  // 550 steps per epoch × 20 epochs; the rate decays to 5% of its peak.
  optimizer: { name: 'adam', lr: 2e-3, schedule: { kind: 'cosine', totalSteps: 11000, minLr: 1e-4 } },
  rules: [
    { rule: 'straight-through', options: { variant: 'sigmoid-adjusted' } },
    { rule: 'reinforce', options: { baseline: 'learned', slope: 4 } },
  ],
  seeds: [0],
  epochs: 20,
  batchSize: 100,
  memory: true,
  // --quick: 3,500 training images (500 held out), 2,000 test images, 2 epochs (70 steps), the
  // cosine decay over those steps.
  quick: {
    data: { name: 'mnist', train: 4000, test: 2000, validation: 500 },
    epochs: 2,
    optimizer: { name: 'adam', lr: 2e-3, schedule: { kind: 'cosine', totalSteps: 70, minLr: 1e-4 } },
  },
});
