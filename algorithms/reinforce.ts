// REINFORCE / score-function estimator (Williams 1992) for nets of stochastic binary units
// h ~ Bernoulli(σ(a)) in place of the activations. Each layer's update is (L − b) · ∇ log p(h | a);
// the layers after the last stochastic one get their pathwise gradient. Unbiased for the gradient of the
// expected loss; its variance is controlled by the baseline b, which never depends on the
// current sample (so it adds no bias):
//   none            b = 0
//   moving-average  b = bias-corrected running mean of the batch loss (momentum)
//   learned         moving average + a linear function of the input, fitted to the loss by
//                   normalized LMS (an input-dependent baseline, as in NVIL)
//   leave-one-out   with samples ≥ 2: the mean loss of the other samples of the same input
// `samples` draws per input are averaged. Prediction as in straight-through.
import {
  add,
  bernoulliSample,
  BERNOULLI_OPS,
  defineRule,
  empty,
  mul,
  perExampleLoss,
  predictStochastic,
  stochasticPredicts,
  refuseSequenceTask,
  reshape,
  scalar,
  SpecError,
  stochasticPaths,
  sum,
  tileBatch,
  unitNoiseDraws,
  valueAndGrad,
  withUnits,
  type Batch,
  type StochasticPrediction,
  type Tensor,
  type Model,
  type StochasticNet,
} from '../src/core.ts';

const BASELINES = ['none', 'moving-average', 'learned', 'leave-one-out'] as const;
type Baseline = (typeof BASELINES)[number];

export interface ReinforceState {
  /** Running mean of the batch loss (before bias correction) and how many batches it has seen. */
  average: number;
  count: number;
  /** Learned baseline: weights over the input features and an offset (null unless 'learned'). */
  weights: Tensor | null;
  offset: number;
}

/** The stochastic network this rule trains: the chosen activations as Bernoulli(σ(slope·a)) units. */
const netOf = (ctx: { model: Model; options: { at: string; slope: number } }): StochasticNet => ({
  paths: stochasticPaths(ctx.model, ctx.options.at, 'reinforce'),
  slope: ctx.options.slope,
});

