// loeweX/Forward-Forward's rate schedule as the experiment declares it: held for the first half of
// the epochs, then at epoch e (from 0) lr·2(1 + epochs − e)/epochs (its get_linear_cooldown_lr).
import { describe, expect, it } from 'vitest';
import spec from '../../experiments/forward-forward-loewex.ts';
import { optimizerFromSpec } from '../../src/optim/index.ts';

describe('forward-forward-loewex', () => {
  const opt = optimizerFromSpec(spec.optimizer);
  const perEpoch = 500; // 50,000 images at batch 100
  const atEpoch = (e: number) => opt.lr(e * perEpoch);

  it('holds the rate through epoch 50, then cools it linearly to 0.04× at epoch 99', () => {
    expect(atEpoch(0)).toBeCloseTo(1e-3, 12);
    expect(atEpoch(50)).toBeCloseTo(1e-3, 12);
    expect(opt.lr(51 * perEpoch - 1)).toBeCloseTo(1e-3, 12);
    // Epoch 51: 2·(1 + 100 − 51)/100 = 1.0; epoch 75: 0.52; epoch 99: 0.04.
    expect(atEpoch(51)).toBeCloseTo(1e-3, 12);
    expect(atEpoch(52)).toBeCloseTo(0.98e-3, 12);
    expect(atEpoch(75)).toBeCloseTo(0.52e-3, 12);
    expect(atEpoch(99)).toBeCloseTo(0.04e-3, 12);
  });
});
