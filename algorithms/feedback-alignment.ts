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
  compare, defineRule, initByName, initStd, isWeightLayer, replaceInputVjp, valueAndGrad, SpecError,
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

function draw(layer: WeightLayer, init: string, rng: Rng): Tensor {
  return initByName(schemeOf(layer, init))(layer.params.weight.shape, rng);
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

/** B for one layer at the current weight w. */
export function feedbackTensor(o: Options, layer: WeightLayer, w: Tensor, fixed: Tensor | undefined, rng: Rng): Tensor {
  const variant = o.variant as Variant;
  if (variant === 'fa') return fixed!;
  const mags = variant === 'frsf' ? fixed! : variant === 'brsf' ? draw(layer, o.init, rng) : null;
  const s = mags ? 0 : o.scale === 'current' ? std(w) : initStd(schemeOf(layer, o.init), layer.params.weight.shape);
  const B = w.clone();
  for (let i = 0; i < B.size; i++) {
    const sign = Math.sign(w.data[i]);
    B.data[i] = mags ? sign * Math.abs(mags.data[i]) : sign * s;
  }
  return B;
}

export const feedbackAlignment = defineRule({
  id: 'feedback-alignment',
  description: 'Errors travel down through fixed random (or sign-symmetric) feedback tensors shaped like each weight, instead of the weights themselves.',
  defaults: { variant: 'fa' as string, init: 'model' as string, scale: 'init' as string },
  choices: { variant: VARIANTS, init: INITS, scale: ['init', 'current'] },
  check(ctx) {
    if (!feedbackLayers(ctx.model).length) {
      throw new SpecError('feedback-alignment: the model has one weight layer, so no error travels below it; FA needs at least two dense or conv layers');
    }
  },
  init(ctx): FaState {
    const o = ctx.options;
    const rng = ctx.rng.child('feedback');
    const fixed: Record<string, Tensor> = {};
    if (o.variant === 'fa' || o.variant === 'frsf') for (const l of feedbackLayers(ctx.model)) fixed[l.path] = draw(l, o.init, rng.child(l.path));
    return { fixed };
  },
  step(ctx, state, batch) {
    const rng = ctx.rng.child(ctx.step);
    const B = new Map(feedbackLayers(ctx.model).map((l) => [l.path, feedbackTensor(ctx.options, l, ctx.params[l.params.weight.index], state.fixed[l.path], rng.child(l.path))]));
    const model = ctx.model.map((m) => {
      const b = B.get(m.path);
      return b && isWeightLayer(m) ? replaceInputVjp(m, (g, x) => m.inputVjp(g, b, x.shape)) : m;
    });
    const { value, grads } = valueAndGrad((p: Tensor[]) => ctx.task.loss(model.forward(p, batch.x, ctx.train), batch))([...ctx.params]);
    return { updates: grads, state, loss: value.item(), metrics: {} };
  },
  diagnostics(ctx, state) {
    const out: Record<string, number> = {};
    for (const l of feedbackLayers(ctx.model)) {
      const w = ctx.params[l.params.weight.index];
      const c = compare(feedbackTensor(ctx.options, l, w, state.fixed[l.path], ctx.rng.child('diagnostics')), w);
      out[`${l.path}.feedbackAngleDeg`] = c.angleDeg;
      out[`${l.path}.feedbackNormRatio`] = c.normRatio;
    }
    return out;
  },
});
