// Dropout: reproducible masks from the rng passed in, inverted scaling, gradient only through kept units.
import { describe, expect, it } from 'vitest';
import { dropout, dropoutMask } from '../../src/nn/dropout.ts';
import { mlpLayers } from '../../src/nn/presets.ts';
import { SpecError } from '../../src/errors.ts';
import { valueAndGrad } from '../../src/autograd/functional.ts';
import { sum } from '../../src/autograd/ops.ts';
import { rng } from '../../src/random.ts';
import { ones, uniform, type Tensor } from '../../src/tensor/tensor.ts';

describe('dropout', () => {
  it('same seed, same mask; another seed, another mask', () => {
    const x = uniform([8, 16], -1, 1, rng('x'));
    const a = dropout(x, 0.5, rng(1).child('dropout'));
    const b = dropout(x, 0.5, rng(1).child('dropout'));
    const c = dropout(x, 0.5, rng(2).child('dropout'));
    expect(a.toArray()).toEqual(b.toArray());
    expect(a.toArray()).not.toEqual(c.toArray());
  });

  it('keeps ≈ 1 − p of the units, scaled by 1/(1 − p), so the mean is preserved', () => {
    const p = 0.3;
    const y = dropout(ones([200, 500]), p, rng('scale'));
    const values = new Set(y.data);
    expect([...values].sort()).toEqual([0, Math.fround(1 / (1 - p))]);
    const kept = y.data.filter((v) => v > 0).length / y.size;
    expect(Math.abs(kept - (1 - p))).toBeLessThan(0.005); // std error ≈ 0.001
    const mean = y.toArray().reduce((s, v) => s + v, 0) / y.size;
    expect(Math.abs(mean - 1)).toBeLessThan(0.01);
  });

  it('is the identity (same tensor, no draws) when not training or p = 0', () => {
    const x = uniform([3, 3], -1, 1, rng('x'));
    const r = rng('untouched');
    expect(dropout(x, 0.5, r, false)).toBe(x);
    expect(dropout(x, 0, r)).toBe(x);
    expect(r.uniform()).toBe(rng('untouched').uniform());
  });

  it('sends the gradient only through kept units, scaled like the forward', () => {
    const x = uniform([4, 25], -1, 1, rng('x'));
    const p = 0.4;
    const mask = dropoutMask(x.shape, p, rng('grad'));
    const { grads } = valueAndGrad((t: Tensor) => sum(dropout(t, p, rng('grad'))))(x);
    expect(grads.toArray()).toEqual(mask.toArray());
    expect(mask.toArray().some((v) => v === 0)).toBe(true);
    expect(mask.toArray().some((v) => v > 0)).toBe(true);
  });

  it('rejects p outside [0, 1)', () => {
    const x = ones([2]);
    expect(() => dropout(x, 1, rng(0))).toThrow(SpecError);
    expect(() => dropout(x, -0.1, rng(0))).toThrow(/dropout: p must be in \[0, 1\)/);
  });

  it("the MLP's inputDropout drops the input before fc1, its dropout follows each hidden activation", () => {
    const layers = mlpLayers({ sizes: [4, 3, 2], activation: 'tanh', dropout: 0.5, inputDropout: 0.1 });
    expect(layers).toEqual([
      { type: 'dropout', p: 0.1, name: 'drop0' },
      { type: 'dense', units: 3, name: 'fc1' },
      { type: 'activation', fn: 'tanh', name: 'act1' },
      { type: 'dropout', p: 0.5, name: 'drop1' },
      { type: 'dense', units: 2, name: 'fc2' },
    ]);
    expect(mlpLayers({ sizes: [4, 3, 2], inputDropout: 0 })[0]).toEqual({ type: 'dense', units: 3, name: 'fc1' });
  });
});
