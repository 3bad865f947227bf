// What a training step costs, in one unit every rule shares: forward-pass equivalents. The
// convention, stated here once (docs/rules.md and every rule's `cost` refer to it):
//
//   1  one forward pass of the model over one training batch (its multiply-adds);
//   2  one backward pass through the model: the input VJP and the weight VJP, each about as much
//      work as the forward (a weight gradient alone, with no error sent further down, counts 1);
//   so a backprop step costs 1 + 2 = 3.
//
// A rule counts what its algorithm needs — its passes, phases, population members, inference
// steps, directions — at the size of the training batch, from its options and the model's size.
// Work that does not grow with the model (a loss, a softmax) and work of a different order
// (drawing O(parameters) noise, an optimizer's update) is left out: the model is of the algorithm,
// not of our implementation, which `npm run bench` measures against it (modelRatio vs ratioToBp).
import { SpecError } from '../errors.ts';
import type { Model } from '../nn/model.ts';
import { weightSlot } from '../nn/weight-layer.ts';

/** One forward pass over a training batch. */
export const FORWARD = 1;
/** The error sent through every layer to its input (a layer's input VJP), alone. */
export const INPUT_VJP = 1;
/** Every layer's weight gradient from its error and input (its weight VJP, an outer product), alone. */
export const WEIGHT_GRADIENT = 1;
/** One backward pass: the input VJP and the weight gradients. */
export const BACKWARD = INPUT_VJP + WEIGHT_GRADIENT;
/** A backprop step: the unit a rule's cost is compared with (`npm run bench`'s modelRatio is cost ÷ this). */
export const BACKPROP_STEP = FORWARD + BACKWARD;

/** What a rule's cost model may read besides its options (O: the rule's options, rule.ts). */
export interface CostContext<O = Record<string, unknown>> {
  readonly options: O;
  /** Trainable parameters of the model (a population size may follow it, as CMA-ES's default λ). */
  readonly parameters: number;
  /** Examples per training batch (a rule's own batches, such as weight mirroring's noise, are counted against it). */
  readonly batchSize: number;
  /**
   * Each weight layer's share of a forward pass's multiply-adds, in forward order (they sum to 1):
   * for a rule whose passes skip some layers, as relaxation does the input's drive, fixed while the
   * states settle.
   */
  readonly layerShares: readonly number[];
}

/** The cost context of `options` on `model` at `batchSize`: its parameter count and its weight layers' shares of the work. */
export function costContext<O>(model: Model, options: O, batchSize: number): CostContext<O> {
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  const parameters = model.paramShapes().reduce((n, s) => n + size(s), 0);
  // A dense or conv weight is [outputs, ...]: each output unit at each position costs its row.
  const macs = model.weightLayers().map((m) => {
    const w = weightSlot(m).shape;
    return (size(w) * size(m.outShape)) / w[0];
  });
  const total = macs.reduce((a, b) => a + b, 0);
  return { options, parameters, batchSize, layerShares: total > 0 ? macs.map((x) => x / total) : [] };
}

/** Refuse a rule without a cost model, in one line naming it (`where`: the file or field it came from). */
export function checkCostModel(rule: { id: string; cost?: unknown }, where: string): void {
  if (typeof rule.cost !== 'function')
    throw new SpecError(
      `${where}: rule "${rule.id}" declares no cost model; add cost: (c) => forward-pass equivalents per training step (backprop's is 3, see src/rules/cost.ts)`,
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
