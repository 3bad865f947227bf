// The copy task (a memory probe for recurrent nets): a sequence of random symbols, a delay of
// blanks, a marker, then the model must reproduce the symbols in order. Only the recall positions
// are scored (the others carry the label -1), so the dependency to bridge is length + delay steps.
import { SpecError } from '../errors.ts';
import type { Rng } from '../random.ts';
import { validateDataset, type ClassificationDataset } from './dataset.ts';

export interface CopyOptions {
  /** Symbols to remember (default 5). */
  length?: number;
  /** Blank steps between the last symbol and the marker (default 10). */
  delay?: number;
  /** Alphabet size (default 8); ids 1..symbols, 0 is the blank and symbols + 1 the marker. */
  symbols?: number;
}

/** Positions per sample: the symbols, the delay, then the marker and the recall. */
export function copyLength(o: CopyOptions): number {
  return 2 * (o.length ?? 5) + (o.delay ?? 10);
}

export function copyTask(n: number, o: CopyOptions, rng: Rng): ClassificationDataset {
  const L = o.length ?? 5;
  const delay = o.delay ?? 10;
  const S = o.symbols ?? 8;
  for (const [k, v, min] of [
    ['length', L, 1],
    ['delay', delay, 0],
    ['symbols', S, 2],
  ] as const) {
    if (!Number.isInteger(v) || v < min || v > 1e5)
      throw new SpecError(`data.${k}: expected an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  }
  const T = copyLength(o);
  const marker = S + 1;
  const x = new Float32Array(n * T);
  const y = new Int32Array(n * T).fill(-1);
  const draw = rng.child('symbols');
  for (let i = 0; i < n; i++) {
    const row = i * T;
    x[row + L + delay] = marker;
    for (let j = 0; j < L; j++) {
      const s = 1 + draw.int(S);
      x[row + j] = s;
      // The marker's position answers the first symbol, the blanks after it the rest.
      y[row + L + delay + j] = s;
    }
  }
  const vocab = ['_', ...Array.from({ length: S }, (_, k) => String.fromCharCode(97 + (k % 26))), '|'];
  return validateDataset({
    kind: 'classification',
    name: `copy(length ${L}, delay ${delay})`,
    x,
    y,
    n,
    features: T,
    shape: [T],
    classes: S + 2,
    positions: T,
    tokens: { vocab, unit: 'symbol', unknown: null },
  });
}
