// How far each feedback tensor of a feedback-alignment-family rule is from its forward weight:
// the diagnostics those rules report (FA's B, Kolen-Pollack's W + D, weight mirroring's B).
import type { Model } from '../nn/model.ts';
import { weightNow, type WeightLayer } from '../nn/weight-layer.ts';
import { feedbackLayers } from '../rules/feedback.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { compare } from './alignment.ts';

/** Per feedback layer: the angle between its feedback tensor and its weight, and their norm ratio. */
export function feedbackDiagnostics(
  model: Model,
  params: readonly Tensor[],
  feedback: (layer: WeightLayer, w: Tensor) => Tensor,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of feedbackLayers(model)) {
    const w = weightNow(l, params);
    const c = compare(feedback(l, w), w);
    out[`${l.path}.feedbackAngleDeg`] = c.angleDeg;
    out[`${l.path}.feedbackNormRatio`] = c.normRatio;
  }
  return out;
}
