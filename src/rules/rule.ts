// The learning-rule plug-in contract. A rule turns a batch into update directions (gradient
// estimates) per parameter; it never applies them — the runner hands them to an optimizer.
import { SpecError } from '../errors.ts';
import { show } from '../fields.ts';
import type { Model } from '../nn/model.ts';
import type { ForwardOptions } from '../nn/module.ts';
import type { StochasticNet } from '../nn/stochastic.ts';
import type { Rng } from '../random.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Task, Batch } from './task.ts';
import type { OptimizerSpec } from '../optim/index.ts';
import type { CostContext } from './cost.ts';

export type OptionValue = number | string | boolean;
export type RuleOptions = Record<string, OptionValue>;

/**
 * One tunable option: a real range (`log: true` samples it log-uniformly), an integer range
 * (rounded, log-uniform with `log: true`), or a list of choices.
 */
export type Dimension =
  | { readonly float: readonly [number, number]; readonly log?: boolean }
  | { readonly int: readonly [number, number]; readonly log?: boolean }
  | { readonly choice: readonly OptionValue[] };

/** A rule's search space: a range per tunable option (options not named are never tuned). */
export type SearchSpace<O extends RuleOptions = RuleOptions> = { readonly [K in keyof O]?: Dimension };

/** A protocol from the rule's paper or its authors' code: options, optimizer, and where it comes from. */
export interface RulePreset<O extends RuleOptions = RuleOptions> {
  readonly options?: Partial<O>;
  /** A fixed optimizer, or one built from the run's steps per epoch (schedules stated in epochs). */
  readonly optimizer?: OptimizerSpec | ((run: { stepsPerEpoch: number }) => OptimizerSpec);
  /** Citation and place, e.g. "Dellaferrera & Kreiman 2022, §4: SGD, momentum 0.9, rate 0.01". */
  readonly source: string;
}

/** What a rule's updates estimate; it picks the alignment reference (never the rule's id). */
export type Estimate = 'task-gradient' | 'expected-gradient' | 'local-gradient' | 'own-objective';

/**
 * What a rule's `predict` returns: 'logits', scored as the model's own output is (the task's
 * loss applies); 'probabilities' per class (the loss is the cross-entropy of their log); or
 * 'scores' that only rank the classes (goodness, energies): accuracy, and no loss.
 */
export type Prediction = 'logits' | 'probabilities' | 'scores';
export const PREDICTIONS: readonly Prediction[] = ['logits', 'probabilities', 'scores'];

/** A function of a rule's options, written as a method type so that a rule's own options type fits AnyRule's. */
type OfOptions<O, T> = { of(options: O): T }['of'];

/**
 * What each layer's update waits for inside a step, beyond the layer's own forward pass — the
 * locking that decides how a rule pipelines (src/metrics/pipeline-schedule.ts):
 * - 'layer-above': the gradient (or feedback signal) of the layer above, so updates come down the
 *   network one layer after another (backprop, feedback alignment, target propagation);
 * - 'output-error': only the error (or loss) at the output, sent to every layer at once once the
 *   forward pass ends (direct feedback alignment, zeroth-order and forward-gradient estimates);
 * - 'nothing': nothing beyond the layer (forward-forward, local losses, synthetic gradients).
 */
export type UpdateWaitsFor = 'layer-above' | 'output-error' | 'nothing';

/** What a rule sees. `params` are read-only for the rule: it must not mutate them. */
export interface RuleContext<O extends RuleOptions = RuleOptions> {
  readonly model: Model;
  readonly task: Task;
  readonly options: O;
  /** The rule's own stream for this trial; derive per-step streams with `rng.child(step)`. */
  readonly rng: Rng;
  readonly params: readonly Tensor[];
  /** Global step index (0-based), -1 in init. */
  readonly step: number;
  /** The epoch this step belongs to (0-based: floor(step / stepsPerEpoch)), -1 in init. */
  readonly epoch: number;
  /** Steps in one pass over the training set ("redraw every epoch": `ctx.step % ctx.stepsPerEpoch === 0`). */
  readonly stepsPerEpoch: number;
  /**
   * Forward options of a training pass at this step: its dropout masks (the same for every
   * pass of the step, and for the alignment reference) and batch-norm statistics collection.
   */
  readonly train: ForwardOptions;
  /** Forward options of an evaluation pass (running statistics). */
  readonly infer: ForwardOptions;
}

/**
 * Updates handed over one parameter at a time, in order 0..count-1, each exactly once — for
 * rules that regenerate their directions to keep memory low (MeZO). Only the update being
 * consumed is materialized.
 */
