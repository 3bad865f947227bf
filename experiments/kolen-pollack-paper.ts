// Kolen-Pollack's paper protocol (Akrout et al. 2019, "Deep learning without weight transport"), as
// the authors' released MNIST runs ran it (makrout/Deep-Learning-without-Weight-Transport:
// experiments/mnist/{bp,fa,kp}-V0/experiment_config.txt and log.txt, fcnn/FCNN_*.py, main.py):
// 784-500-10 with sigmoid units, pixels in [0, 1], plain SGD on the batch mean at rate 0.2 (BP,
// FA) or 0.3 (KP, no decay: the rule's preset 'paper'), batch 128, 400 epochs, the test accuracy
// after the last epoch. Their logs end at 98.5% (BP), 97.8% (FA) and 98.45% (KP), one seed (1111):
// the references beside our rows. What differs here, and the report's protocol column does not
// show: their output layer is sigmoid units under a per-class binary cross-entropy (ours: softmax
// cross-entropy), their weights are drawn N(0, 1/(fan-in + fan-out)) (ours: Xavier normal, variance
// twice that), their batches come in the same order every epoch and drop the last 96 images (ours:
// reshuffled, all images), and their bias step is the weights' divided once more by the batch size.
//   npx tsx src/cli.ts run experiments/kolen-pollack-paper.ts [--quick]          (hours on 2 cores; shard with --shard i/n)
import { defineExperiment, type Reference } from '../src/index.ts';

const EPOCHS = 400;

const released = (rule: string, value: number, lr: number): Reference => ({
  source: 'Akrout et al. 2019, the authors’ released runs (makrout/Deep-Learning-without-Weight-Transport)',
  location: `experiments/mnist/${rule === 'backprop' ? 'bp' : rule === 'kolen-pollack' ? 'kp' : 'fa'}-V0/log.txt, the last epoch`,
  rule,
  ...(rule === 'feedback-alignment' ? { options: { variant: 'fa' } } : {}),
  dataset: 'mnist',
  metric: 'accuracy %',
  value,
  protocol: {
    architecture: { name: 'MLP', hidden: [500], activation: 'sigmoid' },
    epochs: EPOCHS,
    split: { train: 60_000, test: 10_000 },
    regularization: {},
    evaluation: 'test',
  },
  note: `plain SGD at ${lr}, batch 128, sigmoid outputs with binary cross-entropy, one seed`,
});

export default defineExperiment({
  name: 'kolen-pollack-paper',
  description: `Akrout et al.'s released MNIST runs: 784-500-10 sigmoid, plain SGD (BP and FA at 0.2, KP at 0.3 without decay), batch 128, ${EPOCHS} epochs.`,
  data: { name: 'mnist' },
  model: { sizes: [784, 500, 10], activation: 'sigmoid', init: 'xavierNormal' },
  optimizer: { name: 'sgd', lr: 0.2 },
  rules: [
    { rule: 'backprop', optimizer: { name: 'sgd', lr: 0.2 } },
    { rule: 'feedback-alignment', options: { variant: 'fa' }, optimizer: { name: 'sgd', lr: 0.2 } },
    { rule: 'kolen-pollack', preset: 'paper' },
  ],
  seeds: [0],
  epochs: EPOCHS,
  batchSize: 128,
  alignEvery: 500,
  references: [released('backprop', 98.5, 0.2), released('feedback-alignment', 97.8, 0.2), released('kolen-pollack', 98.45, 0.3)],
  // --quick: 10,000 training images and 2,000 test images, 3 epochs (237 steps) at the protocol's rates.
  quick: {
    description: '--quick: 10,000 MNIST training images, 2,000 test images, 3 epochs at the protocol’s rates.',
    data: { name: 'mnist', train: 10_000, test: 2000 },
    epochs: 3,
    evalEvery: 40,
    alignEvery: 40,
  },
});
