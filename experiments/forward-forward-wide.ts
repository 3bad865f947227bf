// Forward-forward on MNIST with wider layers and a decaying rate: 784-1000-1000 ReLU,
// Adam 3e-3 cosine-decayed over 10 epochs (600 steps each at batch 100).
import { defineExperiment } from '../src/index.ts';
import base from './forward-forward.ts';

export default defineExperiment({
  ...base,
  name: 'forward-forward-wide',
  description: 'Forward-forward on MNIST: 784-1000-1000 ReLU, Adam 3e-3 cosine-decayed, batch 100, 10 epochs.',
  model: { sizes: [784, 1000, 1000, 10], activation: 'relu', init: 'heUniform' },
  optimizer: { name: 'adam', lr: 3e-3, schedule: { kind: 'cosine', totalSteps: 6000 } },
  epochs: 10,
  // --quick: forward-forward's quick run (80 steps) with the cosine decay over those steps.
  quick: { ...base.quick, optimizer: { name: 'adam', lr: 3e-3, schedule: { kind: 'cosine', totalSteps: 80 } } },
});
