// Feedback alignment (Lillicrap et al. 2016) and its sign-symmetric variants, as defined and
// benchmarked by BioTorch (Sanfiz & Akrout 2021): every weight layer but those reading the data sends the
// error below through a feedback tensor B shaped like its weight W (a matrix for dense layers,
// a kernel for convolutions) instead of W itself. Weight gradients stay local; batch and layer
// norms keep their own gradients.
//   fa    B fixed random, drawn like W at init
//   usf   B = sign(W) · s, s the std of the layer's init scheme (BioTorch; scale 'current': std of today's W)
//   brsf  B = |R| ⊙ sign(W), R redrawn every batch (batchwise random-magnitude)
//   frsf  B = |R| ⊙ sign(W), R fixed at init       (fixed random-magnitude)
import {
  defineRule,
  drawFeedback,
  feedbackDiagnostics,
  feedbackLayers,
  feedbackScheme,
  initialFeedback,
  initStd,
  requireFeedbackLayers,
  taskGradient,
  weightNow,
  weightSlot,
  withFeedback,
  type Model,
  type Rng,
  type Tensor,
  type WeightLayer,
} from '../src/core.ts';

const VARIANTS = ['fa', 'usf', 'brsf', 'frsf'] as const;
type Variant = (typeof VARIANTS)[number];
const INITS = ['model', 'xavierUniform', 'xavierNormal', 'heUniform', 'heNormal'] as const;

interface FaState {
  /** Per feedback layer path: the fixed random tensor (fa: B itself; frsf: the magnitudes R). */
  fixed: Record<string, Tensor>;
}

function std(w: Tensor): number {
  let m = 0;
  for (let i = 0; i < w.size; i++) m += w.data[i];
  m /= w.size;
  let s = 0;
  for (let i = 0; i < w.size; i++) s += (w.data[i] - m) ** 2;
  return Math.sqrt(s / w.size);
}

type Options = { variant: string; init: string; scale: string };

/** B for one layer at the current weight w; `rng` is called only by brsf, which draws a new B. */
export function feedbackTensor(o: Options, layer: WeightLayer, w: Tensor, fixed: Tensor | undefined, rng: () => Rng): Tensor {
  const variant = o.variant as Variant;
  if (variant === 'fa') return fixed!;
  const mags = variant === 'frsf' ? fixed! : variant === 'brsf' ? drawFeedback(layer, o.init, rng()) : null;
  const s = mags ? 0 : o.scale === 'current' ? std(w) : initStd(feedbackScheme(layer, o.init), weightSlot(layer).shape);
  const B = w.clone();
  for (let i = 0; i < B.size; i++) {
    const sign = Math.sign(w.data[i]);
    B.data[i] = mags ? sign * Math.abs(mags.data[i]) : sign * s;
  }
  return B;
}

// fa's feedback tensors never change, so its wrapped model is built once per state (rebuilding
// the module tree every step cost about 1% of an MLP step).
const fixedModels = new WeakMap<Record<string, Tensor>, { model: Model; wrapped: Model }>();
function fixedFeedbackModel(model: Model, fixed: Record<string, Tensor>): Model {
  const hit = fixedModels.get(fixed);
  if (hit && hit.model === model) return hit.wrapped;
  const wrapped = withFeedback(model, new Map(Object.entries(fixed)));
  fixedModels.set(fixed, { model, wrapped });
  return wrapped;
}

export const feedbackAlignment = defineRule({
  id: 'feedback-alignment',
  updateWaitsFor: 'layer-above',
  description:
    'Errors travel down through fixed random (or sign-symmetric) feedback tensors shaped like each weight, instead of the weights themselves.',
  defaults: { variant: 'fa' as string, init: 'model' as string, scale: 'init' as string },
  choices: { variant: VARIANTS, init: INITS, scale: ['init', 'current'] },
  // Backprop's passes, B in place of W in the backward (brsf's redrawn magnitudes are O(parameters)).
  cost: ({ backpropStep }) => backpropStep,
  search: { init: { choice: INITS } },
  check(ctx) {
    requireFeedbackLayers('feedback-alignment', ctx.model);
  },
  init(ctx): FaState {
    const o = ctx.options;
    return { fixed: o.variant === 'fa' || o.variant === 'frsf' ? initialFeedback(ctx, o.init) : {} };
  },
  step(ctx, state, batch) {
    const model =
      ctx.options.variant === 'fa'
        ? fixedFeedbackModel(ctx.model, state.fixed)
        : withFeedback(
            ctx.model,
            new Map(
              feedbackLayers(ctx.model).map((l) => [
                l.path,
                feedbackTensor(ctx.options, l, weightNow(l, ctx.params), state.fixed[l.path], () => ctx.rng.child(ctx.step).child(l.path)),
              ]),
            ),
          );
    const { loss, grads } = taskGradient(ctx, batch, { model });
    return { updates: grads, state, loss, metrics: {} };
  },
  diagnostics(ctx, state) {
    return feedbackDiagnostics(ctx.model, ctx.params, (l, w) =>
      feedbackTensor(ctx.options, l, w, state.fixed[l.path], () => ctx.rng.child('diagnostics')),
    );
  },
});
