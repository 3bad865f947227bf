// Forward gradients with weight perturbation under Baydin et al. 2022's MNIST protocol: the rule's
// preset 'paper' (read in the paper's §5: plain SGD, rate η₀ = 2·10⁻⁴ decaying as η₀·e^(−k·step)
// with k = 10⁻⁴, batch 64, one Gaussian direction per step). The network is 784-1024-1024-10 ReLU,
// as the reproduction benjaminrike1/forward_gradient builds "the paper's" MNIST MLP (models.py,
// Net); the paper's own §5 text giving the widths was not read here. The paper reports loss curves
// and run times, not a test error, so no published figure sits beside this run. Ours: the epoch
// count (10: the rate has decayed to e^(−0.94) by the end), Xavier-uniform weights, the 60,000
// training images with none held out.
//   npx tsx src/cli.ts run experiments/forward-gradient-baydin.ts [--quick]    (hours on 2 cores; --resume continues)
import { defineExperiment } from '../src/index.ts';

export default defineExperiment({
  name: 'forward-gradient-baydin',
  description:
    "Forward gradients (weights) under Baydin et al.'s MNIST protocol: 784-1024-1024-10 ReLU, plain SGD 2e-4 decaying as e^(−1e-4·step), batch 64, 10 epochs.",
  data: { name: 'mnist' },
  model: { sizes: [784, 1024, 1024, 10], activation: 'relu', init: 'xavierUniform' },
  // The preset's optimizer is the one the trial runs; this one is the experiment's default for other entries.
  optimizer: { name: 'sgd', lr: 2e-4, schedule: { kind: 'step', every: 1, gamma: Math.exp(-1e-4) } },
  rules: [{ rule: 'forward-gradient', preset: 'paper' }],
  seeds: [0],
  epochs: 10,
  batchSize: 64,
  alignEvery: 2000,
  // --quick: 4,000 training images, 2,000 test images, 2 epochs (126 steps).
  quick: { data: { name: 'mnist', train: 4000, test: 2000 }, epochs: 2, alignEvery: 40 },
});
