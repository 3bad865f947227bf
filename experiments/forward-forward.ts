// Forward-forward on MNIST. Default: 784-500-500, 10 epochs. FF_PROTOCOL=hinton runs Hinton's
// full protocol (4×2000 ReLU, 60 epochs, goodness from layer 1 up): very long on 2 cores.
import { defineExperiment } from '../src/index.ts';

const hinton = process.env.FF_PROTOCOL === 'hinton';

export default defineExperiment({
  name: hinton ? 'forward-forward-hinton' : 'forward-forward',
  description: hinton
    ? "Hinton's forward-forward protocol: 784-2000×4 ReLU, Adam 1e-3, batch 100, 60 epochs."
    : 'Forward-forward on MNIST: 784-500-500 ReLU, Adam 3e-3, batch 100, 10 epochs.',
  data: { name: 'mnist' },
  model: hinton
    ? { sizes: [784, 2000, 2000, 2000, 2000, 10], activation: 'relu', init: 'heUniform' }
    : { sizes: [784, 500, 500, 10], activation: 'relu', init: 'heUniform' },
  optimizer: { name: 'adam', lr: hinton ? 1e-3 : 3e-3 },
  rules: [{ rule: 'forward-forward', options: hinton ? { predictFrom: 1 } : {} }],
  seeds: [0],
  epochs: hinton ? 60 : 10,
  batchSize: 100,
  memory: true,
  references: [
    { source: 'Hinton 2022, 4×2000 ReLU, 60 epochs', dataset: 'mnist', metric: 'test error %', value: 1.36, rule: 'forward-forward' },
    { source: 'loeweX/Forward-Forward, 3×1000, 100 epochs', dataset: 'mnist', metric: 'test error %', value: 1.45, rule: 'forward-forward' },
  ],
});
