// Every built-in rule's training step beside backprop's, in this process (1 thread): the measured
// ratio (median step ÷ BP's median step, per round, median over rounds) next to the ratio its cost
// model expects (forward-pass equivalents per step ÷ backprop's, src/rules/cost.ts). Used by
// `npm run bench` (bench/run.ts); `npx tsx --expose-gc bench/rule-ratios.ts [--quick]` runs it alone.
import { buildModel } from '../src/nn/model.ts';
import { costContext, modelStepCost } from '../src/rules/cost.ts';
import { listRules, type AnyRule } from '../src/index.ts';
import { runTrial, type SummaryRecord, type TrialConfig } from '../src/runner/trial.ts';
import { median } from './profile.ts';

export interface RuleRow {
  rule: string;
  /** Median over rounds of the run's median step, wall ms (null: the rule could not be timed). */
  medianStepMs: number | null;
  /** Medians over rounds: mean wall ms per step (host.stepMs) and CPU ms per step. */
  stepMs: number | null;
  cpuStepMs: number | null;
  /** Median over rounds of the rule's median step ÷ backprop's, in the same round. */
  ratioToBp: number | null;
  /** What the rule's cost model expects ratioToBp to be: its forward-pass equivalents per step ÷ backprop's. */
  modelRatio: number | null;
  /** The same from mean steps (host.stepMs / steps): moved by steps the machine preempted. */
  meanRatioToBp: number | null;
  cpuRatioToBp: number | null;
  /** The per-round median-step ratios ratioToBp is the median of (their spread is the noise). */
  ratioRounds: number[];
  /** Issue 20's bound on ratioToBp (the ratio when it was filed), where it names one. */
  targetMax: number | null;
  steps: number;
  /** The setting the rule (and backprop beside it) ran on: the first of SETTINGS where it runs all its steps. */
  setting: Setting | null;
  status: string;
  note: string | null;
}

// Issue 20: every rule's step relative to BP's no worse than when it was filed.
const RULE_TARGETS: Record<string, number> = {
  'feedback-alignment': 1.0,
  'direct-feedback-alignment': 1.05,
  'forward-forward': 2.3,
  'synthetic-gradients': 2.88,
  mezo: 4.82,
  'straight-through': 1.39,
  reinforce: 1.74,
  'gumbel-softmax': 1.66,
};

const med = (xs: number[]): number | null => {
  const v = xs.filter((x) => Number.isFinite(x));
  return v.length ? median(v) : null;
};

/**
 * Where a rule is timed: the bench's MLP at SGD 0.01 first. A rule that cannot run its steps there
 * (it diverges) is timed at the first setting below where it can — a smaller rate, then a bounded
 * activation (an energy-based net's states settle only with one) — and backprop beside it on the
 * same setting, so the ratio compares steps on one model. The step time does not depend on the rate.
 */
export interface Setting {
  activation: string;
  init: string;
  lr: number;
}
const BOUNDED = { activation: 'sigmoid(4*x - 2)', init: 'xavierUniform' };
export const SETTINGS: readonly Setting[] = [
  { activation: 'relu', init: 'heUniform', lr: 0.01 },
  { activation: 'relu', init: 'heUniform', lr: 0.001 },
  { ...BOUNDED, lr: 0.01 },
  { ...BOUNDED, lr: 0.001 },
];
const settingLabel = (s: Setting): string => `${s.activation}, SGD ${s.lr}`;

const ruleConfig = (rule: string, steps: number, setting: Setting): TrialConfig => ({
  experiment: 'bench',
  rule,
  options: {},
  seed: 7,
  data: { name: 'mnist' as const, train: 128 * steps, test: 500 },
  model: { sizes: [784, 256, 256, 10], activation: setting.activation, init: setting.init },
  optimizer: { name: 'sgd', lr: setting.lr },
  batchSize: 128,
  epochs: 1,
  maxSteps: steps,
  evalEvery: 0,
  alignEvery: 0,
  alignSamples: 16,
  memory: false,
  debug: false,
});

/** What a step of `rule` (its default options) costs in the model on the bench's MLP and batch. */
function modelCost(rule: AnyRule, setting: Setting): number {
  const config = ruleConfig(rule.id, 1, setting);
  return modelStepCost(rule, costContext(buildModel(config.model), { ...rule.defaults, ...config.options }, config.batchSize));
}

