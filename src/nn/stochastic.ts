// Stochastic and discrete units: Bernoulli(σ(a)) neurons, hard threshold / sign, categorical
// samples and the Gumbel-softmax (concrete) relaxation. Every draw comes from the Rng passed in.
import { SpecError, ShapeError } from '../errors.ts';
import { customVjp, noGrad } from '../autograd/functional.ts';
import { add, div, exp, logSoftmax, mul, neg, pick, sigmoid, sign, softmax, softplus, square, step, sub, sum } from '../autograd/ops.ts';
import { backend } from '../kernels/index.ts';
import type { BernoulliAux } from '../kernels/noise.ts';
import type { Rng } from '../random.ts';
import type { Batch, Task } from './task-types.ts';
import { empty, scalar, sizeOf, zeros, type Shape, type Tensor } from '../tensor/tensor.ts';
import { isActivation } from './activations.ts';
import type { Model } from './model.ts';
import { leaf, type ForwardOptions } from './module.ts';

/** 0/1 with P(1) = p, one uniform draw per element in storage order. Not recorded on a tape. */
export function bernoulli(p: Tensor, rng: Rng): Tensor {
  const out = empty(p.shape);
  for (let i = 0; i < p.size; i++) out.data[i] = rng.uniform() < p.data[i] ? 1 : 0;
  return out;
}

/**
 * A stochastic binary neuron: h ~ Bernoulli(σ(a)), a constant (no gradient; estimators add one).
 * The uniforms come from a counter-based stream keyed by `rng` (kernels/noise.ts), one per element.
 */
export function stochasticBinary(a: Tensor, rng: Rng): Tensor {
  return bernoulliSample(a, rng, null).h;
}

/**
 * h ~ Bernoulli(σ(a)) as stochasticBinary, with a by-product of σ from the same pass: 'slope'
 * σ′(a) = σ(1 − σ) (straight-through's sigmoid-adjusted backward), 'score' h − σ(a) (the
 * gradient of log p(h | a), REINFORCE's, which then also gets logProb: a differentiable
 * log p(h | a) whose backward is the score).
 */
export function bernoulliSample(a: Tensor, rng: Rng, kind: BernoulliAux | null): { h: Tensor; aux: Tensor | null; logProb: Tensor | null } {
  const h = empty(a.shape);
  const aux = kind ? empty(a.shape) : null;
  const lp = kind === 'score' ? empty(a.shape) : null;
  backend().bernoulliSigmoid(a.buf, rng.key(), h.buf, aux?.buf ?? null, kind, lp?.buf ?? null);
  const logProb =
    lp && aux
      ? customVjp(
          'bernoulliLogProb',
          (_x: Tensor) => ({ out: lp }),
          (_saved, g) => [mul(g, aux)],
          { jvp: ([t]) => (t ? mul(t, aux) : null) },
        )(a)
      : null;
  return { h, aux, logProb };
}

/** Deterministic hard threshold: 1 where a > 0, else 0 (zero gradient almost everywhere). */
export const hardThreshold = (a: Tensor): Tensor => step(a);

/** Deterministic sign unit: −1, 0 or +1 (zero gradient almost everywhere). */
export const hardSign = (a: Tensor): Tensor => sign(a);

/** log p(h | a) for h ~ Bernoulli(σ(a)), elementwise: h·a − softplus(a) (finite for any a). */
export function bernoulliLogProb(a: Tensor, h: Tensor): Tensor {
  return sub(mul(h, a), softplus(a));
}

function rows2(op: string, t: Tensor): [number, number] {
  if (t.rank !== 2) throw new ShapeError(`${op}: expects logits [rows, classes], got [${t.shape.join(', ')}]`);
  return [t.shape[0], t.shape[1]];
}

/** One class index per row, drawn from softmax(logits) (inverse CDF, one uniform per row). */
export function categorical(logits: Tensor, rng: Rng): Int32Array {
  const [n, k] = rows2('categorical', logits);
  const idx = new Int32Array(n);
  const p = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, logits.data[r * k + j]);
    let z = 0;
    for (let j = 0; j < k; j++) z += p[j] = Math.exp(logits.data[r * k + j] - m);
    let u = rng.uniform() * z;
    let j = 0;
    while (j < k - 1 && u >= p[j]) u -= p[j++];
    idx[r] = j;
  }
  return idx;
}

