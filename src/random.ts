// Seeded random streams. Every consumer derives its own child stream by purpose, so adding a
// consumer never shifts another's numbers. No hidden global generator is used anywhere.
import seedrandom from 'seedrandom';

/** Where a stream stands: alea's four numbers and Box–Muller's cached second value. */
export interface RngState {
  alea: { c: number; s0: number; s1: number; s2: number };
  spare: number | null;
}

type Alea = (() => number) & { state(): RngState['alea'] };

export class Rng {
  readonly seed: string;
  private gen: Alea;
  private spare: number | null = null;

  constructor(seed: string | number) {
    this.seed = String(seed);
    // alea: fast, good quality, and its state depends only on the seed string.
    this.gen = seedrandom.alea(this.seed, { state: true }) as unknown as Alea;
  }

  /** Where the stream stands, for a checkpoint; `restore` continues it from there exactly. */
  saveState(): RngState {
    return { alea: this.gen.state(), spare: this.spare };
  }

  restore(state: RngState): void {
    this.gen = seedrandom.alea('', { state: { ...state.alea } }) as unknown as Alea;
    this.spare = state.spare;
  }

  /** An independent stream for one purpose (init, data order, dropout, negatives, ...). */
  child(purpose: string | number): Rng {
    return new Rng(`${this.seed}/${purpose}`);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.gen();
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.gen();
  }

  /** Integer uniform in [0, n). */
  int(n: number): number {
    return Math.floor(this.gen() * n);
  }

  /** Standard normal sample (Box–Muller, second value cached). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.gen();
    const v = this.gen();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Two 32-bit words: the key of a counter-based noise stream (kernels/noise.ts). */
  key(): [number, number] {
    return [Math.floor(this.gen() * 4294967296) >>> 0, Math.floor(this.gen() * 4294967296) >>> 0];
  }

  /** Bernoulli(p) as 0/1. */
  bernoulli(p: number): number {
    return this.gen() < p ? 1 : 0;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.gen() * (i + 1));
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** Fill `out` with samples from `draw`. */
  fill(out: Float32Array | Float64Array, draw: () => number): typeof out {
    for (let i = 0; i < out.length; i++) out[i] = draw();
    return out;
  }
}

/** The root stream of an experiment or trial. */
export function rng(seed: string | number): Rng {
  return new Rng(seed);
}
