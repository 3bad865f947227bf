// The optimizer kernel's program format and its reference interpreter (the oracle). An optimizer
// chain (src/optim) compiles each step into a few stages; a backend runs all of them in one pass
// over a parameter (or a range of it), so the update is read once, the parameter written once,
// and the rule's update buffer is never modified. Arithmetic is float64 per element, rounded to
// float32 only where state or the parameter is stored, so backends agree bit for bit.
import type { Buf } from './backend.ts';

/** Stage op codes (keep in sync with wasm/assembly/optim.ts). */
export const STAGE = {
  /** u = clamp(u, ±x0); sets the stage's bit in the result when any element was clamped. */
  clipValue: 1,
  /** u = u · x0 (a learning rate as −lr, a global-norm factor). */
  scale: 2,
  /** u = u + x0 · p (L2 or decoupled weight decay, by where it sits in the chain). */
  addDecayed: 3,
  /** v = x0 · v + u (stored); u = x1 ? u + x0 · v : v (heavy ball, Nesterov if x1 = 1). Slot A: v. */
  momentum: 4,
  /**
   * m = x0 · m + x1 · u; v = x2 · v + (x3 · u) · u (both stored); u = m / x5 / (√(v / x6) + x4).
   * x0..x4 = β1, 1 − β1, β2, 1 − β2, ε; x5, x6 = the bias corrections 1 − β1^t, 1 − β2^t. Slots A: m, B: v.
   */
  adam: 5,
} as const;

/** f64 words per stage: [op, slotA, slotB, x0 … x6]; slot entries index the `slots` array (−1: none). */
export const STAGE_WORDS = 10;
/** Elements the WASM kernel processes per block (its f64 scratch holds one block). */
export const OPT_BLOCK = 256;
/** Most stages and slots a program may use (the WASM kernel's scratch holds that many). */
export const MAX_STAGES = 16;
export const MAX_SLOTS = 16;

/**
 * The reference optimizer kernel. `mode` < 0: run every stage, store state and p = f32(p + u);
 * returns the bitmask of clipValue stages that clamped something. `mode` = s ≥ 0: a dry run of
 * stages [0, s) that stores nothing and returns Σ u² of their output (for global-norm clipping),
 * summed as the WASM kernel sums: four interleaved partial sums, combined (s0 + s2) + (s1 + s3),
 * then the n mod 4 tail in order.
 */
export function runOptimizerProgram(program: Float64Array, stages: number, p: Buf, u: Buf, slots: readonly Buf[], mode: number): number {
  const n = u.length;
  const upto = mode < 0 ? stages : mode;
  let flags = 0;
  const acc = [0, 0, 0, 0];
  const tail: number[] = [];
  const n4 = n & ~3;
  for (let i = 0; i < n; i++) {
    let x = u[i];
    for (let s = 0; s < upto; s++) {
      const o = s * STAGE_WORDS;
      const op = program[o];
      if (op === STAGE.clipValue) {
        const c = program[o + 3];
        if (x > c) {
          x = c;
          flags |= 1 << s;
        } else if (x < -c) {
          x = -c;
          flags |= 1 << s;
        }
      } else if (op === STAGE.scale) {
        x = x * program[o + 3];
      } else if (op === STAGE.addDecayed) {
        x = x + program[o + 3] * p[i];
      } else if (op === STAGE.momentum) {
        const vel = slots[program[o + 1]];
        const mu = program[o + 3];
        const v = mu * vel[i] + x;
        if (mode < 0) vel[i] = v;
        x = program[o + 4] !== 0 ? x + mu * v : v;
      } else if (op === STAGE.adam) {
        const mb = slots[program[o + 1]];
        const vb = slots[program[o + 2]];
        const m = program[o + 3] * mb[i] + program[o + 4] * x;
        const v = program[o + 5] * vb[i] + program[o + 6] * x * x;
        if (mode < 0) {
          mb[i] = m;
          vb[i] = v;
        }
        x = m / program[o + 8] / (Math.sqrt(v / program[o + 9]) + program[o + 7]);
      } else {
        throw new RangeError(`optimizer program: unknown stage op ${op} at stage ${s}`);
      }
    }
    if (mode < 0) p[i] = p[i] + x;
    else if (i < n4) acc[i & 3] += x * x;
    else tail.push(x * x);
  }
  if (mode < 0) return flags;
  let total = acc[0] + acc[2] + (acc[1] + acc[3]);
  for (const t of tail) total += t;
  return total;
}
