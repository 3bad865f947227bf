// The zeroth-order rules trained on the classification error itself — a piecewise-constant
// objective without a gradient — on the small MLP of experiments/evolution.ts. Backprop is
// listed last to show that it cannot run on it: its trials fail with the task's error.
//   npx tsx src/cli.ts run experiments/evolution-error.ts --out results/evolution-error
import { defineExperiment } from '../src/index.ts';
import { DATA, PASSES, SMALL_MLP, zerothOrderEntries } from './evolution.ts';

export default defineExperiment({
  name: 'evolution-error',
  description: `ES, CMA-ES and MeZO minimizing MNIST classification error directly (not differentiable), MLP 784-32-10, ${PASSES} forward passes per step; backprop fails on it. 3 epochs, 3 seeds.`,
  data: DATA,
  task: 'classification-error',
  model: SMALL_MLP,
  optimizer: { name: 'adam', lr: 1e-3 },
  // MeZO's ε = 1e-3 rarely flips a prediction, so its loss differences are mostly 0 on a
  // piecewise-constant objective; it gets the perturbation size the other two search with.
  rules: [...zerothOrderEntries(PASSES, { mezoEps: 0.01 }), 'backprop'],
  seeds: [0, 1, 2],
  epochs: 3,
  batchSize: 128,
  evalEvery: 50,
  memory: true,
  quick: { data: { name: 'mnist', train: 4000, test: 2000, validation: 500 }, epochs: 1, seeds: [0], evalEvery: 10 },
});
