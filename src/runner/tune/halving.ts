// Successive halving (Jamieson & Talwalkar 2016; the inner loop of Hyperband, Li et al. 2018):
// every configuration trains for the first rung's budget; the best 1/η go on, each retrained
// from scratch for η times the budget, and so on. The same rungs for every rule entry.

export interface Rung {
  rung: number;
  /** Training steps of each trial of this rung. */
  steps: number;
  /** The rung's budget in the unit it was given in. */
  budget: number;
  /** Configurations trained at this rung. */
  configurations: number;
}

/**
 * The rungs for `configs` configurations: budgets max/η^(rungs−1), …, max (each at least one
 * step, `stepsOf` turning a budget into steps), ⌊n/η⌋ configurations kept at each (at least one).
 */
export function rungSchedule(configs: number, eta: number, rungs: number, max: number, stepsOf: (budget: number) => number): Rung[] {
  const out: Rung[] = [];
  let n = configs;
  for (let k = 0; k < rungs; k++) {
    const budget = max / eta ** (rungs - 1 - k);
    out.push({ rung: k, steps: Math.max(1, stepsOf(budget)), budget, configurations: n });
    n = Math.max(1, Math.floor(n / eta));
  }
  return out;
}

/**
 * The configurations that go on to the next rung: the best `keep` of those with a score (higher
 * is better; ties to the earlier configuration), in configuration order. A configuration without
 * a score (diverged, or no validation figure) never goes on.
 */
export function promote(scores: ReadonlyArray<{ config: number; score: number | null }>, keep: number): number[] {
  return scores
    .filter((s): s is { config: number; score: number } => s.score !== null && Number.isFinite(s.score))
    .sort((a, b) => b.score - a.score || a.config - b.config)
    .slice(0, keep)
    .map((s) => s.config)
    .sort((a, b) => a - b);
}