export interface LazyUpdates {
  readonly count: number;
  get(index: number): Tensor;
  /**
   * Optional, finer streaming: the directions for elements [offset, offset + length) of
   * parameter `index` (flat), as a 1-D tensor. The runner then asks for each parameter's
   * ranges in order, `chunk` elements at a time, so no parameter-sized update ever exists.
   */
  getRange?(index: number, offset: number, length: number): Tensor;
  readonly chunk?: number;
}

export type Updates = readonly Tensor[] | LazyUpdates;

export interface StepResult<S> {
  /** One update direction per parameter, shaped like it (descent: the optimizer subtracts). */
  updates: Updates;
  state: S;
  /** The loss the rule optimized on this batch (for logging). */
  loss: number;
  /** Rule-specific numbers (synthesizer loss, goodness, ...). */
  metrics: Record<string, number>;
}

export interface LearningRule<S = unknown, O extends RuleOptions = RuleOptions> {
  /** Stable id, kebab-case (used in specs and records). */
  readonly id: string;
  readonly description: string;
  /** Every option with its default; specs may override only these keys, with the same type. */
  readonly defaults: O;
  /** Accepted values of string options. */
  readonly choices?: { readonly [K in keyof O]?: readonly string[] };
  /** Ranges of the options worth tuning (`rulebench tune` searches them; the rest keep their defaults). */
  readonly search?: SearchSpace<O>;
  /**
   * Forward-pass equivalents one training step costs, from the options (and the model's size):
   * the unit and what counts are stated once in cost.ts (a backprop step is its backpropStep). Records, budgets
   * and the bench read it; a rule without one is refused when registered or run.
   */
  cost(c: CostContext<O>): number;
  /**
   * Full-width Gaussian draws a step regenerates by design (noise never stored): in Gaussian draws (cost.ts's gaussianDraws), counted by
   * the bench's cost model at c.gaussianDraw each, not in `cost` (records, budgets). Noise a rule draws per unit (its stochastic
   * units') is declared in the same unit: cost.ts's unitNoiseDraws.
   */
  noiseDraws?(c: CostContext<O>): number;
  /** Named protocols (its paper's): a spec entry selects one with `preset: 'paper'`. */
  readonly presets?: { readonly [name: string]: RulePreset<O> };
  /**
   * What the updates estimate (default 'task-gradient'), or a function of the options when they
   * change it: the runner picks the alignment reference from it — BP's gradient, the expected
   * gradient of the stochastic net, the gradient of the rule's local losses, or none.
   */
  readonly estimates?: Estimate | OfOptions<O, Estimate>;
  /**
   * What each layer's update waits for (see UpdateWaitsFor). Undeclared: the rule's step has no
   * layer-by-layer structure a pipeline could split (settling dynamics, two forward passes), and
   * pipeline analyses leave it out.
   */
  readonly updateWaitsFor?: UpdateWaitsFor;
  /** Name of the objective when `estimates` is 'own-objective'. */
  readonly objective?: string;
  /**
   * The updates are the task loss's exact gradient, not an estimate of it (backprop). An
   * experiment's first entry whose rule declares this is the reference its report compares every
   * other entry with, seed by seed. Given the options, since some settings may not be exact.
   */
  exact?(options: O): boolean;
  /**
   * With estimates 'local-gradient': the exact gradient, per parameter, of the local losses the
   * step's updates estimate (with `state` as the step receives it); the alignment reference.
   */
  localGradient?(ctx: RuleContext<O>, state: S, batch: Batch): Tensor[];
  /** With estimates 'expected-gradient': the stochastic network whose expected loss the updates estimate. */
  stochastic?(ctx: RuleContext<O>): StochasticNet;
  /**
   * With estimates 'task-gradient': the network whose task loss the updates estimate the
   * gradient of, when it is not `ctx.model` itself (equilibrium propagation's settled recurrent
   * net, unrolled). The alignment reference is backprop through it; same parameters.
   */
  network?(ctx: RuleContext<O>): Model;
  /**
   * Refuse a model the rule is not defined for, before training: throw a SpecError naming the
   * rule, the module path and what is supported. Runs on the model and options of the trial.
   */
  check?(ctx: RuleContext<O>): void;
  init(ctx: RuleContext<O>): S;
  step(ctx: RuleContext<O>, state: S, batch: Batch): StepResult<S>;
  /**
   * Class scores [n, classes] when the rule classifies differently from the model's output;
   * `predicts` says what they are.
   */
  predict?(ctx: RuleContext<O>, state: S, x: Tensor): Tensor;
  /**
   * What `predict` returns (required with it; see Prediction): evaluation computes the validation
   * and test loss from logits or probabilities; with 'scores' the loss is null and each
   * evaluation record's `lossNote` says why. A function of the options when they change it.
   */
  readonly predicts?: Prediction | OfOptions<O, Prediction>;
  /** Extra numbers about the rule's state (e.g. angle between feedback and forward weights). */
  diagnostics?(ctx: RuleContext<O>, state: S): Record<string, number>;
  /**
   * Largest absolute change `step` may leave in the parameters (default 0). A rule that
   * perturbs parameters in place and restores them (MeZO) declares its float tolerance.
   */
  readonly restoreTolerance?: number;
}

