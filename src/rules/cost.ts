// What a training step costs, in one unit every rule shares: forward-pass equivalents, counted
// from the model's layer shapes (their multiply-adds), stated here once (docs/rules.md and every
// rule's `cost` refer to it). Weight layer l costs F_l multiply-adds in a forward pass over one
// training batch, F = Σ F_l; then
//
//   FORWARD          1: one forward pass, F;
//   WEIGHT_GRADIENT  1: every layer's weight gradient (an outer product of its error and input), Σ F_l;
//   inputVjp         the error sent from each layer to its input, Σ F_l ÷ F over the layers whose
//                    input needs it: none does where no trainable module comes before the layer
//                    (the first layer's input is the data), so for an MLP it is 1 − the first
//                    layer's share;
//   backward         inputVjp + WEIGHT_GRADIENT;
//   backpropStep     FORWARD + backward: backprop's step, what every rule's cost is divided by to
//                    compare it with backprop (`npm run bench`'s modelRatio), computed on the
//                    model at hand rather than assumed (784-256-256-10: 2.25, not 3).
//
// A rule counts what its algorithm needs — its passes, phases, population members, inference
// steps, directions — at the size of the training batch, from its options and the context below.
// Work that does not grow with the model's multiply-adds (a loss, a softmax, elementwise
// activations) and O(parameters) work (an optimizer's update) is left out: the model is of the
// algorithm's passes, not of our implementation, which `npm run bench` measures against it
// (modelRatio vs ratioToBp). Records and forwardPasses budgets count `cost` alone.
//
// One O(parameters) term is the algorithm's own where a rule regenerates its noise rather than
// storing it (MeZO by its paper's design; ES, CMA-ES and forward gradients here, for the same
// memory): a rule declares `noiseDraws`, the full-width Gaussian draws of a step, and the bench's
// model (modelStepCost) adds each at `gaussianDraw` forward-pass equivalents, derived below from
// operation counts, not fitted to timings. The counter-based Gaussian (kernels/noise.ts, the
// reference) spends per Box–Muller pair: two hashed words, 37 integer operations (four rounds of
// 8 and 5 to combine them); the logarithm, 30 (the mantissa and exponent 9, (m − 1)/(m + 1) 3,
// the series in s² 15, the exponent's ln 2 term 3); the radius, 2; the angle, 7; the sine's
// series 13 and the cosine's 14; the quadrant, 7; r·cos and r·sin, 2; and per value 2 to scale
// it and add it to its parameter: 116 a pair, GAUSSIAN_OPS = 58 a value. A forward pass spends 2
// operations (a multiply and an add) per multiply-add, B·M for a batch of B examples at M
// multiply-adds each, so one draw over P parameters costs 58·P / (2·B·M) forward passes: 0.227
// on the 784-256-256-10 MLP at batch 128 (P ≈ M, so about 29/B). The count is of operations, not
// of our kernels' speed: ours computes in f64 (the reference's bits on every backend) at two
// SIMD lanes an operation against matmul's four f32, with a division and a square root a pair,
// so a draw takes several times its count there (docs/results.md), the rest of the gap to its model.
//
// Noise drawn per unit rather than per parameter is the algorithm's own too where a rule samples
// its units (stochastic binary units: a Gumbel-softmax unit's logistic draw, a REINFORCE unit's
// uniform draw), B·U values a step for U units an example: it is declared in the same unit
// (unitNoiseDraws: operations ÷ GAUSSIAN_OPS·P), so it costs ops·U / (2·M) forward passes. A
// logistic value spends its hashed word 18, the complement 1, two logarithms 30 each (counted
// above), their difference 1 and its addition to the unit's input 1: LOGISTIC_OPS = 81; a uniform
// one its word 18, (w + ½)·2⁻³² 2 and the comparison with σ(a) 1: BERNOULLI_OPS = 21. The unit's
// own σ (the relaxation's, the firing probability) is its activation, left out as every rule's is.
import { SpecError } from '../errors.ts';
import type { Model } from '../nn/model.ts';
import { isWeightLayer, weightSlot } from '../nn/weight-layer.ts';

