// Issue-4 protocol: backprop, feedback alignment and its sign-symmetric variants, and DFA on
// full MNIST with one seed and 10 epochs, alignment with BP measured throughout.
import { defineExperiment } from '../src/index.ts';

export default defineExperiment({
  name: 'mnist-rules',
  description: 'BP, FA, uSF, brSF, frSF and DFA on MNIST (784-256-256-10, ReLU, Adam 1e-3 cosine-decayed), 10 epochs, seed 0.',
  data: { name: 'mnist', validation: 5000 },
  model: { sizes: [784, 256, 256, 10], activation: 'relu', init: 'heUniform' },
  // 55,000 training images / 128 = 430 steps per epoch; the rate decays to 0 over 10 epochs.
  optimizer: { name: 'adam', lr: 1e-3, schedule: { kind: 'cosine', totalSteps: 4300 } },
  rules: [
    'backprop',
    { rule: 'feedback-alignment', grid: { variant: ['fa', 'usf', 'brsf', 'frsf'] } },
    'direct-feedback-alignment',
  ],
  seeds: [0],
  epochs: 10,
  batchSize: 128,
  alignEvery: 100,
  memory: true,
  references: [
    { source: 'Nøkland 2016 (with dropout)', dataset: 'mnist', metric: 'test error %', value: 1.45, rule: 'direct-feedback-alignment' },
    { source: 'Sanfiz & Akrout 2021 (BioTorch), LeNet', dataset: 'mnist', metric: 'test error %', value: 0.91, rule: 'backprop' },
    { source: 'Sanfiz & Akrout 2021 (BioTorch), LeNet', dataset: 'mnist', metric: 'test error %', value: 1.7, rule: 'feedback-alignment' },
    { source: 'Sanfiz & Akrout 2021 (BioTorch), LeNet', dataset: 'mnist', metric: 'test error %', value: 1.61, rule: 'direct-feedback-alignment' },
  ],
});
