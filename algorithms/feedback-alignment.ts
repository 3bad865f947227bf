// Feedback alignment (Lillicrap et al. 2016) and its sign-symmetric variants (as benchmarked
// by Sanfiz & Akrout 2021, "BioTorch"): each layer's backward pass sends the error to the
// layer below through a feedback matrix B instead of Wᵀ. Weight gradients stay local.
//   fa    B fixed random (drawn like W at init)
//   usf   B = sign(W) · std(W)            (uniform sign-concordant feedback)
//   brsf  B = |R| ⊙ sign(W), R redrawn every batch (batchwise random-magnitude)
//   frsf  B = |R| ⊙ sign(W), R fixed at init       (fixed random-magnitude)
import {
  compare, customVjp, defineRule, initByName, linear, matmul, sum, valueAndGrad, type Block, type Rng, type Tensor,
} from '../src/index.ts';

const VARIANTS = ['fa', 'usf', 'brsf', 'frsf'] as const;
type Variant = (typeof VARIANTS)[number];

interface FaState {
  /** Per block: the fixed random matrix (fa: B itself; frsf: the magnitudes R), shaped like W. */
  fixed: Array<Tensor | null>;
}

/** A linear map x·Wᵀ + b whose input cotangent is g·B instead of g·W. */
const feedbackLinear = (B: Tensor | null) =>
  customVjp(
    'feedbackLinear',
    (x: Tensor, w: Tensor, b: Tensor) => ({ out: linear(x, w, b), saved: [x] }),
    ([x], g) => [B ? matmul(g, B) : null, matmul(g, x, true, false), sum(g, 0)],
  );

function drawLike(w: Tensor, init: string, rng: Rng): Tensor {
  return initByName(init)([w.shape[0], w.shape[1]], rng);
}

/** B for one block at the current weights. */
function feedbackMatrix(variant: Variant, w: Tensor, fixed: Tensor | null, init: string, rng: Rng): Tensor {
  if (variant === 'fa') return fixed as Tensor;
  const B = w.clone();
  const mags = variant === 'frsf' ? (fixed as Tensor) : variant === 'brsf' ? drawLike(w, init, rng) : null;
  let std = 0;
  if (!mags) {
    let m = 0;
    for (let i = 0; i < w.size; i++) m += w.data[i];
    m /= w.size;
    for (let i = 0; i < w.size; i++) std += (w.data[i] - m) ** 2;
    std = Math.sqrt(std / w.size);
  }
  for (let i = 0; i < B.size; i++) {
    const s = Math.sign(w.data[i]);
    B.data[i] = mags ? s * Math.abs(mags.data[i]) : s * std;
  }
  return B;
}

export const feedbackAlignment = defineRule({
  id: 'feedback-alignment',
  description: 'Errors travel down through fixed random (or sign-symmetric) feedback matrices instead of Wᵀ.',
  defaults: { variant: 'fa' as string, init: 'xavierUniform' },
  choices: { variant: VARIANTS, init: ['xavierUniform', 'xavierNormal', 'heUniform', 'heNormal'] },
  references: [
    { source: 'Sanfiz & Akrout 2021 (BioTorch), LeNet', dataset: 'mnist', metric: 'test error %', value: 1.7, note: 'FA' },
  ],
  init(ctx): FaState {
    const variant = ctx.options.variant as Variant;
    const rng = ctx.rng.child('feedback');
    // Block 0's input is the data: no error is sent below it, so it needs no B.
    const fixed = ctx.model.blocks.map((b) =>
      b.index > 0 && (variant === 'fa' || variant === 'frsf') ? drawLike(ctx.params[b.weight], ctx.options.init, rng.child(b.name)) : null,
    );
    return { fixed };
  },
  step(ctx, state, batch) {
    const variant = ctx.options.variant as Variant;
    const rng = ctx.rng.child(ctx.step);
    const B = ctx.model.blocks.map((b) =>
      b.index > 0 ? feedbackMatrix(variant, ctx.params[b.weight], state.fixed[b.index], ctx.options.init, rng.child(b.name)) : null,
    );
    const fwd = {
      training: true,
      rng: rng.child('dropout'),
      linear: (b: Block, x: Tensor, w: Tensor, bias: Tensor) => feedbackLinear(B[b.index])(x, w, bias),
    };
    const { value, grads } = valueAndGrad((p: Tensor[]) => ctx.task.loss(ctx.model.forward(p, batch.x, fwd).out, batch))([...ctx.params]);
    return { updates: grads, state, loss: value.item(), metrics: {} };
  },
  diagnostics(ctx, state) {
    const out: Record<string, number> = {};
    const variant = ctx.options.variant as Variant;
    for (const b of ctx.model.blocks) {
      if (b.index === 0) continue;
      const w = ctx.params[b.weight];
      const B = feedbackMatrix(variant, w, state.fixed[b.index], ctx.options.init, ctx.rng.child('diagnostics'));
      const c = compare(B, w);
      out[`${b.name}.feedbackAngleDeg`] = c.angleDeg;
      out[`${b.name}.feedbackNormRatio`] = c.normRatio;
    }
    return out;
  },
});
