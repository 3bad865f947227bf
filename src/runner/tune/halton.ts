// The tuner's sampler: a scrambled Halton sequence, point i of dimension d the radical inverse
// of i in the d-th prime base with each digit position's digits permuted at random (seeded).
// Plain Halton points in neighbouring large bases line up for the first hundreds of points
// (base 17 against 19 draws 1/17, 1/19, 2/17, 2/19, …); random digit permutations break that up
// while keeping each dimension's stratification (digit scrambling, as surveyed in Owen 2017,
// "A randomized Halton algorithm in R").
// No npm package of the kind is both well kept and small, and this is a few lines.
import type { Rng } from '../../random.ts';

const PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113];

/** Digits per coordinate: enough that base^digits exceeds 2^32 points. */
const digits = (base: number) => Math.ceil(32 / Math.log2(base));

export class Halton {
  /** perms[d][j]: the permutation of base-b digits at position j of dimension d. */
  private readonly perms: number[][][];

  constructor(
    readonly dimensions: number,
    rng: Rng,
  ) {
    if (dimensions > PRIMES.length) throw new Error(`halton: at most ${PRIMES.length} dimensions, got ${dimensions}`);
    this.perms = PRIMES.slice(0, dimensions).map((b, d) => {
      const r = rng.child(`dimension-${d}`);
      return Array.from({ length: digits(b) }, (_, j) => shuffled(b, r.child(j)));
    });
  }

  /** Point i (0-based) in [0, 1)^dimensions. */
  point(i: number): number[] {
    return this.perms.map((perm, d) => {
      const b = PRIMES[d];
      let n = i;
      let u = 0;
      let scale = 1 / b;
      for (let j = 0; j < perm.length; j++, scale /= b) {
        u += perm[j][n % b] * scale;
        n = Math.floor(n / b);
      }
      return u;
    });
  }
}

/** 0..n−1 in a random order (Fisher-Yates). */
function shuffled(n: number, r: Rng): number[] {
  const a = Array.from({ length: n }, (_, k) => k);
  for (let k = n - 1; k > 0; k--) {
    const j = r.int(k + 1);
    [a[k], a[j]] = [a[j], a[k]];
  }
  return a;
}