/** One forward pass over a training batch: the unit. */
export const FORWARD = 1;
/** Every layer's weight gradient from its error and input (its weight VJP), alone: as many multiply-adds as the forward. */
export const WEIGHT_GRADIENT = 1;
/** Operations per value of the counter-based Gaussian draw, added to its parameter (counted above). */
export const GAUSSIAN_OPS = 58;
/** Operations per ±1 value: its hashed word 18, the sign 2, the scale and add 2 (a Rademacher draw counts 22/58 of a Gaussian one). */
export const RADEMACHER_OPS = 22;
/** Operations per logistic value added to a unit's input (a Gumbel-softmax sample; counted above). */
export const LOGISTIC_OPS = 81;
/** Operations per uniform value compared with a unit's firing probability (a Bernoulli sample; counted above). */
export const BERNOULLI_OPS = 21;
/** `n` full-width draws of a noise kind in Gaussian draws (what noiseDraws returns). */
export const gaussianDraws = (kind: string, n: number): number => (kind === 'rademacher' ? (n * RADEMACHER_OPS) / GAUSSIAN_OPS : n);
/** Operations per multiply-add of a forward pass: a multiply and an add. */
const MAC_OPS = 2;

/** A weight layer's work in one forward pass, and whether the error must reach its input (a trainable module lies below it). */
export interface LayerWork {
  readonly macs: number;
  readonly inputGradient: boolean;
}

/** What a rule's cost model may read besides its options (O: the rule's options, rule.ts). */
export interface CostContext<O = Record<string, unknown>> {
  readonly options: O;
  /** Trainable parameters of the model (a population size may follow it, as CMA-ES's default λ). */
  readonly parameters: number;
  /** Examples per training batch (a rule's own batches, such as weight mirroring's noise, are counted against it). */
  readonly batchSize: number;
  /** Multiply-adds of one forward pass per example: the unit's size, for a rule that runs nets of its own beside the model. */
  readonly macs: number;
  /**
   * The model, for a rule whose own nets' sizes follow its shapes (synthetic gradients'
   * synthesizers); null in a context built from layer shares alone (layerCostContext).
   */
  readonly model: Model | null;
  /**
   * Each weight layer's share of a forward pass's multiply-adds, in forward order (they sum to 1):
   * for a rule whose passes skip some layers, as relaxation does the input's drive, fixed while the
   * states settle.
   */
  readonly layerShares: readonly number[];
  /** The error sent from every layer to its input, where the input needs it (see above): 1 − the first layer's share for an MLP. */
  readonly inputVjp: number;
  /** One backward pass: inputVjp + WEIGHT_GRADIENT. */
  readonly backward: number;
  /** A backprop step, FORWARD + backward: the figure `npm run bench`'s modelRatio divides a rule's cost by. */
  readonly backpropStep: number;
  /** One Gaussian draw over every parameter, in forward-pass equivalents: GAUSSIAN_OPS·parameters / (2 · the forward's multiply-adds). */
  readonly gaussianDraw: number;
  /** Units an example at each activation module's output, by path (where a rule of stochastic units draws its noise). */
  readonly activationUnits: Readonly<Record<string, number>>;
}

/**
 * Noise of `ops` operations a value drawn at every unit of the activations `at` ('all' or a
 * comma-separated list of paths, as stochastic rules take it), `samples` times an example, in
 * Gaussian draws over every parameter (noiseDraws's unit; see above).
 */
export function unitNoiseDraws(c: CostContext<unknown>, at: string, ops: number, samples = 1): number {
  const paths = at === 'all' ? Object.keys(c.activationUnits) : at.split(',').map((p) => p.trim());
  const units = paths.reduce((n, p) => n + (c.activationUnits[p] ?? 0), 0);
  return c.parameters > 0 ? (ops * samples * c.batchSize * units) / (GAUSSIAN_OPS * c.parameters) : 0;
}

