// Feedback alignment (Lillicrap et al. 2016) and its sign-symmetric variants, as defined and
// benchmarked by BioTorch (Sanfiz & Akrout 2021): every weight layer but the first sends the
// error below through a feedback tensor B shaped like its weight W (a matrix for dense layers,
// a kernel for convolutions) instead of W itself. Weight gradients stay local; batch and layer
// norms keep their own gradients.
//   fa    B fixed random, drawn like W at init
//   usf   B = sign(W) · s, s the std of the layer's init scheme (BioTorch; scale 'current': std of today's W)
//   brsf  B = |R| ⊙ sign(W), R redrawn every batch (batchwise random-magnitude)
//   frsf  B = |R| ⊙ sign(W), R fixed at init       (fixed random-magnitude)
import {
  compare, defineRule, initByName, initStd, isRecurrent, isWeightLayer, replaceInputVjp, valueAndGrad, SpecError,
  type Model, type Rng, type Tensor, type WeightLayer,
} from '../src/index.ts';

const VARIANTS = ['fa', 'usf', 'brsf', 'frsf'] as const;
type Variant = (typeof VARIANTS)[number];
const INITS = ['model', 'xavierUniform', 'xavierNormal', 'heUniform', 'heNormal'] as const;

interface FaState {
  /** Per feedback layer path: the fixed random tensor (fa: B itself; frsf: the magnitudes R). */
  fixed: Record<string, Tensor>;
}

/** The layers that send an error below: every weight layer but the first (whose input is the data). */
export function feedbackLayers(model: Model): WeightLayer[] {
  return model.weightLayers().slice(1);
}

/** The scheme B is drawn with: the layer's own weight scheme unless the option names one. */
function schemeOf(layer: WeightLayer, init: string): string {
  const own = layer.params.weight.init;
  return init === 'model' ? (own.kind === 'weight' ? own.scheme : 'xavierUniform') : init;
}

/** A random feedback tensor for `layer`, drawn like its weight (or with the scheme `init` names). */
export function drawFeedback(layer: WeightLayer, init: string, rng: Rng): Tensor {
  return initByName(schemeOf(layer, init))(layer.params.weight.shape, rng);
}

/** `model` with each layer in `feedback` sending its error below through that tensor instead of W. */
export function withFeedback(model: Model, feedback: ReadonlyMap<string, Tensor>): Model {
  return model.map((m) => {
    const b = feedback.get(m.path);
    return b && isWeightLayer(m) ? replaceInputVjp(m, (g, x) => m.inputVjp(g, b, x.shape)) : m;
  });
}

/** Per feedback layer: the angle between its feedback tensor and its weight, and their norm ratio. */
export function feedbackDiagnostics(model: Model, params: readonly Tensor[], feedback: (layer: WeightLayer, w: Tensor) => Tensor): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of feedbackLayers(model)) {
    const w = params[l.params.weight.index];
    const c = compare(feedback(l, w), w);
    out[`${l.path}.feedbackAngleDeg`] = c.angleDeg;
    out[`${l.path}.feedbackNormRatio`] = c.normRatio;
  }
  return out;
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

/**
 * A recurrent module's weights are not weight layers: its recurrence would carry true gradients
 * (Wᵀ at every step) beside the feedback tensors, which is neither rule. Refused, naming it.
 */
export function refuseRecurrent(model: Model, rule: string): void {
  const r = model.modules().find(isRecurrent);
  if (r) {
    throw new SpecError(`${rule}: module "${r.path}" (${r.kind}) is recurrent; ${rule} is defined here on dense and conv weight layers ` +
      '(attention projections included), and backpropagation through its recurrence would still send errors through its true weights');
  }
}

/** B for one layer at the current weight w; `rng` is called only by brsf, which draws a new B. */
export function feedbackTensor(o: Options, layer: WeightLayer, w: Tensor, fixed: Tensor | undefined, rng: () => Rng): Tensor {
  const variant = o.variant as Variant;
  if (variant === 'fa') return fixed!;
  const mags = variant === 'frsf' ? fixed! : variant === 'brsf' ? drawFeedback(layer, o.init, rng()) : null;
  const s = mags ? 0 : o.scale === 'current' ? std(w) : initStd(schemeOf(layer, o.init), layer.params.weight.shape);
  const B = w.clone();
  for (let i = 0; i < B.size; i++) {
    const sign = Math.sign(w.data[i]);
    B.data[i] = mags ? sign * Math.abs(mags.data[i]) : sign * s;
  }
  return B;
}

/** Refuse a recurrent model, or one with fewer than two weight layers: no error travels below the first. */
export function requireFeedbackLayers(rule: string, model: Model): void {
  refuseRecurrent(model, rule);
  if (!feedbackLayers(model).length) {
    throw new SpecError(`${rule}: the model has one weight layer, so no error travels below it; ${rule} needs at least two dense or conv layers`);
  }
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
  description: 'Errors travel down through fixed random (or sign-symmetric) feedback tensors shaped like each weight, instead of the weights themselves.',
  defaults: { variant: 'fa' as string, init: 'model' as string, scale: 'init' as string },
  choices: { variant: VARIANTS, init: INITS, scale: ['init', 'current'] },
  check(ctx) {
    requireFeedbackLayers('feedback-alignment', ctx.model);
  },
  init(ctx): FaState {
    const o = ctx.options;
    const rng = ctx.rng.child('feedback');
    const fixed: Record<string, Tensor> = {};
    if (o.variant === 'fa' || o.variant === 'frsf') for (const l of feedbackLayers(ctx.model)) fixed[l.path] = drawFeedback(l, o.init, rng.child(l.path));
    return { fixed };
  },
  step(ctx, state, batch) {
    const model = ctx.options.variant === 'fa' ? fixedFeedbackModel(ctx.model, state.fixed) : withFeedback(ctx.model, new Map(feedbackLayers(ctx.model).map((l) =>
      [l.path, feedbackTensor(ctx.options, l, ctx.params[l.params.weight.index], state.fixed[l.path], () => ctx.rng.child(ctx.step).child(l.path))])));
    const { value, grads } = valueAndGrad((p: Tensor[]) => ctx.task.loss(model.forward(p, batch.x, ctx.train), batch))([...ctx.params]);
    return { updates: grads, state, loss: value.item(), metrics: {} };
  },
  diagnostics(ctx, state) {
    return feedbackDiagnostics(ctx.model, ctx.params, (l, w) => feedbackTensor(ctx.options, l, w, state.fixed[l.path], () => ctx.rng.child('diagnostics')));
  },
});
