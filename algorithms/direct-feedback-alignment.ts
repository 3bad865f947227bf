// Direct feedback alignment (Nøkland 2016): the output error e = ∂L/∂out goes straight to the
// input of every weight layer but those reading the data, through its own fixed random matrix Bᵢ
// [outputs, features of that input], instead of arriving from the layer above; each layer
// then learns locally from what the signal becomes through the activation below it. The
// output layer learns from its true gradient. As in BioTorch, this works the same for dense
// and conv layers, and a residual shortcut still carries its own gradient. On a sequence model
// scored at every position (a language model, output [T, classes]) the error of each position
// goes to that position of each positionwise layer (as Launay et al.'s TinyDFA for transformers):
// Bᵢ is then [classes, features per position], shared by the positions.
import {
  customVjp,
  defineRule,
  feedbackLayers,
  initByName,
  isWeightLayer,
  matmul,
  replaceInputVjp,
  requireFeedbackLayers,
  sizeOf,
  SpecError,
  taskGradient,
  view,
  type Model,
  type Tensor,
  type WeightLayer,
} from '../src/index.ts';

interface DfaState {
  /** Per receiving layer path: B [outputs, input features]. */
  feedback: Record<string, Tensor>;
}

/**
 * The shape of layer l's feedback matrix: [outputs, input features] for a vector output, or
 * [classes, features per position] when output and layer input are sequences of the same length.
 */
export function feedbackShape(model: Model, l: WeightLayer): [number, number] {
  const out = model.outputShape;
  if (out.length === 1) return [out[0], sizeOf(l.inShape)];
  if (out.length === 2 && l.inShape.length === 2 && l.inShape[0] === out[0]) return [out[1], l.inShape[1]];
  throw new SpecError(
    `direct-feedback-alignment: layer "${l.path}" reads [${l.inShape.join(', ')}] per sample, but the model outputs [${out.join(', ')}]; ` +
      'the output error is projected per sample (a vector output) or per position (a sequence of the same length, into a positionwise layer)',
  );
}

export const directFeedbackAlignment = defineRule({
  id: 'direct-feedback-alignment',
  description: 'The output error is projected to the input of every weight layer through its own fixed random matrix.',
  defaults: { init: 'xavierUniform', scale: 1 },
  choices: { init: ['xavierUniform', 'xavierNormal', 'heUniform', 'heNormal'] },
  search: { scale: { float: [0.1, 10], log: true }, init: { choice: ['xavierUniform', 'xavierNormal', 'heUniform', 'heNormal'] } },
  check(ctx) {
    requireFeedbackLayers('direct-feedback-alignment', ctx.model);
    for (const l of feedbackLayers(ctx.model)) feedbackShape(ctx.model, l);
  },
  init(ctx): DfaState {
    const rng = ctx.rng.child('feedback');
    const draw = initByName(ctx.options.init);
    const feedback: Record<string, Tensor> = {};
    // The layers whose input receives the projected error: FA's, every weight layer but those reading the data.
    for (const l of feedbackLayers(ctx.model)) {
      const B = draw(feedbackShape(ctx.model, l), rng.child(l.path));
      for (let i = 0; i < B.size; i++) B.data[i] *= ctx.options.scale;
      feedback[l.path] = B;
    }
    return { feedback };
  },
  step(ctx, state, batch) {
    // The output error, caught on its way into the network (the first cotangent of the backward pass).
    let e: Tensor | null = null;
    const catchError = customVjp(
      'dfaOutputError',
      (out: Tensor) => ({ out }),
      (_s, g) => ((e = g), [g]),
    );
    const model = ctx.model.map((m) => {
      const B = state.feedback[m.path];
      // Rows of e: samples (vector output) or positions (sequence output), as B's rows are.
      return B && isWeightLayer(m)
        ? replaceInputVjp(m, (_g, x) => view(matmul(view(e!, [e!.size / B.shape[0], B.shape[0]]), B), x.shape), 'dfa')
        : m;
    });
    const { loss, grads } = taskGradient(ctx, batch, { model, output: catchError });
    return { updates: grads, state, loss, metrics: {} };
  },
});
