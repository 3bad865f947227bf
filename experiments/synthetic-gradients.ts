// Synthetic gradients on MNIST: DNI and cDNI (Jaderberg et al. 2017) beside backprop.
// No published figure is declared: the paper's MNIST figures (its Table 1: Bprop, DNI and cDNI
// test error for FCNs and CNNs of several depths) and the protocol they were measured under were
// not read in a source here (searches of stored copies of the paper returned its abstract and
// appendix, never the table; koz4k/dni-pytorch's MNIST examples state no figures), and a figure
// not read in its source has no place.
import { defineExperiment } from '../src/index.ts';

export default defineExperiment({
  name: 'synthetic-gradients',
  description: 'DNI and cDNI on MNIST (784-256-256-10 ReLU, Adam 1e-3, batch 128), 10 epochs.',
  data: { name: 'mnist', validation: 5000 },
  model: { sizes: [784, 256, 256, 10], activation: 'relu', init: 'heUniform' },
  optimizer: { name: 'adam', lr: 1e-3 },
  rules: ['backprop', { rule: 'synthetic-gradients', grid: { conditioned: [false, true] } }],
  seeds: [0],
  epochs: 10,
  batchSize: 128,
  alignEvery: 100,
  memory: true,
  // --quick: 3,500 training images (500 held out), 2,000 test images, 2 epochs (56 steps).
  quick: { data: { name: 'mnist', train: 4000, test: 2000, validation: 500 }, epochs: 2, alignEvery: 10 },
});