/** [n, k] one-hot rows. */
export function oneHot(idx: ArrayLike<number>, k: number): Tensor {
  const out = empty([idx.length, k]);
  for (let r = 0; r < idx.length; r++) out.data[r * k + idx[r]] = 1;
  return out;
}

/** A categorical sample over k classes as one-hot rows (a constant). */
export function categoricalSample(logits: Tensor, rng: Rng): Tensor {
  return oneHot(categorical(logits, rng), logits.shape[1]);
}

/** Standard Gumbel noise −log(−log u). */
export function gumbelNoise(shape: Shape, rng: Rng): Tensor {
  const out = empty(shape);
  for (let i = 0; i < out.size; i++) {
    let u = 0;
    while (u === 0) u = rng.uniform();
    out.data[i] = -Math.log(-Math.log(u));
  }
  return out;
}

/** Standard logistic noise log u − log(1 − u): the difference of two Gumbels. */
export function logisticNoise(shape: Shape, rng: Rng): Tensor {
  // Counter-based draws keyed by rng (kernels/noise.ts): one pass, no serial generator.
  const out = zeros(shape);
  backend().addNoise(out.buf, 1, rng.key(), 0, 'logistic', null);
  return out;
}

function checkTemperature(op: string, tau: number): void {
  if (!(tau > 0 && Number.isFinite(tau))) throw new SpecError(`${op}: temperature must be a positive number, got ${tau}`);
}

/** Forward: the one-hot arg-max of each row of y; backward: the cotangent passes to y unchanged. */
const hardOneHot = customVjp(
  'hardOneHotST',
  (y: Tensor) => {
    const [n, k] = rows2('gumbelSoftmax', y);
    const idx = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (y.data[r * k + j] > y.data[r * k + best]) best = j;
      idx[r] = best;
    }
    return { out: oneHot(idx, k) };
  },
  (_s, g) => [g],
);

/** Forward: 1 where y > ½ else 0; backward: the cotangent passes to y unchanged. */
const hardHalf = customVjp(
  'hardBinaryST',
  (y: Tensor) => {
    const out = empty(y.shape);
    for (let i = 0; i < y.size; i++) out.data[i] = y.data[i] > 0.5 ? 1 : 0;
    return { out };
  },
  (_s, g) => [g],
);

/**
 * Gumbel-softmax / concrete sample of each row: softmax((logits + G) / τ). With `hard`, the
 * forward value is the one-hot arg-max (an exact categorical sample, by the Gumbel-max trick)
 * and the gradient is that of the soft sample (straight-through).
 */
export function gumbelSoftmax(logits: Tensor, temperature: number, rng: Rng, hard = false): Tensor {
  checkTemperature('gumbelSoftmax', temperature);
  rows2('gumbelSoftmax', logits);
  const g = gumbelNoise(logits.shape, rng);
  const y = softmax(div(add(logits, g), scalar(temperature)));
  return hard ? hardOneHot(y) : y;
}

/**
 * The two-class concrete relaxation of a Bernoulli(σ(a)) unit ("binary concrete"):
 * σ((a + L) / τ), L logistic. With `hard`, the forward value is 1[a + L > 0] — an exact
 * Bernoulli(σ(a)) sample — and the gradient is that of the relaxed value.
 */
export function binaryConcrete(a: Tensor, temperature: number, rng: Rng, hard = false): Tensor {
  checkTemperature('binaryConcrete', temperature);
  const key = rng.key();
  // One op on the tape, one pass over a: y and ∂y/∂a = y(1 − y)/τ, the noise from the key's stream.
  const y = customVjp(
    'binaryConcrete',
    (x: Tensor) => {
      const out = empty(x.shape);
      const slope = empty(x.shape);
      backend().binaryConcrete(x.buf, key, temperature, out.buf, slope.buf);
      return { out, saved: [slope] };
    },
    ([slope], g) => [mul(g, slope)],
    { jvp: ([t], _x, _out, [slope]) => (t ? mul(t, slope) : null) },
  )(a);
  return hard ? hardHalf(y) : y;
}

