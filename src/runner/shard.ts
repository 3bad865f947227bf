// Shards: a deterministic slice of a sweep's trials, so an array job (Slurm, Kubernetes Indexed
// Job) covers it with one shared results directory.
import { SpecError } from '../errors.ts';

export interface Shard {
  index: number;
  count: number;
}

/** Shard i of n: every n-th trial in the fixed order, so shards are disjoint and cover all. */
export function shard<T>(trials: readonly T[], index: number, count: number): T[] {
  return trials.filter((_, k) => k % count === index);
}

export function parseShard(s: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) throw new SpecError(`--shard: expected i/n with 0 ≤ i < n (e.g. 0/4), got "${s}"`);
  return { index, count };
}
