// Kolen-Pollack (Akrout et al. 2019, "Deep learning without weight transport"): feedback
// alignment whose feedback tensor B learns. Every weight layer but those reading the data sends its error
// below through B (shaped like W, as in feedback-alignment.ts). B receives the same update as W —
// the layer's weight gradient δ·xᵀ, local to the layer in both directions — and both decay:
//   ΔW = −η(δxᵀ + λW),  ΔB = −η(δxᵀ + λB)   ⇒   B − W shrinks by (1 − ηλ) every step,
// whatever the gradients, so B converges to W and the updates to backprop's.
//
// B is kept as W + D, D = B − W: then W's update, as the experiment's optimizer applies it (with
// its momentum or Adam normalization), reaches B too, and only D's decay is computed here:
// D ← (1 − ηλ)·D, `lr` being η (set it to the experiment's rate). W's decay is either in its
// update direction (coupled, the default: SGD's L2, exact KP under SGD) or the optimizer's own
// (coupled: false with AdamW at weightDecay λ, which decays W by ηλ outside Adam's scaling: then B
// takes exactly W's Adam step and the same decay — exact KP under AdamW). Under Adam, an L2 term
// inside the normalized step pulls W and B together only weakly: use AdamW there.
//
// Estimates: the task gradient. The updates are FA's — an approximation of backprop's gradient
// that becomes exact as B → W — so alignment is measured against backprop, as for FA.
import {
  defineRule,
  feedbackDiagnostics,
  feedbackLayers,
  initialFeedback,
  requireFeedbackLayers,
  SpecError,
  taskGradient,
  withFeedback,
  type Tensor,
  refuseAdapters,
} from '../src/core.ts';

export const kolenPollackDefaults = {
  /** How B is drawn at the start: the layer's own weight scheme ('model') or a named one. */
  init: 'model' as string,
  /** λ: weight decay on every W that has a B, and on B. */
  decay: 1e-3,
  /** η of the decay of B − W (the experiment's learning rate). */
  lr: 1e-3,
  /** W's decay in its update direction (true; SGD) or left to the optimizer (false; AdamW with weightDecay = decay). */
  coupled: true,
};
export type KolenPollackOptions = typeof kolenPollackDefaults;

export interface KolenPollackState {
  /** Per feedback layer path: D = B − W, shaped like its weight. */
  offset: Record<string, Tensor>;
}

/** B = W + D for one layer. */
function feedbackOf(w: Tensor, d: Tensor): Tensor {
  const B = w.clone();
  // Buffers read once: a tensor's data is a getter (it syncs a device copy), too dear per element.
  const [b, o] = [B.data, d.data];
  for (let k = 0; k < B.size; k++) b[k] += o[k];
  return B;
}

export const kolenPollack = defineRule({
  id: 'kolen-pollack',
  updateWaitsFor: 'layer-above',
  description:
    'Feedback alignment whose feedback tensors receive the same updates as their weights, with weight decay on both, so B converges to W.',
  defaults: kolenPollackDefaults,
  choices: { init: ['model', 'xavierUniform', 'xavierNormal', 'heUniform', 'heNormal'] },
  presets: {
    paper: {
      options: { decay: 0, coupled: true },
      optimizer: { name: 'sgd', lr: 0.3 },
      source:
        "Akrout et al. 2019, the authors' released MNIST run (makrout/Deep-Learning-without-Weight-Transport: experiments/mnist/kp-V0/experiment_config.txt, fcnn/FCNN_KP.py): plain SGD at 0.3 on the batch mean, batch 128, 400 epochs, one hidden layer of 500; its decay factor is 1 (no decay)",
    },
  },
  // FA's passes; B's update is W's (D's decay is O(parameters)).
  cost: ({ backpropStep }) => backpropStep,
  search: { lr: { float: [1e-4, 1e-1], log: true }, decay: { float: [1e-4, 1], log: true }, coupled: { choice: [true, false] } },
  check(ctx) {
    refuseAdapters(
      'kolen-pollack',
      ctx.model,
      "its feedback matrices take the same update as the weights, and an adapted layer's weight is a frozen base plus a low-rank product, with no update of its own",
    );
    requireFeedbackLayers('kolen-pollack', ctx.model);
    const { decay, lr } = ctx.options;
    if (!(decay >= 0 && lr >= 0 && lr * decay < 1))
      throw new SpecError(`kolen-pollack: options decay and lr must be ≥ 0 with lr·decay < 1, got decay ${decay}, lr ${lr}`);
  },
  init(ctx): KolenPollackState {
    // B₀ drawn as FA draws it; D₀ = B₀ − W₀.
    const offset = initialFeedback(ctx, ctx.options.init);
    for (const l of feedbackLayers(ctx.model)) {
      const d = offset[l.path];
      const [o, w] = [d.data, ctx.params[l.params.weight.index].data];
      for (let k = 0; k < d.size; k++) o[k] -= w[k];
    }
    return { offset };
  },
  step(ctx, state, batch) {
    const { decay, lr, coupled } = ctx.options;
    const layers = feedbackLayers(ctx.model);
    const B = new Map(layers.map((l) => [l.path, feedbackOf(ctx.params[l.params.weight.index], state.offset[l.path])]));
    const { loss, grads } = taskGradient(ctx, batch, { model: withFeedback(ctx.model, B) });
    const updates = [...grads];
    for (const l of layers) {
      const i = l.params.weight.index;
      const w = ctx.params[i];
      if (coupled) {
        const dw = grads[i].clone();
        const [u, v] = [dw.data, w.data];
        for (let k = 0; k < dw.size; k++) u[k] += decay * v[k];
        updates[i] = dw;
      }
      // B and W take the same step; what differs is each one's decay: D ← (1 − ηλ)·D.
      const d = state.offset[l.path];
      const o = d.data;
      for (let k = 0; k < d.size; k++) o[k] *= 1 - lr * decay;
    }
    return { updates, state, loss, metrics: {} };
  },
  diagnostics(ctx, state) {
    return feedbackDiagnostics(ctx.model, ctx.params, (l, w) => feedbackOf(w, state.offset[l.path]));
  },
});