/** Per-example task loss [n] whose batch mean is task.loss (needed by score-function estimators). */
export function perExampleLoss(task: Task, out: Tensor, batch: Batch): Tensor {
  if (task.kind === 'classification') {
    if (!batch.labels) throw new SpecError('perExampleLoss: a classification batch needs labels');
    return neg(pick(logSoftmax(out), batch.labels));
  }
  if (!batch.targets) throw new SpecError('perExampleLoss: a regression batch needs targets');
  return mul(sum(square(sub(out, batch.targets)), 1), scalar(0.5));
}

/**
 * A stochastic binary network: the activations at `paths` become units h ~ Bernoulli(σ(slope·a)),
 * a the activation's input. Rules on such nets declare it, so the expected gradient they
 * estimate can be computed for exactly this network.
 */
export interface StochasticNet {
  readonly paths: readonly string[];
  readonly slope: number;
}

/**
 * The activations a rule's `at` option names: 'all', or comma-separated module paths (each must
 * be an activation). Errors name the rule and list the activations there are.
 */
export function stochasticPaths(model: Model, at: string, rule: string): string[] {
  const acts = model.activations().map((m) => m.path);
  if (!acts.length)
    throw new SpecError(`${rule}: the model has no activation modules to make stochastic (it needs hidden layers with an activation)`);
  if (at === 'all') return acts;
  const want = at
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const p of want) {
    if (!acts.includes(p))
      throw new SpecError(`${rule}: option at names "${p}", which is not an activation; the model's activations: ${acts.join(', ')}`);
  }
  return [...new Set(want)];
}

/**
 * `model` with the activations at `paths` replaced by units computing `unit(slope·a, path)`
 * (a sample, a relaxed sample, a fixed configuration, a mean-field value, …).
 */
export function withUnits(model: Model, net: StochasticNet, unit: (a: Tensor, path: string) => Tensor): Model {
  const chosen = new Set(net.paths);
  const scaled = (a: Tensor) => (net.slope === 1 ? a : mul(a, scalar(net.slope)));
  return model.map((m) =>
    chosen.has(m.path) && isActivation(m)
      ? leaf({ kind: 'stochastic', path: m.path, inShape: m.inShape, outShape: m.outShape, apply: (a) => unit(scaled(a), m.path) })
      : m,
  );
}

/** Number of stochastic units per example. */
export function stochasticUnits(model: Model, net: StochasticNet): number {
  return net.paths.reduce((s, p) => s + sizeOf(model.find(p)?.outShape ?? []), 0);
}

/**
 * How a net of stochastic binary units classifies. 'expected' (mean field): each unit outputs
 * its firing probability σ(slope·a) — deterministic and one pass. 'sample': average the class
 * probabilities over `samples` binary forward passes drawn from `rng`.
 */
export type StochasticPrediction = 'expected' | 'sample';
export const STOCHASTIC_PREDICTIONS: readonly StochasticPrediction[] = ['expected', 'sample'];

/** What predictStochastic returns in `mode` (a rule's `predicts`): the net's logits, or sampled class probabilities. */
export const stochasticPredicts = (mode: unknown): 'logits' | 'probabilities' => (mode === 'sample' ? 'probabilities' : 'logits');

export function predictStochastic(
  model: Model,
  net: StochasticNet,
  params: readonly Tensor[],
  x: Tensor,
  mode: StochasticPrediction,
  samples: number,
  rng: Rng,
  opts: ForwardOptions = {},
): Tensor {
  return noGrad(() => {
    if (mode === 'expected') return withUnits(model, net, (a) => sigmoid(a)).forward(params, x, opts);
    if (mode !== 'sample') throw new SpecError(`predictStochastic: mode must be 'expected' or 'sample', got '${String(mode)}'`);
    const s = Math.max(1, Math.floor(samples));
    let acc: Tensor | null = null;
    for (let i = 0; i < s; i++) {
      const r = rng.child(i);
      const out = withUnits(model, net, (a, path) => stochasticBinary(a, r.child(path))).forward(params, x, opts);
      const p = out.rank === 2 && out.shape[1] > 1 ? exp(logSoftmax(out)) : out;
      if (acc === null) acc = p.clone();
      else for (let k = 0; k < acc.size; k++) acc.data[k] += p.data[k];
    }
    const res = acc as Tensor;
    for (let k = 0; k < res.size; k++) res.data[k] /= s;
    return res;
  });
}
