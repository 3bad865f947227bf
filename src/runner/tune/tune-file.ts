// Where a tuning stands and what it found: each unit's rungs from the finished trials' records
// (which configurations a rung holds follows from the rung below), the trials this shard can run
// now, and tune.json — per entry the best configuration, its validation score, the budget spent
// and every configuration's trace at every rung. Everything in it but `spent.wallSeconds` is a
// function of the records' deterministic fields, so one seed gives one file.
import type { OptimizerSpec } from '../../optim/index.ts';
import type { Dimension, RuleOptions } from '../../rules/rule.ts';
import type { Shard } from '../shard.ts';
import type { Trial } from '../spec.ts';
import type { TrialStatus } from '../record-types.ts';
import { promote } from './halving.ts';
import { tuneTrial, type TunePlan } from './plan.ts';

/** A finished trial as the tuner reads it. */
export interface Outcome {
  status: TrialStatus;
  steps: number;
  /** The metric at the trial's last evaluation (null: none, or not finite). */
  value: number | null;
  wallMs: number;
}

export interface TraceTrial {
  trial: string;
  seed: number;
  /** 'pending': not finished yet. */
  status: TrialStatus | 'pending';
  steps: number | null;
  value: number | null;
}

export interface TraceRung {
  rung: number;
  steps: number;
  /** Mean over seeds of the metric; null while pending, or when a seed diverged or has none. */
  score: number | null;
  trials: TraceTrial[];
}

export interface TraceConfig {
  config: number;
  options: RuleOptions;
  optimizer: OptimizerSpec;
  rungs: TraceRung[];
}

export interface TuneEntry {
  key: string;
  rule: string;
  preset: string | null;
  fixed: RuleOptions;
  space: { options: Record<string, Dimension>; optimizer: 'shared' | 'fixed' };
  complete: boolean;
  best: { config: number; rung: number; options: RuleOptions; optimizer: OptimizerSpec; score: number } | null;
  spent: { trials: number; steps: number; wallSeconds: number };
  trace: TraceConfig[];
}

export interface TuneFile {
  experiment: { name: string; file: string };
  complete: boolean;
  sampler: { kind: string; seed: number };
  budget: { configurations: number; seeds: number[] };
  metric: 'valAcc' | 'valLoss';
  split: 'validation';
  optimizers: unknown[];
  halving: {
    unit: string;
    eta: number;
    stepsPerEpoch: number;
    rungs: Array<{ rung: number; budget: number; steps: number; configurations: number }>;
  };
  entries: TuneEntry[];
}

/** Where each unit stands: its rungs so far, and which trials can run now. */
export interface Assessment {
  /** Per unit: per rung reached, the configurations it holds. */
  rungConfigs: number[][][];
  /** Per unit: every rung it reached is settled. */
  settled: boolean[];
  /** Trials runnable now by this shard, in plan order. */
  runnable: Trial[];
  /** Units held up by trials another shard runs (or that failed), with what they wait for. */
  waiting: string[];
  complete: boolean;
}

const better = (metric: TunePlan['metric']) => (v: number) => (metric === 'valLoss' ? -v : v);

function mean(vs: Array<number | null>): number | null {
  if (vs.some((v) => v === null || !Number.isFinite(v))) return null;
  return (vs as number[]).reduce((a, b) => a + b, 0) / vs.length;
}

/**
 * Each unit's rungs given the trials' outcomes (`outcome(id)`: null when unfinished). A rung is
 * settled when all its trials are done or diverged; then the next rung holds the best of it. A
 * trial is runnable when unfinished (or failed and `retry` says so) and in `shard`'s slice: trial
 * j·S + s of unit u's rung k goes to shard (u·n_k·S + j·S + s) mod n, which no other unit's
 * progress changes.
 */
