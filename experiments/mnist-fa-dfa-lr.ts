// FA and DFA on the mnist-rules protocol with a larger peak learning rate (Adam 3e-3, cosine):
// feedback-driven updates are less aligned than BP's, so they gain from bigger steps early.
import { defineExperiment } from '../src/index.ts';
import base from './mnist-rules.ts';

export default defineExperiment({
  ...base,
  name: 'mnist-fa-dfa-lr',
  description: 'FA and DFA on MNIST (784-256-256-10 ReLU), Adam 3e-3 cosine-decayed, 10 epochs, seed 0.',
  optimizer: { name: 'adam', lr: 3e-3, schedule: { kind: 'cosine', totalSteps: 4300 } },
  rules: ['feedback-alignment', 'direct-feedback-alignment'],
  // --quick: mnist-rules' quick run at this rate.
  quick: { ...base.quick, optimizer: { name: 'adam', lr: 3e-3, schedule: { kind: 'cosine', totalSteps: 56 } } },
});