export const reinforce = defineRule({
  id: 'reinforce',
  updateWaitsFor: 'output-error',
  description: 'Stochastic binary hidden units trained by the score-function (REINFORCE) estimator with a baseline.',
  defaults: {
    baseline: 'moving-average' as string,
    momentum: 0.9,
    baselineLr: 0.1,
    samples: 1,
    predict: 'expected' as string,
    predictSamples: 1,
    slope: 1,
    at: 'all',
  },
  choices: { baseline: BASELINES, predict: ['expected', 'sample'] },
  // Per sample (the batch tiled samples times): a forward, and a backward for ∇ log p (and the
  // pathwise gradients above the last stochastic layer).
  cost: ({ options, backpropStep }) => Math.max(1, Math.floor(options.samples)) * backpropStep,
  // Its uniform draw a stochastic unit, per sample (src/rules/cost.ts).
  noiseDraws: (c) => unitNoiseDraws(c, c.options.at, BERNOULLI_OPS, Math.max(1, Math.floor(c.options.samples))),
  search: { baselineLr: { float: [1e-3, 1], log: true }, momentum: { float: [0.5, 0.99] }, slope: { float: [0.5, 8], log: true } },
  estimates: 'expected-gradient',
  predicts: (o) => stochasticPredicts(o.predict),
  stochastic: (ctx) => netOf(ctx),
  check(ctx) {
    refuseSequenceTask(
      ctx.task,
      ctx.model,
      'reinforce',
      'its units are scored by per-sample losses and its reference is the expected gradient of one output per sample',
    );
    netOf(ctx);
  },
  init(ctx): ReinforceState {
    const baseline = ctx.options.baseline as Baseline;
    if (!BASELINES.includes(baseline))
      throw new SpecError(`reinforce: option baseline must be one of ${BASELINES.join(', ')}, got '${baseline}'`);
    if (baseline === 'leave-one-out' && !(ctx.options.samples >= 2)) {
      throw new SpecError(`reinforce: baseline 'leave-one-out' needs samples ≥ 2, got ${ctx.options.samples}`);
    }
    return { average: 0, count: 0, weights: baseline === 'learned' ? empty([ctx.model.inputSize]) : null, offset: 0 };
  },
  step(ctx, state, batch) {
    const { momentum, baselineLr } = ctx.options;
    const baseline = ctx.options.baseline as Baseline;
    const samples = Math.max(1, Math.floor(ctx.options.samples));
    const n = batch.size;
    const rows = n * samples;
    const tiled: Batch = samples > 1 ? tileBatch(batch, samples) : batch;
    const rng = ctx.rng.child(ctx.step);
    const avgHat = state.count > 0 ? state.average / (1 - momentum ** state.count) : 0;
    const features = batch.x.size / n;
    // The input-dependent part of the learned baseline, per example.
    const learned = new Float64Array(n);
    if (state.weights) {
      for (let i = 0; i < n; i++) {
        let s = state.offset;
        for (let k = 0; k < features; k++) s += state.weights.data[k] * batch.x.data[i * features + k];
        learned[i] = s;
      }
    }
    const baselineOf = (perRow: Tensor, r: number): number => {
      const i = r % n;
      switch (baseline) {
        case 'none':
          return 0;
        case 'moving-average':
          return avgHat;
        case 'learned':
          return avgHat + learned[i];
        case 'leave-one-out': {
          let tot = 0;
          for (let t = 0; t < samples; t++) tot += perRow.data[t * n + i];
          return (tot - perRow.data[r]) / (samples - 1);
        }
      }
    };
    const net = netOf(ctx);
    const objective = (p: Tensor[]) => {
      const logps: Tensor[] = [];
      const model = withUnits(ctx.model, net, (a, path) => {
        // The sample and log p(h | a), whose backward is the score h − σ(a), from one pass over a.
        const { h, logProb: lp } = bernoulliSample(a, rng.child(path), 'score');
        logps.push(sum(reshape(lp!, [lp!.shape[0], lp!.size / lp!.shape[0]]), 1));
        return h;
      });
      const out = model.forward(p, tiled.x, ctx.train);
      const perRow = perExampleLoss(ctx.task, out, tiled);
      const signal = empty([rows]);
      for (let r = 0; r < rows; r++) signal.data[r] = perRow.data[r] - baselineOf(perRow, r);
      const logp = logps.length ? logps.reduce((a, b) => add(a, b)) : null;
      const surrogate = logp ? add(perRow, mul(signal, logp)) : perRow;
      return { loss: mul(sum(surrogate), scalar(1 / rows)), aux: { perRow, signal } };
    };
    const { grads, aux } = valueAndGrad(objective)([...ctx.params]);
    const { perRow, signal } = aux!;
    let loss = 0;
    let signalSq = 0;
    for (let r = 0; r < rows; r++) {
      loss += perRow.data[r] / rows;
      signalSq += signal.data[r] ** 2 / rows;
    }
    // The baseline learns from this batch only after it has been used on it.
    const next: ReinforceState = {
      average: momentum * state.average + (1 - momentum) * loss,
      count: state.count + 1,
      weights: state.weights,
      offset: state.offset,
    };
    if (state.weights) {
      // Normalized LMS on the residual the moving average leaves, per example.
      let xx = 0;
      for (let k = 0; k < n * features; k++) xx += batch.x.data[k] ** 2;
      const step = baselineLr / (1 + xx / n);
      const w = state.weights.clone();
      let offset = state.offset;
      for (let i = 0; i < n; i++) {
        let li = 0;
        for (let t = 0; t < samples; t++) li += perRow.data[t * n + i] / samples;
        const err = learned[i] - (li - avgHat);
        const c = (step * err) / n;
        for (let k = 0; k < features; k++) w.data[k] -= c * batch.x.data[i * features + k];
        offset -= c;
      }
      next.weights = w;
      next.offset = offset;
    }
    return { updates: grads, state: next, loss, metrics: { baseline: avgHat, signalRms: Math.sqrt(signalSq) } };
  },
  predict(ctx, _state, x) {
    const mode = ctx.options.predict as StochasticPrediction;
    return predictStochastic(ctx.model, netOf(ctx), ctx.params, x, mode, ctx.options.predictSamples, ctx.rng.child('predict'), ctx.infer);
  },
});
