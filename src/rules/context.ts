// Building a rule's context: the one place that decides what a training pass and an
// evaluation pass of a step see (the runner, the conformance suite, tests and tools use it).
import type { Model } from '../nn/model.ts';
import type { BatchStats } from '../nn/module.ts';
import type { Rng } from '../random.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { ruleOptions, type AnyRule, type RuleContext, type RuleOptions } from './rule.ts';
import type { Task } from './task.ts';

export interface ContextParts {
  model: Model;
  task: Task;
  params: readonly Tensor[];
  /** Batch-norm running statistics (model.initBuffers()); needed to evaluate models with batch norm. */
  buffers?: readonly Tensor[];
  /** The rule (its defaults fill options it is not given). */
  rule: AnyRule;
  options?: RuleOptions;
  /** The rule's own stream. */
  rng: Rng;
  /** The trial's dropout stream: step s draws its masks from dropout.child(s). */
  dropout: Rng;
  step: number;
  /** Steps per epoch (default 1: where there are no epochs, as in the conformance suite's single batch). */
  stepsPerEpoch?: number;
  /** Collects this step's batch statistics (commit them to the buffers after the step). */
  stats?: BatchStats;
}

export function ruleContext(c: ContextParts): RuleContext {
  return {
    model: c.model,
    task: c.task,
    params: c.params,
    step: c.step,
    epoch: c.step < 0 ? -1 : Math.floor(c.step / (c.stepsPerEpoch ?? 1)),
    stepsPerEpoch: c.stepsPerEpoch ?? 1,
    rng: c.rng,
    options: ruleOptions(c.rule, c.options),
    train: { training: true, rng: c.dropout.child(c.step), stats: c.stats },
    infer: { training: false, buffers: c.buffers ?? c.model.initBuffers() },
  };
}
