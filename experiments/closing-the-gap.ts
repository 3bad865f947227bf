// Closing the gap to backprop (issue 19): BP, FA, uSF, Kolen-Pollack, weight mirroring, forward
// gradients (weights; activities with local losses), PEPITA and difference target propagation on
// one network, 3 seeds, with accuracy, alignment with backprop over training, memory against
// inference and time per step. The network is the MNIST MLP (784-256-256-10 ReLU) or, with
// GAP_MODEL=conv, LeNet-5's layers on MNIST's 28×28 images (conv 6@5×5, pool, conv 16@5×5, pool,
// 120, 84, 10: 16·4·4 features into the first dense layer where BioTorch's 32×32 inputs give 16·5·5):
//   rulebench run experiments/closing-the-gap.ts [--quick]
//   GAP_MODEL=conv rulebench run experiments/closing-the-gap.ts [--quick]
import { defineExperiment, type LayerSpec, type ModelSpec } from '../src/index.ts';
import { BIOTORCH_MNIST } from './mnist-rules.ts';

const conv = process.env.GAP_MODEL === 'conv';

const LENET_28: LayerSpec[] = [
  { type: 'conv2d', channels: 6, kernel: 5, name: 'conv1' },
  { type: 'activation', fn: 'relu', name: 'act1' },
  { type: 'maxPool2d', kernel: 2, name: 'pool1' },
  { type: 'conv2d', channels: 16, kernel: 5, name: 'conv2' },
  { type: 'activation', fn: 'relu', name: 'act2' },
  { type: 'maxPool2d', kernel: 2, name: 'pool2' },
  { type: 'flatten', name: 'flatten' },
  { type: 'dense', units: 120, name: 'fc1' },
  { type: 'activation', fn: 'relu', name: 'act3' },
  { type: 'dense', units: 84, name: 'fc2' },
  { type: 'activation', fn: 'relu', name: 'act4' },
  { type: 'dense', units: 10, name: 'fc3' },
];

const model: ModelSpec = conv
  ? { layers: LENET_28, init: 'heUniform' }
  : { sizes: [784, 256, 256, 10], activation: 'relu', init: 'heUniform' };

// 55,000 training images / 128 = 430 steps per epoch.
const EPOCHS = 5;
const LR = 1e-3;
// B − W shrinks by LR·KP_DECAY per step: e⁻² over the 2,150 steps of the full run.
const KP_DECAY = 1;

export default defineExperiment({
  name: conv ? 'closing-the-gap-lenet' : 'closing-the-gap',
  description:
    `BP, FA, uSF, Kolen-Pollack, weight mirroring, forward gradients, PEPITA and DTP on MNIST (${conv ? 'LeNet-5 layers on 28×28' : '784-256-256-10 ReLU'}), ` +
    `Adam ${LR} (every rule), ${EPOCHS} epochs, 3 seeds; alignment with backprop every 50 steps.`,
  data: { name: 'mnist', validation: 5000 },
  model,
  optimizer: { name: 'adam', lr: LR },
  rules: [
    'backprop',
    { rule: 'feedback-alignment', grid: { variant: ['fa', 'usf'] } },
    // KP needs weight decay on W and B alike; inside Adam's normalized step an L2 term hardly acts,
    // so KP runs with AdamW (the same Adam, decay decoupled), which makes its B take exactly W's steps.
    {
      rule: 'kolen-pollack',
      options: { lr: LR, decay: KP_DECAY, coupled: false },
      optimizer: { name: 'adamw', lr: LR, weightDecay: KP_DECAY },
    },
    'weight-mirroring',
    { rule: 'forward-gradient', grid: { perturb: ['weights', 'activities'] } },
    'pepita',
    'target-propagation',
  ],
  seeds: [0, 1, 2],
  epochs: EPOCHS,
  batchSize: 128,
  alignEvery: 50,
  memory: true,
  // Context: BioTorch's LeNet figures (100 epochs, SGD); none shares this run's protocol, and the report says how each differs.
  references: BIOTORCH_MNIST,
  // --quick: a few minutes on 2 cores (the conv net's kernels cost more per image, so it sees fewer).
  quick: { data: { name: 'mnist', train: conv ? 4000 : 10000, test: 2000, validation: 500 }, epochs: 2, seeds: [0], alignEvery: 10 },
});
