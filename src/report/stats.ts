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
