// The task loss of a batch and its backprop gradient: what every gradient-based rule computes,
// written once (rules differ in the network they run it through, not in this line).
import { valueAndGrad } from '../autograd/functional.ts';
import type { Model } from '../nn/model.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { RuleContext } from './rule.ts';
import type { Batch } from './task.ts';

export interface TaskLossOptions {
  /** The network to run (default ctx.model): e.g. ctx.model with feedback layers swapped in. */
  model?: Model;
  /** Applied to the network's output before the loss (e.g. a customVjp that catches the output error). */
  output?: (out: Tensor) => Tensor;
}

/** The task loss of `batch` as a function of the parameters, through the step's training pass (its dropout masks). */
export function taskLoss(
  ctx: Pick<RuleContext, 'model' | 'task' | 'train'>,
  batch: Batch,
  o: TaskLossOptions = {},
): (params: readonly Tensor[]) => Tensor {
  const model = o.model ?? ctx.model;
  return (params) => {
    const out = model.forward(params, batch.x, ctx.train);
    return ctx.task.loss(o.output ? o.output(out) : out, batch);
  };
}

/** The task loss of `batch` at ctx.params and its gradient for every parameter, by backprop through `o.model`. */
export function taskGradient(
  ctx: Pick<RuleContext, 'model' | 'task' | 'train' | 'params'>,
  batch: Batch,
  o: TaskLossOptions = {},
): { loss: number; grads: Tensor[] } {
  const loss = taskLoss(ctx, batch, o);
  const { value, grads } = valueAndGrad((p: Tensor[]) => loss(p))([...ctx.params]);
  return { loss: value.item(), grads };
}
