// Direct feedback alignment (Nøkland 2016): the output error e = ∂L/∂out is sent straight to
// every hidden layer through its own fixed random matrix Bᵢ; the layer then learns locally
// from the delivered signal (e·Bᵢ) ⊙ f′(zᵢ). The output layer learns from its true gradient.
import {
  add, defineRule, initByName, matmul, mul, noGrad, stopGradient, sum, valueAndGrad, type Block, type Tensor,
} from '../src/index.ts';

interface DfaState {
  /** Per hidden block: B [outputs, units]; null for the output block. */
  feedback: Array<Tensor | null>;
}

export const directFeedbackAlignment = defineRule({
  id: 'direct-feedback-alignment',
  description: 'The output error is projected to every hidden layer through its own fixed random matrix.',
  defaults: { init: 'xavierUniform', scale: 1 },
  choices: { init: ['xavierUniform', 'xavierNormal', 'heUniform', 'heNormal'] },
  references: [
    { source: 'Nøkland 2016', dataset: 'mnist', metric: 'test error %', value: 1.45, note: 'DFA with dropout' },
    { source: 'Sanfiz & Akrout 2021 (BioTorch), LeNet', dataset: 'mnist', metric: 'test error %', value: 1.61, note: 'DFA' },
  ],
  init(ctx): DfaState {
    const rng = ctx.rng.child('feedback');
    const draw = initByName(ctx.options.init);
    const outputs = ctx.model.outputSize;
    return {
      feedback: ctx.model.blocks.map((b) => {
        if (!b.hidden) return null;
        const B = draw([outputs, b.outFeatures], rng.child(b.name));
        for (let i = 0; i < B.size; i++) B.data[i] *= ctx.options.scale;
        return B;
      }),
    };
  },
  step(ctx, state, batch) {
    const rng = ctx.rng.child(ctx.step);
    // Blocks are detached from each other: each learns only from what is delivered to it.
    const fwd = { training: true, rng: rng.child('dropout'), input: (_b: Block, h: Tensor) => stopGradient(h) };
    const { grads, aux } = valueAndGrad((p: Tensor[]) => {
      const r = ctx.model.forward(p, batch.x, fwd);
      const loss = ctx.task.loss(r.out, batch);
      const e = valueAndGrad((o: Tensor) => ctx.task.loss(o, batch))(stopGradient(r.out)).grads;
      // Surrogate: its gradient w.r.t. block i's parameters is the local VJP of e·Bᵢ.
      let total = loss;
      r.post.forEach((a, i) => {
        const B = state.feedback[i];
        if (!B) return;
        const delivered = noGrad(() => matmul(e, B));
        total = add(total, sum(mul(a, delivered)));
      });
      return { loss: total, aux: loss.item() };
    })([...ctx.params]);
    return { updates: grads, state, loss: aux ?? NaN, metrics: {} };
  },
});
