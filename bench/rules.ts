// Every built-in rule's training step beside backprop's, in this process (1 thread): the measured
// ratio (median step ÷ BP's median step, per round, median over rounds) next to the ratio its cost
// model expects (forward-pass equivalents per step ÷ backprop's, src/rules/cost.ts). Used by
// `npm run bench` (bench/run.ts); `npx tsx --expose-gc bench/rule-ratios.ts [--quick]` runs it alone.
import { listRules, type AnyRule } from '../src/index.ts';
import { runTrial, type SummaryRecord, type TrialConfig } from '../src/runner/trial.ts';
import { median } from './profile.ts';

export interface RuleRow {
  rule: string;
  /** Medians over rounds: wall ms per step (host.stepMs) and CPU ms per step. */
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

const ruleConfig = (rule: string, steps: number): TrialConfig => ({
  experiment: 'bench',
  rule,
  options: {},
  seed: 7,
  data: { name: 'mnist' as const, train: 128 * steps, test: 500 },
  model: { sizes: [784, 256, 256, 10], activation: 'relu', init: 'heUniform' },
  // A small rate: MeZO's SPSA steps at SGD 0.1 diverge within a few steps on this slice, and the
  // step time does not depend on the rate.
  optimizer: { name: 'sgd', lr: 0.01 },
  batchSize: 128,
  epochs: 1,
  maxSteps: steps,
  evalEvery: 0,
  alignEvery: 0,
  alignSamples: 16,
  memory: false,
  debug: false,
});

/**
 * Time `steps` steps of each registered rule next to a backprop run, `rounds` times (the order of
 * each pair alternating by round, so neither drift in the machine's load nor the position in a
 * pair biases a ratio), and print a row per rule through `log`.
 */
export function timeRules(steps: number, rounds: number, log: (s: string) => void): RuleRow[] {
  // With --expose-gc (npm run bench passes it) every timed run starts on a collected heap, so one
  // run's garbage is not paid for by the next.
  const collect = (globalThis as { gc?: () => void }).gc ?? ((): void => {});
  /** One timed run of a rule: mean wall, CPU and median wall per step (host.stepMs, stepCpuMs, medianStepMs). */
  const ruleRun = (rule: AnyRule): { wall: number; cpu: number; median: number; s: SummaryRecord } => {
    let s: SummaryRecord | null = null;
    collect();
    runTrial(ruleConfig(rule.id, steps), `bench-${rule.id}`, rule, (r) => {
      if (r.type === 'summary') s = r;
    });
    const n = Math.max(1, s!.steps);
    return { wall: s!.host.stepMs / n, cpu: s!.host.stepCpuMs / n, median: s!.host.medianStepMs ?? NaN, s: s! };
  };
  const rules = listRules() as AnyRule[];
  const backpropRule = rules.find((r) => r.id === 'backprop')!;
  const perRule = new Map<string, { wall: number[]; cpu: number[]; last: SummaryRecord | null; error: string | null }>(
    rules.map((r) => [r.id, { wall: [], cpu: [], last: null, error: null }]),
  );
  const ratioSamples = new Map<string, { wall: number[]; cpu: number[]; median: number[] }>(
    rules.map((r) => [r.id, { wall: [], cpu: [], median: [] }]),
  );
  let bpCost: number | null = null;
  for (const rule of rules) {
    try {
      const { s } = ruleRun(rule); // warm-up of this rule's own code paths
      if (rule === backpropRule) bpCost = s.cost?.forwardPassesPerStep ?? null;
    } catch (e) {
      perRule.get(rule.id)!.error = (e as Error).message.split('\n')[0];
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (const rule of rules) {
      const acc = perRule.get(rule.id)!;
      if (acc.error) continue;
      try {
        const pair = round % 2 === 0 ? [backpropRule, rule] : [rule, backpropRule];
        const [first, second] = pair.map((r) => ruleRun(r));
        const [bp, t] = round % 2 === 0 ? [first, second] : [second, first];
        acc.wall.push(t.wall);
        acc.cpu.push(t.cpu);
        acc.last = t.s;
        ratioSamples.get(rule.id)!.wall.push(t.wall / bp.wall);
        ratioSamples.get(rule.id)!.cpu.push(t.cpu / bp.cpu);
        ratioSamples.get(rule.id)!.median.push(t.median / bp.median);
      } catch (e) {
        acc.error = (e as Error).message.split('\n')[0];
      }
    }
  }
  const rows: RuleRow[] = rules.map((rule) => {
    const acc = perRule.get(rule.id)!;
    const rs = ratioSamples.get(rule.id)!;
    const status = acc.error ? 'threw' : (acc.last?.status ?? 'not run');
    // The cost the trial recorded (its rule's model at the bench's options, model and batch).
    const cost = acc.last?.cost?.forwardPassesPerStep;
    return {
      rule: rule.id,
      stepMs: med(acc.wall),
      cpuStepMs: med(acc.cpu),
      ratioToBp: med(rs.median),
      modelRatio: cost !== undefined && bpCost ? cost / bpCost : null,
      meanRatioToBp: med(rs.wall),
      cpuRatioToBp: med(rs.cpu),
      ratioRounds: rs.median,
      targetMax: RULE_TARGETS[rule.id] ?? null,
      steps: acc.last?.steps ?? 0,
      status,
      note: acc.error ?? (status !== 'done' ? `status ${status}` : null),
    };
  });
  const x2 = (v: number | null): string => (v === null ? '—' : v.toFixed(2));
  log(`  ${'rule'.padEnd(30)} ${'ms/step'.padStart(7)} ${'measured'.padStart(10)} ${'model'.padStart(7)}`);
  for (const row of rows) {
    if (row.stepMs === null) log(`  ${row.rule.padEnd(30)} SKIPPED: ${row.note}`);
    else {
      const rounds = row.ratioRounds.filter(Number.isFinite);
      const spread = rounds.length > 1 ? ` [${Math.min(...rounds).toFixed(2)}–${Math.max(...rounds).toFixed(2)}]` : '';
      const target =
        row.targetMax === null
          ? ''
          : `  target ≤ ${row.targetMax}: ${row.ratioToBp === null ? 'not measured' : row.ratioToBp <= row.targetMax ? 'met' : 'NOT met'}`;
      log(
        `  ${row.rule.padEnd(30)} ${x2(row.stepMs).padStart(7)} ${`${x2(row.ratioToBp)}x BP`.padStart(10)} ${`${x2(row.modelRatio)}x`.padStart(7)}${spread} (CPU ${x2(row.cpuStepMs)} ms; mean ${x2(row.meanRatioToBp)}x, CPU ${x2(row.cpuRatioToBp)}x)${target}${row.note ? `  (${row.note})` : ''}`,
      );
    }
  }
  return rows;
}
