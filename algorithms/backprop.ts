// Backpropagation: the true gradient of the task loss through the core autograd.
import { defineRule, valueAndGrad, type Tensor } from '../src/index.ts';

export const backprop = defineRule({
  id: 'backprop',
  description: 'True gradients by reverse-mode autograd (the reference every other rule is measured against).',
  defaults: {},
  init: () => null,
  step(ctx, state, batch) {
    const fwd = { training: true, rng: ctx.rng.child(ctx.step) };
    const { value, grads } = valueAndGrad((p: Tensor[]) => ctx.task.loss(ctx.model.forward(p, batch.x, fwd).out, batch))([...ctx.params]);
    return { updates: grads, state, loss: value.item(), metrics: {} };
  },
});
