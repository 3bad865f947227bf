// Statistics across seeds (mean, sample std, extremes, quantiles), computed with mathjs so the
// report and any notebook that uses mathjs agree on definitions (std is the n−1 sample std).
import { max, mean, min, quantileSeq, std } from 'mathjs';

export interface Stats {
  /** Number of finite values the figures are computed from. */
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); NaN for a single value. */
  std: number;
  min: number;
  max: number;
  q25: number;
  median: number;
  q75: number;
}

const EMPTY: Stats = { n: 0, mean: NaN, std: NaN, min: NaN, max: NaN, q25: NaN, median: NaN, q75: NaN };

/** Keep only finite numbers: JSON turns NaN into null, and diverged trials report Infinity. */
export function finite(values: ReadonlyArray<number | null | undefined>): number[] {
  return values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

/** Quantiles with linear interpolation between order statistics (mathjs quantileSeq). */
export function quantiles(values: ReadonlyArray<number | null | undefined>, probs: readonly number[]): number[] {
  const xs = finite(values);
  if (!xs.length) return probs.map(() => NaN);
  return (quantileSeq(xs, [...probs]) as unknown as number[]).map(Number);
}

export function summarize(values: ReadonlyArray<number | null | undefined>): Stats {
  const xs = finite(values);
  if (!xs.length) return { ...EMPTY };
  const [q25, median, q75] = quantiles(xs, [0.25, 0.5, 0.75]);
  return {
    n: xs.length,
    mean: Number(mean(xs)),
    std: xs.length > 1 ? Number(std(xs, 'unbiased')) : NaN,
    min: Number(min(xs)),
    max: Number(max(xs)),
    q25,
    median,
    q75,
  };
}

/** Resamples behind every bootstrap interval: enough that the interval's ends move by less than 0.01 points between stream seeds. */
export const BOOTSTRAP_RESAMPLES = 10_000;

export interface Interval {
  /** Number of finite values it rests on. */
  n: number;
  mean: number;
  /** 2.5% and 97.5% quantiles of the bootstrap means; NaN below two values (no spread to resample). */
  lo: number;
  hi: number;
}

/**
 * Percentile bootstrap 95% interval of the mean: `resamples` draws of n values with replacement
 * from the stream `rng` (a named, seeded stream: the same values and stream give the same
 * interval). With few values it is narrow — at 3 seeds it spans about the values' range — so it
 * says what the seeds at hand show, not a promise of coverage.
 */
export function bootstrapMean(
  values: ReadonlyArray<number | null | undefined>,
  rng: { int(n: number): number },
  resamples = BOOTSTRAP_RESAMPLES,
): Interval {
  const xs = finite(values);
  const n = xs.length;
  if (!n) return { n: 0, mean: NaN, lo: NaN, hi: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, lo: NaN, hi: NaN };
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += xs[rng.int(n)];
    means[b] = sum / n;
  }
  means.sort();
  return { n, mean, lo: sortedQuantile(means, 0.025), hi: sortedQuantile(means, 0.975) };
}

/** The p-quantile of sorted values, interpolating linearly at (n − 1)·p (as quantileSeq does; mathjs is slow on 10,000 values). */
function sortedQuantile(sorted: Float64Array, p: number): number {
  const at = (sorted.length - 1) * p;
  const i = Math.floor(at);
  return i + 1 < sorted.length ? sorted[i] + (sorted[i + 1] - sorted[i]) * (at - i) : sorted[i];
}

export interface PairedComparison extends Interval {
  /** The paired differences (rule − reference), one per seed both finished, in seed order. */
  seeds: number[];
  diffs: number[];
  /**
   * Probability of improvement: the share of paired seeds on which the rule scores higher than
   * the reference on the same seed, a tie counting half (the paired form of P(X > Y)).
   */
  probImprovement: number;
  /** The interval holds zero, or there is no interval (fewer than two pairs): not separable at these seeds. */
  separable: boolean;
}

/**
 * The rule against the reference, seed by seed: `rule` and `reference` map a seed to its score
 * (only seeds present in both pair up), and the mean difference gets a bootstrap 95% interval.
 */
export function pairedComparison(
  rule: ReadonlyMap<number, number>,
  reference: ReadonlyMap<number, number>,
  rng: { int(n: number): number },
  resamples = BOOTSTRAP_RESAMPLES,
): PairedComparison {
  const seeds = [...rule.keys()].filter((s) => reference.has(s) && Number.isFinite(rule.get(s)) && Number.isFinite(reference.get(s)));
  seeds.sort((a, b) => a - b);
  const diffs = seeds.map((s) => rule.get(s)! - reference.get(s)!);
  const ci = bootstrapMean(diffs, rng, resamples);
  const wins = diffs.reduce((w, d) => w + (d > 0 ? 1 : d === 0 ? 0.5 : 0), 0);
  return {
    ...ci,
    seeds,
    diffs,
    probImprovement: diffs.length ? wins / diffs.length : NaN,
    separable: Number.isFinite(ci.lo) && (ci.lo > 0 || ci.hi < 0),
  };
}