export function assess(plan: TunePlan, outcome: (id: string) => Outcome | null, retry: (id: string) => boolean, shard?: Shard): Assessment {
  const rank = better(plan.metric);
  const S = plan.seeds.length;
  const runnable: Trial[] = [];
  const waiting: string[] = [];
  const settledUnits: boolean[] = [];
  const rungConfigs = plan.units.map((u) => {
    const reached: number[][] = [];
    let configs = u.configs.map((c) => c.index);
    for (let k = 0; k < plan.rungs.length && configs.length; k++) {
      reached.push(configs);
      let settled = true;
      let others = 0;
      const scores = configs.map((c, j) => {
        const values = plan.seeds.map((seed, s) => {
          const t = tuneTrial(plan, u, c, k, seed);
          const o = outcome(t.id);
          if (o && o.status !== 'failed') return o.status === 'done' ? o.value : null;
          settled = false;
          const mine = !shard || (u.index * plan.rungs[k].configurations * S + j * S + s) % shard.count === shard.index;
          if (mine && (!o || retry(t.id))) runnable.push(t);
          else others++;
          return null;
        });
        return { config: c, score: mean(values) };
      });
      if (!settled) {
        if (others) waiting.push(`${u.key}: rung ${k} (${others} trial(s) ${shard ? 'of other shards or ' : ''}failed)`);
        settledUnits.push(false);
        return reached;
      }
      configs =
        k + 1 < plan.rungs.length
          ? promote(
              scores.map((x) => ({ config: x.config, score: x.score === null ? null : rank(x.score) })),
              plan.rungs[k + 1].configurations,
            )
          : [];
    }
    settledUnits.push(true);
    return reached;
  });
  return { rungConfigs, settled: settledUnits, runnable, waiting, complete: settledUnits.every(Boolean) };
}

/** tune.json from the plan, the assessment and the outcomes. */
export function tuneFile(plan: TunePlan, file: string, a: Assessment, outcome: (id: string) => Outcome | null): TuneFile {
  const rank = better(plan.metric);
  const entries = plan.units.map((u, ui): TuneEntry => {
    const reached = a.rungConfigs[ui];
    const spent = { trials: 0, steps: 0, wallMs: 0 };
    let best: TuneEntry['best'] = null;
    const trace = u.configs.flatMap((c): TraceConfig[] => {
      const rungs = reached.flatMap((configs, k): TraceRung[] => {
        if (!configs.includes(c.index)) return [];
        const trials = plan.seeds.map((seed): TraceTrial => {
          const t = tuneTrial(plan, u, c.index, k, seed);
          const o = outcome(t.id);
          if (o) {
            spent.trials++;
            spent.steps += o.steps;
            spent.wallMs += o.wallMs;
          }
          return {
            trial: t.id,
            seed,
            status: o?.status ?? 'pending',
            steps: o?.steps ?? null,
            value: o?.status === 'done' ? o.value : null,
          };
        });
        const score = trials.every((t) => t.status === 'done') ? mean(trials.map((t) => t.value)) : null;
        return [{ rung: k, steps: plan.rungs[k].steps, score, trials }];
      });
      return rungs.length ? [{ config: c.index, options: c.options, optimizer: c.optimizer, rungs }] : [];
    });
    // The best at the highest rung where any configuration has a score (ties: the earlier configuration).
    for (let k = reached.length - 1; k >= 0 && !best; k--) {
      for (const t of trace) {
        const r = t.rungs.find((x) => x.rung === k);
        if (r?.score === null || r === undefined) continue;
        if (!best || rank(r.score) > rank(best.score))
          best = { config: t.config, rung: k, options: t.options, optimizer: t.optimizer, score: r.score };
      }
    }
    const complete = a.settled[ui];
    return {
      key: u.key,
      rule: u.rule.id,
      preset: u.preset,
      fixed: u.fixed,
      space: { options: Object.fromEntries(u.space), optimizer: u.optimizer ? 'fixed' : 'shared' },
      complete,
      best: complete ? best : null,
      spent: { trials: spent.trials, steps: spent.steps, wallSeconds: Math.round(spent.wallMs / 100) / 10 },
      trace,
    };
  });
  return {
    experiment: { name: plan.spec.name, file },
    complete: a.complete,
    sampler: { kind: 'scrambled Halton (random digit permutations)', seed: plan.seed },
    budget: { configurations: plan.budget, seeds: plan.seeds },
    metric: plan.metric,
    split: 'validation',
    optimizers: plan.families,
    halving: {
      unit: plan.unit,
      eta: plan.eta,
      stepsPerEpoch: plan.stepsPerEpoch,
      rungs: plan.rungs.map((r) => ({ rung: r.rung, budget: r.budget, steps: r.steps, configurations: r.configurations })),
    },
    entries,
  };
}
