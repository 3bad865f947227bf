// The alignment reference of one step, chosen from what the rule declares it estimates —
// backprop's gradient (with the δ at each hidden layer, for error-signal alignment) on the same
// batch and dropout masks, the expected gradient of the stochastic net it trains, or the exact
// gradient of its local losses (which the rule computes) — never from the rule's id. Computed outside the step's time and memory.
import { AlignmentMeter, errorSignalAlignment, signalPaths, trueGradient } from '../metrics/alignment.ts';
import { expectedGradient } from '../metrics/estimators.ts';
import { SignalProbe } from '../nn/module.ts';
import type { Rng } from '../random.ts';
import { ruleEstimates, type AnyRule, type RuleContext } from '../rules/rule.ts';
import type { Batch } from '../rules/task.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { AlignmentPoint, AlignmentReference } from './record-types.ts';

export interface StepReference {
  kind: AlignmentReference;
  grads: Tensor[];
  groups: Float32Array[][] | null;
  /** Backprop's δ at each hidden weight layer's output (task-gradient references only). */
  signals: Map<string, Float32Array>;
  /** Where the rule's delivered signals are recorded; empty when none are compared. */
  paths: string[];
}

/** The reference for `rule` at this step, or null for a rule with its own objective. */
export function stepReference(
  rule: AnyRule,
  ctx: RuleContext,
  state: unknown,
  batch: Batch,
  sampling: { samples: number; rng: Rng },
): StepReference | null {
  const estimates = ruleEstimates(rule, ctx.options);
  if (estimates === 'own-objective') return null;
  if (estimates === 'local-gradient') {
    if (!rule.localGradient)
      throw new Error(`rule "${rule.id}" estimates the gradient of its local losses but does not compute it (rule.localGradient)`);
    return { kind: 'local-gradient', grads: rule.localGradient(ctx, state, batch), groups: null, signals: new Map(), paths: [] };
  }
  // The rule's own training pass without its batch-norm statistics collection.
  const forward = { ...ctx.train, stats: undefined };
  if (estimates === 'expected-gradient') {
    if (!rule.stochastic)
      throw new Error(`rule "${rule.id}" estimates the expected gradient but declares no stochastic network (rule.stochastic)`);
    const e = expectedGradient(ctx.model, rule.stochastic(ctx), ctx.task, ctx.params, batch, {
      samples: sampling.samples,
      rng: sampling.rng,
      keepGroups: true,
      forward,
    });
    return { kind: 'expected-gradient', grads: e.grads, groups: e.groups, signals: new Map(), paths: [] };
  }
  // Backprop through the network the rule trains (its own, when it declares one).
  const network = rule.network ? rule.network(ctx) : ctx.model;
  const paths = signalPaths(network);
  const { grads, signals } = trueGradient(network, ctx.task, ctx.params, batch, forward, paths);
  return { kind: 'task-gradient', grads, groups: null, signals, paths };
}

/** A probe for the signals the rule delivers during its step (null when none are compared). */
export function ruleProbe(ref: StepReference | null): SignalProbe | null {
  return ref && ref.paths.length ? new SignalProbe(new Set(ref.paths)) : null;
}

export function alignmentPoint(step: number, ref: StepReference, meter: AlignmentMeter, probe: SignalProbe | null): AlignmentPoint {
  const rep = meter.report();
  const errorSignals = probe ? errorSignalAlignment(probe.signals, ref.signals, ref.paths) : [];
  return {
    step,
    reference: ref.kind,
    referenceStdErr: rep.stdErr,
    layers: rep.layers,
    overall: rep.overall,
    layerMean: rep.layerMean,
    errorSignals,
    errorSignalMean: errorSignals.length ? errorSignals.reduce((s, e) => s + e.cosine, 0) / errorSignals.length : null,
  };
}
