// Network health figures by module path: gradient norms per parameter-owning layer, dead units
// per activation (per channel for feature maps).
import { describe, expect, it } from 'vitest';
import { buildModel, buildNetwork, fromArray, rng, uniform } from '../../src/index.ts';
import { deadUnitShare, gradientNorms } from '../../src/metrics/health.ts';

describe('network health', () => {
  const model = buildModel({ sizes: [4, 6, 5, 3], activation: 'relu' });

  it('counts a ReLU unit as dead when it is 0 on every probe input', () => {
    const params = model.init(rng(1));
    const x = uniform([32, 4], -1, 1, rng(2));
    const bias = params[model.find('fc1')!.params.bias.index];
    bias.data.fill(0);
    expect(deadUnitShare(model, params, x)['act1.deadShare']).toBeLessThan(1);
    // Push three of six units far negative: they never fire on inputs in [-1, 1].
    for (const u of [0, 2, 4]) bias.data[u] = -100;
    expect(deadUnitShare(model, params, x)['act1.deadShare']).toBeCloseTo(0.5, 10);
    bias.data.fill(-100);
    const all = deadUnitShare(model, params, x);
    expect(all['act1.deadShare']).toBe(1);
    // One figure per activation module; the output layer has none.
    expect(Object.keys(all).sort()).toEqual(['act1.deadShare', 'act2.deadShare']);
  });

  it('counts a feature-map channel as dead only when it is 0 at every position of every input', () => {
    const conv = buildModel(
      {
        layers: [
          { type: 'conv2d', channels: 3, kernel: 3, name: 'conv' },
          { type: 'activation', fn: 'relu', name: 'act' },
          'flatten',
          { type: 'dense', units: 2 },
        ],
      },
      { sampleShape: [1, 5, 5], outputs: 2 },
    );
    const params = conv.init(rng(3));
    const bias = params[conv.find('conv')!.params.bias.index];
    bias.data.set([-100, 0, -100]);
    const x = uniform([8, 25], -1, 1, rng(4));
    expect(deadUnitShare(conv, params, x)['act.deadShare']).toBeCloseTo(2 / 3, 10);
  });

  it('in a sequence, a unit is a feature of the last axis, dead only if 0 at every position', () => {
    const net = buildNetwork(
      [
        { type: 'embedding', dim: 3, vocab: 5, name: 'embed' },
        { type: 'dense', units: 4, positionwise: true, name: 'fc' },
        { type: 'activation', fn: 'relu', name: 'act' },
      ],
      [6],
    );
    const params = net.init(rng(5));
    params[net.find('fc')!.params.bias.index].data.set([-100, 0, 0, -100]);
    const x = fromArray(
      Array.from({ length: 8 * 6 }, (_, i) => i % 5),
      [8, 6],
    );
    expect(deadUnitShare(net, params, x)['act.deadShare']).toBeCloseTo(2 / 4, 10);
  });

  it('gradient norms are per layer, weights and biases together', () => {
    const grads = model.paramShapes().map((shape, i) => fromArray(new Array(shape.reduce((a, b) => a * b, 1)).fill(i + 1), shape));
    const n = gradientNorms(model, grads);
    // fc1: weight 6×4 of 1s, bias 6 of 2s ⇒ √(24 + 24)
    expect(n['fc1.gradNorm']).toBeCloseTo(Math.sqrt(24 + 6 * 4), 10);
    expect(Object.keys(n)).toEqual(['fc1.gradNorm', 'fc2.gradNorm', 'fc3.gradNorm']);
  });
});