/** Any rule, whatever its state and options (what registries and the runner hold). */
export type AnyRule = LearningRule<unknown, RuleOptions>;

/**
 * A rule's options: its defaults, overridden by `options` (key order: the defaults', so records
 * and trial ids read the same however the options were given).
 */
export function ruleOptions<O extends RuleOptions>(rule: Pick<LearningRule<unknown, O>, 'defaults'>, options?: RuleOptions): O {
  return { ...rule.defaults, ...options } as O;
}

/** Refuse an option `rule` does not have, or a value unlike its default's type or outside its choices (`field`: where it was given). */
export function checkOption(field: string, rule: AnyRule, key: string, value: unknown): void {
  if (!Object.hasOwn(rule.defaults, key)) {
    const keys = Object.keys(rule.defaults);
    throw new SpecError(
      `${field}.${key}: rule "${rule.id}" has no option "${key}"; its options: ${keys.length ? keys.join(', ') : '(none)'}`,
    );
  }
  const want = typeof rule.defaults[key];
  if (typeof value !== want || (typeof value === 'number' && !Number.isFinite(value))) {
    throw new SpecError(
      `${field}.${key}: expected a ${want === 'number' ? 'finite number' : want} like the default ${show(rule.defaults[key])}, got ${show(value)}`,
    );
  }
  const choices = rule.choices?.[key];
  if (choices && !choices.includes(value as string))
    throw new SpecError(`${field}.${key}: ${show(value)} is not accepted; choices: ${choices.join(', ')}`);
}

/** What `rule`'s updates estimate under `options` (its declaration; default 'task-gradient'). */
export function ruleEstimates<O extends RuleOptions>(rule: Pick<LearningRule<unknown, O>, 'estimates'>, options: O): Estimate {
  const e = rule.estimates ?? 'task-gradient';
  return typeof e === 'function' ? e(options) : e;
}

/** What `rule.predict` returns under `options` ('logits' for a rule without one: the model's output). */
export function rulePredicts<O extends RuleOptions>(rule: Pick<LearningRule<unknown, O>, 'predict' | 'predicts'>, options: O): Prediction {
  if (!rule.predict) return 'logits';
  const p = typeof rule.predicts === 'function' ? rule.predicts(options) : rule.predicts;
  if (!PREDICTIONS.includes(p as Prediction))
    throw new SpecError(`predicts: expected one of ${PREDICTIONS.join(', ')} (what predict returns), got ${JSON.stringify(p)}`);
  return p as Prediction;
}

/** Refuse a rule with `predict` that does not say what it returns, in one line naming it (`where`: its file or field). */
export function checkPrediction(rule: { id: string; predict?: unknown; predicts?: unknown }, where: string): void {
  if (rule.predict === undefined) return;
  if (typeof rule.predicts === 'function' || PREDICTIONS.includes(rule.predicts as Prediction)) return;
  throw new SpecError(
    `${where}: rule "${rule.id}" has predict but no predicts; declare what it returns: ${PREDICTIONS.map((p) => `'${p}'`).join(', ')} (see Prediction in src/rules/rule.ts)`,
  );
}

/** Define a rule with its state and option types inferred. */
export function defineRule<S, O extends RuleOptions>(rule: LearningRule<S, O>): LearningRule<S, O> {
  return rule;
}

/** Visit every update in order (materializing lazy ones one at a time). */
export function forEachUpdate(updates: Updates, fn: (u: Tensor, index: number) => void): void {
  if (isLazy(updates)) {
    for (let i = 0; i < updates.count; i++) fn(updates.get(i), i);
  } else {
    updates.forEach(fn);
  }
}

export function isLazy(updates: Updates): updates is LazyUpdates {
  return !Array.isArray(updates) && typeof (updates as LazyUpdates).get === 'function';
}

/** Materialize all updates (for alignment measurements, which need them all at once). */
export function materialize(updates: Updates): Tensor[] {
  const out: Tensor[] = [];
  forEachUpdate(updates, (u) => out.push(u));
  return out;
}
