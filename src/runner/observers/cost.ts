// What the training has cost, in forward-pass equivalents: the rule's cost model per step
// (src/rules/cost.ts) times the steps run, in every record; with a forwardPasses budget, the
// limit that stops training before the step that would overspend it.
import { SpecError } from '../../errors.ts';
import type { Model } from '../../nn/model.ts';
import { costContext, stepCost } from '../../rules/cost.ts';
import type { AnyRule, RuleOptions } from '../../rules/rule.ts';
import type { Budget } from '../budget.ts';
import type { Observer } from '../observer.ts';

/**
 * A trial's cost per step: its rule's cost model at its options, on its model and batch size.
 * A forwardPasses budget smaller than one step is refused (the trial could not train at all).
 */
export function trialStepCost(rule: AnyRule, options: RuleOptions, model: Model, batchSize: number, budget?: Budget): number {
  const perStep = stepCost(rule, costContext(model, options, batchSize));
  if (budget && 'forwardPasses' in budget && budget.forwardPasses < perStep)
    throw new SpecError(
      `budget.forwardPasses: ${budget.forwardPasses} is less than one step of rule "${rule.id}" (${+perStep.toPrecision(3)} forward-pass equivalents)`,
    );
  return perStep;
}

/** `perStep`: the rule's cost model at the trial's options. */
export function costObserver(perStep: number, budget?: Budget): Observer {
  let spent = 0;
  const limit = budget && 'forwardPasses' in budget ? budget.forwardPasses : Infinity;
  return {
    name: 'cost',
    afterStep() {
      spent += perStep;
    },
    stopBefore: () => (spent + perStep > limit ? 'budget.forwardPasses' : null),
    evalFields: () => ({ cost: { forwardPasses: spent } }),
    summaryFields: () => ({ cost: { forwardPasses: spent, forwardPassesPerStep: perStep } }),
    snapshot: () => ({ spent }),
    restore(saved) {
      spent = (saved as { spent: number }).spent;
    },
  };
}
