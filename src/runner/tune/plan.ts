// A tuning plan: the experiment's rule entries (one per grid point) as tuning units, each with its
// search space (the rule's declared ranges minus the options the entry fixes, plus the shared
// optimizer space unless the entry fixes its optimizer), the same number of configurations drawn
// for each by one seeded Halton sequence, the rungs, and each (configuration, rung, seed)'s trial.
import { SpecError } from '../../errors.ts';
import { rng } from '../../random.ts';
import type { OptimizerSpec } from '../../optim/index.ts';
import { ruleOptions, type AnyRule, type Dimension, type OptionValue, type RuleOptions } from '../../rules/rule.ts';
import { valueAt } from '../../rules/search.ts';
import { cartesian, trialId, type Trial, type ValidatedSpec } from '../spec.ts';
import type { TrialConfig } from '../trial-config.ts';
import { Halton } from './halton.ts';
import { rungSchedule, type Rung } from './halving.ts';
import { DEFAULT_BUDGET, DEFAULT_FAMILIES, type BudgetUnit, type OptimizerFamily } from './settings.ts';

export interface TuneConfig {
  index: number;
  /** The sampled options (the entry's fixed ones are the unit's). */
  options: RuleOptions;
  optimizer: OptimizerSpec;
}

export interface TuneUnit {
  index: number;
  /** What identifies the entry across experiments: rule id, preset, fixed options ("feedback-alignment variant=usf"). */
  key: string;
  rule: AnyRule;
  preset: string | null;
  /** Options the entry fixes (its preset's, its own, its grid point). */
  fixed: RuleOptions;
  /** The searched options with their ranges. */
  space: Array<[string, Dimension]>;
  /** The entry's own optimizer (then only its options are searched), or null: drawn from the shared families. */
  optimizer: OptimizerSpec | null;
  configs: TuneConfig[];
}

export interface TunePlan {
  spec: ValidatedSpec;
  budget: number;
  seed: number;
  seeds: number[];
  families: OptimizerFamily[];
  metric: 'valAcc' | 'valLoss';
  unit: BudgetUnit;
  eta: number;
  stepsPerEpoch: number;
  rungs: Rung[];
  units: TuneUnit[];
  debug: boolean;
}

const fmt = (v: OptionValue) => (typeof v === 'string' ? v : JSON.stringify(v));
/** Four significant digits: what a reader can use, and the same on every machine. */
const round = (x: number) => Number(x.toPrecision(4));

export function unitKey(rule: string, preset: string | null | undefined, fixed: RuleOptions): string {
  return [
    rule,
    ...(preset ? [`preset=${preset}`] : []),
    ...Object.keys(fixed)
      .sort()
      .map((k) => `${k}=${fmt(fixed[k])}`),
  ].join(' ');
}

/** The plan for `spec`; `budget` overrides tune.budget; `stepsPerEpoch` from the data's declared size. */
/**
 * Tuning tells entries apart by rule, preset and fixed options, and its trials run without an
 * entry's adapters or distillation: a configuration tuned that way is not the entry's, so such an
 * entry is refused (by `tune` and by `--tuned`) rather than tuned or applied without them.
 */
export function refuseUntunable(spec: ValidatedSpec, field: string): void {
  spec.rules.forEach((r, i) => {
    for (const k of ['adapters', 'distill'] as const)
      if (r[k] !== undefined)
        throw new SpecError(
          `rules[${i}].${k}: ${field} does not carry an entry's ${k} (tuning runs without them); tune with plain runs (as experiments/lora-sweep.ts does) or drop ${field}`,
        );
  });
}

