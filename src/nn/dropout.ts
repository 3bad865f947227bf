// Inverted dropout: kept units are scaled by 1/(1−p) in training so evaluation needs no rescale.
// The mask comes from the Rng passed in (a per-purpose stream), never from hidden global state.
import { SpecError } from '../errors.ts';
import { mul } from '../autograd/ops.ts';
import type { Rng } from '../random.ts';
import { empty, type Shape, type Tensor } from '../tensor/tensor.ts';
import { leaf, type Module } from './module.ts';

function checkP(p: number): void {
  if (!(p >= 0 && p < 1)) throw new SpecError(`dropout: p must be in [0, 1), got ${p}`);
}

/** The scaled keep mask: 1/(1−p) with probability 1−p, else 0; one draw per element in order. */
export function dropoutMask(shape: Shape, p: number, rng: Rng): Tensor {
  checkP(p);
  const mask = empty(shape);
  const scale = 1 / (1 - p);
  for (let i = 0; i < mask.size; i++) mask.data[i] = rng.uniform() < p ? 0 : scale;
  return mask;
}

/** x ⊙ mask in training; x itself (no op, no draws) when not training or p = 0. */
export function dropout(x: Tensor, p: number, rng: Rng, training = true): Tensor {
  checkP(p);
  if (!training || p === 0) return x;
  return mul(x, dropoutMask(x.shape, p, rng));
}

/** Dropout as a module: masks from this step's stream, child(path), so every pass of a step agrees. */
export function dropoutModule(path: string, inShape: readonly number[], p: number): Module {
  checkP(p);
  return leaf({
    kind: 'dropout',
    path,
    inShape,
    outShape: inShape,
    apply(x, ctx) {
      if (!ctx.training || p === 0) return x;
      if (!ctx.rng)
        throw new SpecError(`dropout at "${path}": a training pass needs the step's stream (pass ctx.train as the forward options)`);
      return mul(x, dropoutMask(x.shape, p, ctx.rng.child(path)));
    },
  });
}
