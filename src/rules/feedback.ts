// The feedback-alignment family's shared parts (FA and its sign-symmetric variants, DFA,
// Kolen-Pollack, weight mirroring): which layers send an error below, how their feedback
// tensors are drawn, and the model with those tensors in place of the weights on the way down.
import { SpecError } from '../errors.ts';
import { initByName } from '../nn/init.ts';
import type { Model } from '../nn/model.ts';
import { isRecurrent } from '../nn/recurrent.ts';
import { isWeightLayer, replaceInputVjp, type WeightLayer } from '../nn/weight-layer.ts';
import type { Rng } from '../random.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { RuleContext } from './rule.ts';

/** The layers that send an error below: every weight layer but the first (whose input is the data). */
export function feedbackLayers(model: Model): WeightLayer[] {
  return model.weightLayers().slice(1);
}

/** The scheme a feedback tensor is drawn with: the layer's own weight scheme unless `init` names one ('model': its own). */
export function feedbackScheme(layer: WeightLayer, init: string): string {
  const own = layer.params.weight.init;
  return init === 'model' ? (own.kind === 'weight' ? own.scheme : 'xavierUniform') : init;
}

/** A random feedback tensor for `layer`, drawn like its weight (or with the scheme `init` names). */
export function drawFeedback(layer: WeightLayer, init: string, rng: Rng): Tensor {
  return initByName(feedbackScheme(layer, init))(layer.params.weight.shape, rng);
}

/** A feedback tensor per feedback layer path, drawn from the rule's stream ctx.rng.child('feedback').child(path). */
export function initialFeedback(ctx: RuleContext, init: string): Record<string, Tensor> {
  const rng = ctx.rng.child('feedback');
  const out: Record<string, Tensor> = {};
  for (const l of feedbackLayers(ctx.model)) out[l.path] = drawFeedback(l, init, rng.child(l.path));
  return out;
}

/** `model` with each layer in `feedback` sending its error below through that tensor instead of W. */
export function withFeedback(model: Model, feedback: ReadonlyMap<string, Tensor>): Model {
  return model.map((m) => {
    const b = feedback.get(m.path);
    return b && isWeightLayer(m) ? replaceInputVjp(m, (g, x) => m.inputVjp(g, b, x.shape)) : m;
  });
}

/**
 * Refuse a recurrent model, or one with fewer than two weight layers (no error travels below the
 * first). A recurrent module's weights are not weight layers: its recurrence would carry true
 * gradients (Wᵀ at every step) beside the feedback tensors, which is none of these rules.
 */
export function requireFeedbackLayers(rule: string, model: Model): void {
  const r = model.modules().find(isRecurrent);
  if (r) {
    throw new SpecError(
      `${rule}: module "${r.path}" (${r.kind}) is recurrent; ${rule} is defined here on dense and conv weight layers ` +
        '(attention projections included), and backpropagation through its recurrence would still send errors through its true weights',
    );
  }
  if (!feedbackLayers(model).length) {
    throw new SpecError(
      `${rule}: the model has one weight layer, so no error travels below it; ${rule} needs at least two dense or conv layers`,
    );
  }
}
