// Direct feedback alignment (Nøkland 2016): the output error e = ∂L/∂out goes straight to the
// input of every weight layer but the first, through its own fixed random matrix Bᵢ
// [outputs, features of that input], instead of arriving from the layer above; each layer
// then learns locally from what the signal becomes through the activation below it. The
// output layer learns from its true gradient. As in BioTorch, this works the same for dense
// and conv layers, and a residual shortcut still carries its own gradient.
import {
  customVjp, defineRule, initByName, isWeightLayer, matmul, replaceInputVjp, sizeOf, SpecError, valueAndGrad, view,
  type Model, type Tensor, type WeightLayer,
} from '../src/index.ts';

interface DfaState {
  /** Per receiving layer path: B [outputs, input features]. */
  feedback: Record<string, Tensor>;
}

/** The layers whose input receives the projected error: every weight layer but the first. */
export function receivingLayers(model: Model): WeightLayer[] {
  return model.weightLayers().slice(1);
}

export const directFeedbackAlignment = defineRule({
  id: 'direct-feedback-alignment',
  description: 'The output error is projected to the input of every weight layer through its own fixed random matrix.',
  defaults: { init: 'xavierUniform', scale: 1 },
  choices: { init: ['xavierUniform', 'xavierNormal', 'heUniform', 'heNormal'] },
  check(ctx) {
    if (!receivingLayers(ctx.model).length) throw new SpecError('direct-feedback-alignment: the model needs at least two weight layers (dense or conv) for an error to be projected to');
    if (ctx.model.outputShape.length !== 1) throw new SpecError(`direct-feedback-alignment: the model output must be a vector per sample, got [${ctx.model.outputShape.join(', ')}]`);
  },
  init(ctx): DfaState {
    const rng = ctx.rng.child('feedback');
    const draw = initByName(ctx.options.init);
    const outputs = ctx.model.outputSize;
    const feedback: Record<string, Tensor> = {};
    for (const l of receivingLayers(ctx.model)) {
      const B = draw([outputs, sizeOf(l.inShape)], rng.child(l.path));
      for (let i = 0; i < B.size; i++) B.data[i] *= ctx.options.scale;
      feedback[l.path] = B;
    }
    return { feedback };
  },
  step(ctx, state, batch) {
    // The output error, caught on its way into the network (the first cotangent of the backward pass).
    let e: Tensor | null = null;
    const catchError = customVjp('dfaOutputError', (out: Tensor) => ({ out }), (_s, g) => ((e = g), [g]));
    const model = ctx.model.map((m) => {
      const B = state.feedback[m.path];
      return B && isWeightLayer(m) ? replaceInputVjp(m, (_g, x) => view(matmul(e!, B), x.shape), 'dfa') : m;
    });
    const { value, grads } = valueAndGrad((p: Tensor[]) => ctx.task.loss(catchError(model.forward(p, batch.x, ctx.train)), batch))([...ctx.params]);
    return { updates: grads, state, loss: value.item(), metrics: {} };
  },
});
