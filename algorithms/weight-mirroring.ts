// Weight mirroring (Akrout et al. 2019, "Deep learning without weight transport"): feedback
// alignment whose feedback tensor B learns W in a mirror phase. Before each learning step, white
// noise x ~ N(0, σ²) is driven through every weight layer but those reading the data, y = f(x; W) without
// bias, and B ← B + η·⟨y xᵀ⟩ − λB — a local, Hebbian correlation of the layer's own input and
// output, averaged per term. Since E⟨y xᵀ⟩ = σ²·W (dense and conv alike), B settles at (ησ²/λ)·W:
// with the defaults η = λ and σ = 1, at W itself. The learning step is then FA's with that B.
//
// Estimates: the task gradient — FA's approximation of backprop, exact as B → W — so alignment
// is measured against backprop, as for FA.
import {
  defineRule,
  feedbackDiagnostics,
  feedbackLayers,
  FORWARD,
  WEIGHT_GRADIENT,
  initialFeedback,
  noGrad,
  normal,
  ones,
  requireFeedbackLayers,
  SpecError,
  taskGradient,
  withFeedback,
  type Tensor,
  refuseAdapters,
} from '../src/core.ts';

export const weightMirroringDefaults = {
  /** How B is drawn at the start: the layer's own weight scheme ('model') or a named one. */
  init: 'model' as string,
  /** Mirror updates of B per learning step. */
  mirrorSteps: 1,
  /**
   * Noise samples per mirror update. B is a running average over about m·(2/λ − 1) samples, and
   * its angle to W settles near √(inputs / that), so wider layers want more.
   */
  mirrorBatch: 64,
  /** η: rate of the correlation update. */
  mirrorLr: 0.05,
  /** λ: decay of B per mirror update (B settles at ησ²/λ · W). */
  mirrorDecay: 0.05,
  /** σ: standard deviation of the noise driven through each layer. */
  mirrorNoise: 1,
};
export type WeightMirroringOptions = typeof weightMirroringDefaults;

export interface WeightMirroringState {
  /** Per feedback layer path: B, shaped like its weight. */
  feedback: Record<string, Tensor>;
}

function checkOptions(o: WeightMirroringOptions): void {
  if (!(Number.isInteger(o.mirrorSteps) && o.mirrorSteps >= 0))
    throw new SpecError(`weight-mirroring: option mirrorSteps must be an integer ≥ 0, got ${o.mirrorSteps}`);
  if (!(Number.isInteger(o.mirrorBatch) && o.mirrorBatch >= 1))
    throw new SpecError(`weight-mirroring: option mirrorBatch must be an integer ≥ 1, got ${o.mirrorBatch}`);
  for (const k of ['mirrorLr', 'mirrorDecay', 'mirrorNoise'] as const) {
    if (!(Number.isFinite(o[k]) && o[k] >= 0)) throw new SpecError(`weight-mirroring: option ${k} must be a number ≥ 0, got ${o[k]}`);
  }
}

export const weightMirroring = defineRule({
  id: 'weight-mirroring',
  updateWaitsFor: 'layer-above',
  description:
    'Feedback alignment whose feedback tensors learn the weights in a mirror phase: noise driven through each layer, B updated by the correlation of its input and output.',
  defaults: weightMirroringDefaults,
  choices: { init: ['model', 'xavierUniform', 'xavierNormal', 'heUniform', 'heNormal'] },
  // FA's step, and per mirror step noise through every layer and its correlation y·xᵀ (a forward and
  // a weight gradient) on mirrorBatch examples, counted against the training batch.
  cost: ({ options, batchSize, backpropStep }) =>
    backpropStep + options.mirrorSteps * (FORWARD + WEIGHT_GRADIENT) * (options.mirrorBatch / batchSize),
  search: { mirrorLr: { float: [5e-3, 0.5], log: true }, mirrorDecay: { float: [5e-3, 0.5], log: true } },
  check(ctx) {
    refuseAdapters(
      'weight-mirroring',
      ctx.model,
      "it mirrors each weight into its feedback matrix through the weight's own gradient, and an adapted layer's weight is not a parameter",
    );
    requireFeedbackLayers('weight-mirroring', ctx.model);
    checkOptions(ctx.options);
  },
  init(ctx): WeightMirroringState {
    return { feedback: initialFeedback(ctx, ctx.options.init) };
  },
  step(ctx, state, batch) {
    const o = ctx.options;
    const rng = ctx.rng.child(ctx.step).child('mirror');
    noGrad(() => {
      for (const l of feedbackLayers(ctx.model)) {
        const w = ctx.params[l.params.weight.index];
        const B = state.feedback[l.path];
        // y xᵀ sums a term per sample (and, for a convolution, per output position whose window
        // covers that tap): the same correlation of all-ones counts those terms, tap by tap, so
        // the average is exactly σ²·W even where padding leaves border taps fewer terms.
        let count: Tensor | null = null;
        for (let s = 0; s < o.mirrorSteps; s++) {
          const x = normal([o.mirrorBatch, ...l.inShape], 0, o.mirrorNoise, rng.child(l.path).child(s));
          const y = l.map(x, w, null);
          count ??= l.paramVjp(ones(y.shape), ones(x.shape)).weight;
          const corr = l.paramVjp(y, x).weight;
          // Buffers read once: a tensor's data is a getter (it syncs a device copy), too dear per element.
          const [bd, cd, nd] = [B.data, corr.data, count.data];
          for (let k = 0; k < B.size; k++) bd[k] += (o.mirrorLr * cd[k]) / nd[k] - o.mirrorDecay * bd[k];
        }
      }
    });
    const model = withFeedback(ctx.model, new Map(Object.entries(state.feedback)));
    const { loss, grads } = taskGradient(ctx, batch, { model });
    return { updates: grads, state, loss, metrics: {} };
  },
  diagnostics(ctx, state) {
    return feedbackDiagnostics(ctx.model, ctx.params, (l) => state.feedback[l.path]);
  },
});
