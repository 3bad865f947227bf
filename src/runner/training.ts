// A trial set up to train: its data and model, parameters, optimizer, the rule's context and
// state — everything the loop and its observers work on — and what of it a checkpoint carries.
import { leaves, type TensorTree } from '../autograd/functional.ts';
import type { Dataset } from '../data/dataset.ts';
import { Loader } from '../data/loader.ts';
import type { Model } from '../nn/model.ts';
import type { BatchStats, ForwardOptions } from '../nn/module.ts';
import { optimizerFromSpec, type Optimizer, type OptState } from '../optim/index.ts';
import { rng as seeded, type Rng, type RngState } from '../random.ts';
import { ruleContext } from '../rules/context.ts';
import { ruleEstimates, ruleOptions, type AnyRule, type RuleContext, type RuleOptions } from '../rules/rule.ts';
import { adoptState } from '../rules/state.ts';
import type { Task } from '../rules/task.ts';
import { ledger } from '../tensor/ledger.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { RecordHead } from './record-fields.ts';
import { PrecisionRun, resolvePrecision } from './precision.ts';
import type { TrialConfig } from './trial-config.ts';

/** A trial's data, task and model, as the trial builds them from its seed's data stream. */
export interface Prepared {
  model: Model;
  task: Task;
  train: Dataset;
  validation: Dataset | null;
  test: Dataset;
}

/** What the training itself carries in a checkpoint (each observer carries its own). */
interface Carried {
  state: unknown;
  rngs: { rule: RngState; dropout: RngState };
  counters: OptState['counters'];
}

export class Training {
  readonly optimizer: Optimizer;
  readonly optState: OptState;
  readonly options: RuleOptions;
  /** The trial's root stream (its seed); every consumer takes a named child. */
  readonly root: Rng;
  /** The rule's own stream, and the dropout stream: step s draws its masks from dropout.child(s), shared by every pass of the rule and by the alignment reference. */
  readonly rngs: { rule: Rng; dropout: Rng };
  readonly loader: Loader;
  readonly infer: ForwardOptions;
  /** What every record of the trial starts with. */
  readonly head: RecordHead;
  /** Alignment is measured every this many steps (0: the rule or the task has no gradient to align with). */
  readonly alignEvery: number;
  /** The trial's number formats and loss scale (null: float32 throughout, nothing rounded). */
  readonly precision: PrecisionRun | null;
  private ruleState: unknown;
  private stateTensors = new Set<Tensor>();

  /** A rule not defined for the model refuses here (its check), before anything trains. */
  constructor(
    readonly config: TrialConfig,
    readonly id: string,
    readonly rule: AnyRule,
    readonly data: Prepared,
    readonly params: Tensor[],
    readonly buffers: Tensor[],
  ) {
    this.root = seeded(config.seed);
    this.optimizer = optimizerFromSpec(config.optimizer);
    this.optState = this.optimizer.init(params);
    this.options = ruleOptions(rule, config.options);
    this.rngs = { rule: this.root.child('rule'), dropout: this.root.child('dropout') };
    // Before the rule's init, which may read the parameters (rounded already when they live in the compute format).
    this.precision = config.precision
      ? new PrecisionRun(resolvePrecision(config.precision), data.model, this.root.child('precision'))
      : null;
    this.precision?.adopt(params);
    // Before the rule's init, whose context tells it the steps per epoch.
    this.loader = new Loader(data.train, { batchSize: config.batchSize, shuffle: true, rng: this.root.child('order') });
    this.infer = this.ctxAt(-1).infer;
    rule.check?.(this.ctxAt(-1));
    this.state = ledger().withCategory('rule-state', () => rule.init(this.ctxAt(-1)));
    const estimates = ruleEstimates(rule, this.options);
    this.head = {
      trial: id,
      rule: rule.id,
      options: this.options,
      seed: config.seed,
      estimates,
      objective: estimates === 'own-objective' ? (rule.objective ?? rule.id) : null,
    };
    // A rule with its own objective has no gradient to be aligned with, nor has a task without a gradient.
    this.alignEvery = estimates === 'own-objective' || data.task.differentiable === false ? 0 : config.alignEvery;
  }

  /** The rule's context at a step (stats: where its batch statistics go). */
  ctxAt(step: number, stats?: BatchStats): RuleContext {
    const {
      data: { model, task },
      params,
      buffers,
      rule,
      options,
    } = this;
    const stepsPerEpoch = this.loader.batches;
    return ruleContext({
      model,
      task,
      params,
      buffers,
      rule,
      options,
      rng: this.rngs.rule,
      dropout: this.rngs.dropout,
      step,
      stepsPerEpoch,
      stats,
    });
  }

  get state(): unknown {
    return this.ruleState;
  }

  /** The rule's next state: tensors it no longer holds are freed, new ones kept as rule state. */
  set state(next: unknown) {
    this.ruleState = next;
    this.stateTensors = adoptState(this.stateTensors, next);
  }

  /** Parameters, buffers and optimizer slots: same shapes in every run of this trial, so restored in place. */
  tensors(): Tensor[] {
    return [...this.params, ...this.buffers, ...Object.values(this.optState.slots).flat()];
  }

  snapshot(): Carried {
    return {
      state: this.state,
      rngs: { rule: this.rngs.rule.saveState(), dropout: this.rngs.dropout.saveState() },
      counters: { ...this.optState.counters },
    };
  }

  restore(saved: unknown): void {
    const c = saved as Carried;
    this.state = c.state;
    this.rngs.rule.restore(c.rngs.rule);
    this.rngs.dropout.restore(c.rngs.dropout);
    Object.assign(this.optState.counters, c.counters);
  }

  /** Give back every tensor the trial holds. */
  dispose(): void {
    for (const t of [
      ...this.params,
      ...this.buffers,
      ...this.stateTensors,
      ...leaves(Object.values(this.optState.slots).flat() as TensorTree),
    ])
      t.dispose();
  }
}
