// Forward-forward on MNIST. Default: 784-500-500, 10 epochs. FF_PROTOCOL=hinton runs Hinton's
// full protocol (4×2000 ReLU, 60 epochs, goodness from layer 1 up): very long on 2 cores.
import { defineExperiment, type Reference } from '../src/index.ts';

/** Published forward-forward figures on MNIST, with what their sources state of the protocol. */
export const FORWARD_FORWARD_FIGURES: Reference[] = [
  {
    source: 'Hinton 2022, The Forward-Forward Algorithm',
    location: 'section 3.3, "A simple supervised example of FF"',
    rule: 'forward-forward',
    dataset: 'mnist',
    metric: 'error %',
    value: 1.36,
    protocol: {
      architecture: { name: 'MLP', hidden: [2000, 2000, 2000, 2000], activation: 'relu' },
      epochs: 60,
      split: null,
      regularization: null,
      evaluation: 'test',
    },
  },
  {
    source: 'loeweX/Forward-Forward (a reimplementation of Hinton 2022)',
    location: 'README.md, Results table ("This Repo"); config.yaml; src/utils.py (data split)',
    rule: 'forward-forward',
    dataset: 'mnist',
    metric: 'error %',
    value: 1.45,
    protocol: {
      architecture: { name: 'MLP', hidden: [1000, 1000, 1000], activation: 'relu' },
      epochs: 100,
      split: { train: 50_000, validation: 10_000, test: 10_000 },
      regularization: { weightDecay: 3e-4, other: 'peer normalization 0.03' },
      evaluation: 'test',
    },
    note: 'SGD momentum 0.9, batch 100, rate cooled linearly over the second half',
  },
];

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
  references: FORWARD_FORWARD_FIGURES,
  // --quick: 4,000 training images, 2,000 test images, 2 epochs (80 steps).
  quick: { data: { name: 'mnist', train: 4000, test: 2000 }, epochs: 2 },
});