export function planTuning(spec: ValidatedSpec, stepsPerEpoch: number, o: { budget?: number; debug?: boolean } = {}): TunePlan {
  const t = spec.tune ?? {};
  const budget = o.budget ?? t.budget ?? DEFAULT_BUDGET;
  const seed = t.seed ?? 0;
  const families = t.optimizers ?? DEFAULT_FAMILIES;
  const h = t.halving ?? {};
  const unit = h.unit ?? 'steps';
  const eta = h.eta ?? 3;
  const full = spec.maxSteps && spec.maxSteps > 0 ? Math.min(spec.maxSteps, spec.epochs * stepsPerEpoch) : spec.epochs * stepsPerEpoch;
  const max = h.max ?? (unit === 'steps' ? full : full / stepsPerEpoch);
  const stepsOf = (b: number) => Math.round(unit === 'steps' ? b : b * stepsPerEpoch);
  const rungs = rungSchedule(budget, eta, h.rungs ?? 3, max, stepsOf);
  const entries = spec.rules.flatMap((r) => cartesian(r.grid).map((point) => ({ r, fixed: { ...r.options, ...point } })));
  const keys = new Set<string>();
  const units = entries.map(({ r, fixed }, index): TuneUnit => {
    const key = unitKey(r.rule.id, r.preset, fixed);
    if (keys.has(key))
      throw new SpecError(
        `rules: two entries tune the same configuration (${key}); tuning tells entries apart by rule, preset and fixed options`,
      );
    keys.add(key);
    const space = Object.entries(r.rule.search ?? {}).filter(
      (e): e is [string, Dimension] => e[1] !== undefined && !Object.hasOwn(fixed, e[0]),
    );
    return { index, key, rule: r.rule, preset: r.preset ?? null, fixed, space, optimizer: r.optimizer ?? null, configs: [] };
  });
  // One sequence for every unit: the shared coordinates (optimizer family, learning rate) of
  // configuration i are the same for every rule, so entries are compared on the same draws.
  const dims = 2 + Math.max(0, ...units.map((u) => u.space.length));
  const halton = new Halton(dims, rng(seed).child('tune').child('halton'));
  const points = Array.from({ length: budget }, (_, i) => halton.point(i));
  for (const u of units) {
    u.configs = points.map((p, index) => {
      const options: RuleOptions = {};
      u.space.forEach(([k, d], j) => {
        const v = valueAt(d, p[2 + j]);
        options[k] = typeof v === 'number' && !('int' in d) ? round(v) : v;
      });
      return { index, options, optimizer: u.optimizer ?? familyAt(families, p[0], p[1]) };
    });
  }
  return {
    spec,
    budget,
    seed,
    seeds: t.seeds ?? [spec.seeds[0]],
    families,
    metric: t.metric ?? 'valAcc',
    unit,
    eta,
    stepsPerEpoch,
    rungs,
    units,
    debug: o.debug ?? false,
  };
}

/** The optimizer at coordinates (u, v): family ⌊u·F⌋, learning rate log-uniform on its range at v. */
function familyAt(families: OptimizerFamily[], u: number, v: number): OptimizerSpec {
  const f = families[Math.min(families.length - 1, Math.floor(u * families.length))];
  const [lo, hi] = f.lr;
  return { ...f, lr: round(lo * (hi / lo) ** v) } as OptimizerSpec;
}

/** The trial of configuration `config` of `unit` at rung `rung`, seed `seed`: scored on validation only. */
export function tuneTrial(plan: TunePlan, unit: TuneUnit, config: number, rung: number, seed: number): Trial {
  const { spec } = plan;
  const c = unit.configs[config];
  const steps = plan.rungs[rung].steps;
  const cfg: TrialConfig = {
    experiment: spec.name,
    rule: unit.rule.id,
    options: ruleOptions(unit.rule, { ...unit.fixed, ...c.options }),
    seed,
    data: spec.data,
    task: spec.task,
    model: spec.model,
    optimizer: c.optimizer,
    batchSize: spec.batchSize,
    epochs: Math.ceil(steps / plan.stepsPerEpoch),
    maxSteps: steps,
    // Measurements that do not change training are left out: tuning needs the validation score only.
    evalEvery: 0,
    alignEvery: 0,
    alignSamples: spec.alignSamples ?? 64,
    memory: false,
    debug: plan.debug,
    init: spec.init,
    ...(spec.divergence ? { divergence: spec.divergence } : {}),
    evaluate: 'validation',
  };
  return { id: trialId(cfg), config: cfg, rule: unit.rule };
}
