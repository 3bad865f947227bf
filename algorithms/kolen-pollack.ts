// Kolen-Pollack (Akrout et al. 2019, "Deep learning without weight transport"): feedback
// alignment whose feedback tensor B learns. Every weight layer but the first sends its error
// below through B (shaped like W, as in feedback-alignment.ts); B then receives the same update
// as W — the layer's weight gradient δ·xᵀ, which is local to the layer in both directions — and
// both decay by λ. Under SGD at one rate η, W − B shrinks by (1 − ηλ) every step whatever the
// gradients are, so B converges to W and the updates to backprop's.
//
// The runner's optimizer applies W's update; B's is applied here, by its own optimizer
// (`feedbackOptimizer` at `feedbackLr`). With the same optimizer and rate as the experiment's,
// B and W take the same steps (Adam: the same normalized steps, since they see the same
// gradients), which is what makes them converge.
//
// Estimates: the task gradient. The updates are FA's — an approximation of backprop's gradient
// that becomes exact as B → W — so alignment is measured against backprop, as for FA.
import { defineRule, optimizerFromSpec, valueAndGrad, noGrad, type OptimizerName, type OptState, type Tensor } from '../src/index.ts';
import { drawFeedback, feedbackDiagnostics, feedbackLayers, requireFeedbackLayers, withFeedback } from './feedback-alignment.ts';

export const kolenPollackDefaults = {
  /** How B is drawn at the start: the layer's own weight scheme ('model') or a named one. */
  init: 'model' as string,
  /** λ: weight decay on every W that has a B, and on B (what pulls the two together). */
  decay: 1e-4,
  /** The optimizer that applies B's update: use the experiment's, so B and W take the same steps. */
  feedbackOptimizer: 'adam' as string,
  feedbackLr: 1e-3,
};
export type KolenPollackOptions = typeof kolenPollackDefaults;

export interface KolenPollackState {
  /** Per feedback layer path: B, shaped like its weight. */
  feedback: Record<string, Tensor>;
  /** B's optimizer state, in feedbackLayers order. */
  opt: OptState;
}

const feedbackOptimizer = (o: KolenPollackOptions) => optimizerFromSpec({ name: o.feedbackOptimizer as OptimizerName, lr: o.feedbackLr });

export const kolenPollack = defineRule({
  id: 'kolen-pollack',
  description: 'Feedback alignment whose feedback tensors receive the same update as their weights, with weight decay on both, so B converges to W.',
  defaults: kolenPollackDefaults,
  choices: { init: ['model', 'xavierUniform', 'xavierNormal', 'heUniform', 'heNormal'], feedbackOptimizer: ['sgd', 'adam', 'momentum'] },
  check(ctx) {
    requireFeedbackLayers('kolen-pollack', ctx.model);
    feedbackOptimizer(ctx.options);
  },
  init(ctx): KolenPollackState {
    const rng = ctx.rng.child('feedback');
    const layers = feedbackLayers(ctx.model);
    const feedback: Record<string, Tensor> = {};
    for (const l of layers) feedback[l.path] = drawFeedback(l, ctx.options.init, rng.child(l.path));
    return { feedback, opt: feedbackOptimizer(ctx.options).init(layers.map((l) => feedback[l.path])) };
  },
  step(ctx, state, batch) {
    const o = ctx.options;
    const layers = feedbackLayers(ctx.model);
    const model = withFeedback(ctx.model, new Map(Object.entries(state.feedback)));
    const { value, grads } = valueAndGrad((p: Tensor[]) => ctx.task.loss(model.forward(p, batch.x, ctx.train), batch))([...ctx.params]);
    const updates = [...grads];
    const bUpdates = layers.map((l) => {
      const i = l.params.weight.index;
      const w = ctx.params[i];
      const B = state.feedback[l.path];
      const dw = grads[i].clone();
      const dB = grads[i].clone();
      for (let k = 0; k < dw.size; k++) {
        dw.data[k] += o.decay * w.data[k];
        dB.data[k] += o.decay * B.data[k];
      }
      updates[i] = dw;
      return dB;
    });
    noGrad(() => feedbackOptimizer(o).update(layers.map((l) => state.feedback[l.path]), bUpdates, state.opt, Math.max(0, ctx.step)));
    return { updates, state, loss: value.item(), metrics: {} };
  },
  diagnostics(ctx, state) {
    return feedbackDiagnostics(ctx.model, ctx.params, (l) => state.feedback[l.path]);
  },
});