/**
 * The cost context of `options` for a model with `parameters` and these weight layers (forward
 * order; their multiply-adds per example), at `batchSize`; `model`, where there is one, for the
 * rules that read its shapes; `activationUnits` by path.
 */
export function layerCostContext<O>(
  options: O,
  parameters: number,
  batchSize: number,
  layers: readonly LayerWork[],
  model: Model | null = null,
  activationUnits: Readonly<Record<string, number>> = {},
): CostContext<O> {
  const total = layers.reduce((a, l) => a + l.macs, 0);
  const share = (macs: number) => (total > 0 ? macs / total : 0);
  const inputVjp = layers.reduce((a, l) => a + (l.inputGradient ? share(l.macs) : 0), 0);
  const backward = inputVjp + WEIGHT_GRADIENT;
  return {
    options,
    parameters,
    batchSize,
    macs: total,
    model,
    layerShares: layers.map((l) => share(l.macs)),
    inputVjp,
    backward,
    backpropStep: FORWARD + backward,
    gaussianDraw: total > 0 ? (GAUSSIAN_OPS * parameters) / (MAC_OPS * batchSize * total) : 0,
    activationUnits,
  };
}

/** The cost context of `options` on `model` at `batchSize`, from its layers' shapes. */
export function costContext<O>(model: Model, options: O, batchSize: number): CostContext<O> {
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  const parameters = model.paramShapes().reduce((n, s) => n + size(s), 0);
  const layers: LayerWork[] = [];
  // Leaves in forward order: a weight layer's input needs the error once any leaf before it trains.
  let trainableBelow = false;
  for (const m of model.modules()) {
    if (isWeightLayer(m)) {
      // A dense or conv weight is [outputs, ...]: each output unit at each position costs its row.
      const w = weightSlot(m).shape;
      layers.push({ macs: (size(w) * size(m.outShape)) / w[0], inputGradient: trainableBelow });
      trainableBelow = true;
    } else if (!m.children.length && Object.keys(m.params).length) trainableBelow = true;
  }
  const units = Object.fromEntries(model.activations().map((m) => [m.path, size(m.outShape)]));
  return layerCostContext(options, parameters, batchSize, layers, model, units);
}

/**
 * What the bench's model expects a step of `rule` to cost: its cost model's forward-pass
 * equivalents plus its declared Gaussian draws at c.gaussianDraw each (see above).
 */
export function modelStepCost<O>(
  rule: { id: string; cost(c: CostContext<O>): number; noiseDraws?(c: CostContext<O>): number },
  c: CostContext<O>,
): number {
  const draws = rule.noiseDraws?.(c) ?? 0;
  if (typeof draws !== 'number' || !Number.isFinite(draws) || draws < 0)
    throw new SpecError(
      `rule "${rule.id}": noiseDraws gave ${String(draws)} for options ${JSON.stringify(c.options)}; expected a number ≥ 0`,
    );
  return stepCost(rule, c) + draws * c.gaussianDraw;
}

/** Refuse a rule without a cost model, in one line naming it (`where`: the file or field it came from). */
export function checkCostModel(rule: { id: string; cost?: unknown }, where: string): void {
  if (typeof rule.cost !== 'function')
    throw new SpecError(
      `${where}: rule "${rule.id}" declares no cost model; add cost: (c) => forward-pass equivalents per training step (backprop's is c.backpropStep, see src/rules/cost.ts)`,
    );
}

/** Forward-pass equivalents per step of `rule` under `c`: its cost model's figure, checked to be a finite number ≥ 0. */
export function stepCost<O>(rule: { id: string; cost(c: CostContext<O>): number }, c: CostContext<O>): number {
  checkCostModel(rule, 'cost');
  const v = rule.cost(c);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new SpecError(
      `rule "${rule.id}": its cost model gave ${String(v)} for options ${JSON.stringify(c.options)}; expected a number ≥ 0`,
    );
  return v;
}
