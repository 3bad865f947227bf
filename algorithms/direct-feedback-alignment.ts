// Direct feedback alignment (Nøkland 2016): the output error e = ∂L/∂out goes straight to the
// input of every weight layer but those reading the data, through its own fixed random matrix Bᵢ
// [outputs, features of that input], instead of arriving from the layer above; each layer
// then learns locally from what the signal becomes through the activation below it. The
// output layer learns from its true gradient. Dense and conv layers alike, and a residual
// shortcut still carries its own gradient. Option `conv` says what a conv layer receives:
//   'dense'   B [classes, C·H·W]: a random projection of e to every input unit (Nøkland's per-unit
//             feedback, the default);
//   'kernel'  B shaped like the layer's kernel with classes for output channels [classes, C, kh, kw]:
//             e is broadcast to every output position and sent below through the layer's own input
//             VJP with B as kernel — BioTorch's DFA conv layer (biotorch/layers/dfa/conv.py, its
//             backward hook: conv2d_input of the spatially repeated loss gradient with
//             weight_backward), whose signal is a sum of shifted kernels, smooth in space.
// On a sequence model
// scored at every position (a language model, output [T, classes]) the error of each position
// goes to that position of each positionwise layer (as Launay et al.'s TinyDFA for transformers):
// Bᵢ is then [classes, features per position], shared by the positions.
import {
  customVjp,
  defineRule,
  feedbackLayers,
  FORWARD,
  WEIGHT_GRADIENT,
  initByName,
  isWeightLayer,
  matmul,
  replaceInputVjp,
  requireFeedbackLayers,
  sizeOf,
  SpecError,
  taskGradient,
  view,
  weightSlot,
  zeros,
  type Model,
  type Tensor,
  type WeightLayer,
} from '../src/core.ts';

const CONV = ['dense', 'kernel'] as const;

interface DfaState {
  /** Per receiving layer path: B [outputs, input features], or a kernel [classes, C, kh, kw] (conv: 'kernel'). */
  feedback: Record<string, Tensor>;
}

/** A conv layer's weight: a kernel [out, in, kh, kw] (a dense layer's is [out, in]). */
const isConv = (l: WeightLayer): boolean => weightSlot(l).shape.length > 2;

/**
 * The shape of layer l's feedback tensor: [outputs, input features] for a vector output, or
 * [classes, features per position] when output and layer input are sequences of the same length;
 * with conv 'kernel', a conv layer's is its kernel's with the classes as output channels.
 */
export function feedbackShape(model: Model, l: WeightLayer, conv: string = 'dense'): number[] {
  const out = model.outputShape;
  if (conv === 'kernel' && isConv(l)) {
    if (out.length !== 1)
      throw new SpecError(
        `direct-feedback-alignment: option conv 'kernel' needs one score vector per sample, but the model outputs [${out.join(', ')}]`,
      );
    return [out[0], ...weightSlot(l).shape.slice(1)];
  }
  if (out.length === 1) return [out[0], sizeOf(l.inShape)];
  if (out.length === 2 && l.inShape.length === 2 && l.inShape[0] === out[0]) return [out[1], l.inShape[1]];
  throw new SpecError(
    `direct-feedback-alignment: layer "${l.path}" reads [${l.inShape.join(', ')}] per sample, but the model outputs [${out.join(', ')}]; ` +
      'the output error is projected per sample (a vector output) or per position (a sequence of the same length, into a positionwise layer)',
  );
}

/** e [n, classes] repeated at every position of a conv output [channels, h, w]: [n, classes, h, w]. */
export function everywhere(e: Tensor, outShape: readonly number[]): Tensor {
  const [n, k] = e.shape;
  const p = sizeOf(outShape.slice(1));
  const out = zeros([n, k, ...outShape.slice(1)]);
  for (let i = 0; i < n * k; i++) out.data.fill(e.data[i], i * p, (i + 1) * p);
  return out;
}

export const directFeedbackAlignment = defineRule({
  id: 'direct-feedback-alignment',
  updateWaitsFor: 'output-error',
  description: 'The output error is projected to the input of every weight layer through its own fixed random matrix.',
  defaults: { init: 'xavierUniform', scale: 1, conv: 'dense' as string },
  choices: { init: ['xavierUniform', 'xavierNormal', 'heUniform', 'heNormal'], conv: CONV },
  // A forward and each layer's weight gradient from its projected error: no input VJP through the
  // layers (the projections Bᵢe are classes × features, small beside a layer).
  cost: () => FORWARD + WEIGHT_GRADIENT,
  search: { scale: { float: [0.1, 10], log: true }, init: { choice: ['xavierUniform', 'xavierNormal', 'heUniform', 'heNormal'] } },
  check(ctx) {
    requireFeedbackLayers('direct-feedback-alignment', ctx.model);
    for (const l of feedbackLayers(ctx.model)) feedbackShape(ctx.model, l, ctx.options.conv);
  },
  init(ctx): DfaState {
    const rng = ctx.rng.child('feedback');
    const draw = initByName(ctx.options.init);
    const feedback: Record<string, Tensor> = {};
    // The layers whose input receives the projected error: FA's, every weight layer but those reading the data.
    for (const l of feedbackLayers(ctx.model)) {
      const B = draw(feedbackShape(ctx.model, l, ctx.options.conv), rng.child(l.path));
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
      if (!B || !isWeightLayer(m)) return m;
      // A kernel: e at every output position, sent below through the layer's input VJP with B as kernel.
      if (B.rank > 2) return replaceInputVjp(m, (_g, x) => m.inputVjp(everywhere(e!, m.outShape), B, x.shape), 'dfa');
      // Rows of e: samples (vector output) or positions (sequence output), as B's rows are.
      return replaceInputVjp(m, (_g, x) => view(matmul(view(e!, [e!.size / B.shape[0], B.shape[0]]), B), x.shape), 'dfa');
    });
    const { loss, grads } = taskGradient(ctx, batch, { model, output: catchError });
    return { updates: grads, state, loss, metrics: {} };
  },
});