/**
 * Time `steps` steps of each registered rule (or of `only`) next to a backprop run, `rounds` times
 * (the order of each pair alternating by round, so neither drift in the machine's load nor the
 * position in a pair biases a ratio), and print a row per rule through `log`. A rule that runs
 * all its steps on no setting gets a row without times and a note saying why: the caller fails
 * loudly on it (untimed()) rather than reporting a time it did not measure.
 */
export function timeRules(steps: number, rounds: number, log: (s: string) => void, only: readonly string[] = []): RuleRow[] {
  // With --expose-gc (npm run bench passes it) every timed run starts on a collected heap, so one
  // run's garbage is not paid for by the next.
  const collect = (globalThis as { gc?: () => void }).gc ?? ((): void => {});
  interface Run {
    wall: number;
    cpu: number;
    median: number;
    s: SummaryRecord;
  }
  /** One run of a rule on a setting: mean wall, CPU and median wall per step (host.stepMs, stepCpuMs, medianStepMs). */
  const ruleRun = (rule: AnyRule, setting: Setting): Run => {
    let s: SummaryRecord | null = null;
    collect();
    runTrial(ruleConfig(rule.id, steps, setting), `bench-${rule.id}`, rule, (r) => {
      if (r.type === 'summary') s = r;
    });
    const n = Math.max(1, s!.steps);
    return { wall: s!.host.stepMs / n, cpu: s!.host.stepCpuMs / n, median: s!.host.medianStepMs ?? NaN, s: s! };
  };
  /** Why a run does not count as timed, or null when it ran all its steps. */
  const shortfall = (r: Run): string | null =>
    r.s.status === 'done' && r.s.steps === steps
      ? null
      : `${r.s.status} after ${r.s.steps} of ${steps} steps${r.s.error ? `: ${r.s.error.split('\n')[0]}` : ''}`;
  const all = listRules() as AnyRule[];
  const backpropRule = all.find((r) => r.id === 'backprop')!;
  const unknown = only.filter((id) => !all.some((r) => r.id === id));
  if (unknown.length)
    throw new Error(`--rule: no rule ${unknown.map((id) => `"${id}"`).join(', ')} (rules: ${all.map((r) => r.id).join(', ')})`);
  // Backprop is always timed: every ratio is to its step.
  const rules = only.length ? all.filter((r) => r === backpropRule || only.includes(r.id)) : all;
  interface Acc {
    setting: Setting | null;
    wall: number[];
    cpu: number[];
    median: number[];
    ratio: { wall: number[]; cpu: number[]; median: number[] };
    last: SummaryRecord | null;
    error: string | null;
  }
  const perRule = new Map<string, Acc>(
    rules.map((r) => [
      r.id,
      { setting: null, wall: [], cpu: [], median: [], ratio: { wall: [], cpu: [], median: [] }, last: null, error: null },
    ]),
  );
  // Backprop's cost per setting (the cost model does not read the activation, but each pair divides by its own).
  const bpCost = new Map<Setting, number | null>();
  // Warm-up: each rule's own code paths, on the first setting where it runs all its steps.
  for (const rule of rules) {
    const acc = perRule.get(rule.id)!;
    const tried: string[] = [];
    for (const setting of SETTINGS) {
      try {
        const r = ruleRun(rule, setting);
        const why = shortfall(r);
        if (why === null) {
          acc.setting = setting;
          break;
        }
        tried.push(`${settingLabel(setting)}: ${why}`);
      } catch (e) {
        tried.push(`${settingLabel(setting)}: threw ${(e as Error).message.split('\n')[0]}`);
      }
    }
    if (!acc.setting) acc.error = `runs its ${steps} steps on no setting (${tried.join('; ')})`;
  }
  for (const setting of new Set([...perRule.values()].flatMap((a) => (a.setting ? [a.setting] : [])))) {
    bpCost.set(setting, modelCost(backpropRule, setting));
  }
  for (let round = 0; round < rounds; round++) {
    for (const rule of rules) {
      const acc = perRule.get(rule.id)!;
      if (acc.error || !acc.setting) continue;
      try {
        const pair = round % 2 === 0 ? [backpropRule, rule] : [rule, backpropRule];
        const [first, second] = pair.map((r) => ruleRun(r, acc.setting!));
        const [bp, t] = round % 2 === 0 ? [first, second] : [second, first];
        const why = shortfall(t) ?? (shortfall(bp) && `backprop beside it ${shortfall(bp)}`);
        if (why) throw new Error(`round ${round + 1}: ${why}`);
        acc.wall.push(t.wall);
        acc.cpu.push(t.cpu);
        acc.median.push(t.median);
        acc.last = t.s;
        acc.ratio.wall.push(t.wall / bp.wall);
        acc.ratio.cpu.push(t.cpu / bp.cpu);
        acc.ratio.median.push(t.median / bp.median);
      } catch (e) {
        acc.error = (e as Error).message.split('\n')[0];
      }
    }
  }
  const rows: RuleRow[] = rules.map((rule) => {
    const acc = perRule.get(rule.id)!;
    const timed = acc.error === null && acc.median.length > 0;
    const status = acc.error ? 'not timed' : (acc.last?.status ?? 'not run');
    // The rule's model at the bench's options, model and batch: the cost its trial records plus
    // the Gaussian draws it declares (src/rules/cost.ts, modelStepCost).
    const cost = acc.setting && acc.last ? modelCost(rule, acc.setting) : undefined;
    const bp = acc.setting ? bpCost.get(acc.setting) : null;
    const shifted = acc.setting && acc.setting !== SETTINGS[0] ? `timed on ${settingLabel(acc.setting)}, where it runs` : null;
    return {
      rule: rule.id,
      medianStepMs: timed ? med(acc.median) : null,
      stepMs: timed ? med(acc.wall) : null,
      cpuStepMs: timed ? med(acc.cpu) : null,
      ratioToBp: timed ? med(acc.ratio.median) : null,
      modelRatio: cost !== undefined && bp ? cost / bp : null,
      meanRatioToBp: timed ? med(acc.ratio.wall) : null,
      cpuRatioToBp: timed ? med(acc.ratio.cpu) : null,
      ratioRounds: timed ? acc.ratio.median : [],
      targetMax: RULE_TARGETS[rule.id] ?? null,
      steps: acc.last?.steps ?? 0,
      setting: acc.setting,
      status,
      note: acc.error ?? shifted,
    };
  });
  const x2 = (v: number | null): string => (v === null ? '—' : v.toFixed(2));
  log(`  ${'rule'.padEnd(30)} ${'ms/step'.padStart(7)} ${'measured'.padStart(10)} ${'model'.padStart(7)}  [spread over rounds]`);
  for (const row of rows) {
    if (row.medianStepMs === null) log(`  ${row.rule.padEnd(30)} NOT TIMED: ${row.note}`);
    else {
      const rounds = row.ratioRounds;
      const spread = rounds.length > 1 ? ` [${Math.min(...rounds).toFixed(2)}–${Math.max(...rounds).toFixed(2)}]` : '';
      const target =
        row.targetMax === null
          ? ''
          : `  target ≤ ${row.targetMax}: ${row.ratioToBp === null ? 'not measured' : row.ratioToBp <= row.targetMax ? 'met' : 'NOT met'}`;
      log(
        `  ${row.rule.padEnd(30)} ${x2(row.medianStepMs).padStart(7)} ${`${x2(row.ratioToBp)}x BP`.padStart(10)} ${`${x2(row.modelRatio)}x`.padStart(7)}${spread} (CPU ${x2(row.cpuStepMs)} ms; mean ${x2(row.meanRatioToBp)}x, CPU ${x2(row.cpuRatioToBp)}x)${target}${row.note ? `  (${row.note})` : ''}`,
      );
    }
  }
  return rows;
}

/** The rules the bench could not time, as one line for the caller to fail with (null: every rule was timed). */
export function untimed(rows: readonly RuleRow[]): string | null {
  const bad = rows.filter((r) => r.medianStepMs === null);
  return bad.length ? `bench: ${bad.length} rule(s) not timed: ${bad.map((r) => `${r.rule} (${r.note})`).join('; ')}` : null;
}
