// FA and DFA as in their papers' MNIST setups: tanh hidden units (Lillicrap et al. 2016 and
// Nøkland 2016 used tanh), otherwise the mnist-rules protocol.
import { defineExperiment } from '../src/index.ts';
import base from './mnist-rules.ts';

export default defineExperiment({
  ...base,
  name: 'mnist-fa-dfa-tanh',
  description: 'FA and DFA on MNIST with tanh hidden units (784-256-256-10, Xavier init, Adam 1e-3 cosine-decayed), 10 epochs.',
  model: { sizes: [784, 256, 256, 10], activation: 'tanh', init: 'xavierUniform' },
  rules: ['backprop', 'feedback-alignment', 'direct-feedback-alignment'],
});
