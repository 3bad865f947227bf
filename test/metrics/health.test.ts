import { describe, expect, it } from 'vitest';
import { Model, fromArray, rng, uniform } from '../../src/index.ts';
import { deadUnitShare, gradientNorms } from '../../src/metrics/health.ts';

describe('network health', () => {
  const model = new Model({ sizes: [4, 6, 5, 3], activation: 'relu' });

  it('counts a ReLU unit as dead when it is 0 on every probe input', () => {
    const params = model.init(rng(1));
    const x = uniform([32, 4], -1, 1, rng(2));
    const bias = params[model.blocks[0].bias];
    bias.data.fill(0);
    expect(deadUnitShare(model, params, x)['layer0.deadShare']).toBeLessThan(1);
    // Push three of six units far negative: they never fire on inputs in [-1, 1].
    for (const u of [0, 2, 4]) bias.data[u] = -100;
    expect(deadUnitShare(model, params, x)['layer0.deadShare']).toBeCloseTo(0.5, 10);
    bias.data.fill(-100);
    const all = deadUnitShare(model, params, x);
    expect(all['layer0.deadShare']).toBe(1);
    // The output block has no dead-unit figure.
    expect(Object.keys(all).sort()).toEqual(['layer0.deadShare', 'layer1.deadShare']);
  });

  it('gradient norms are per layer, weights and biases together', () => {
    const grads = model.paramShapes().map((shape, i) => fromArray(new Array(shape.reduce((a, b) => a * b, 1)).fill(i + 1), shape));
    const n = gradientNorms(model, grads);
    // layer0: weight 6×4 of 1s, bias 6 of 2s ⇒ √(24 + 24)
    expect(n['layer0.gradNorm']).toBeCloseTo(Math.sqrt(24 + 6 * 4), 10);
    expect(Object.keys(n)).toEqual(['layer0.gradNorm', 'layer1.gradNorm', 'layer2.gradNorm']);
  });
});
