// The 2-D sets' input features (TensorFlow Playground's x1², x1·x2, sin x1, …) and its two
// regression sets: the features are computed from the same points the set draws, in the order
// asked; a spec naming an unknown feature or a set that is not 2-D is refused naming the field.
import { describe, expect, it } from 'vitest';
import { getRule, rng } from '../../src/index.ts';
import { loadDataset, type RegressionDataset } from '../../src/data/index.ts';
import { validateSpec, type ExperimentSpec } from '../../src/runner/spec.ts';

describe('point inputs and the 2-D regression sets', () => {
  it('maps each point to the chosen features, in order, from the same draw', () => {
    const plain = loadDataset('circle', { rng: rng(4), train: 20, test: 10, noise: 0.1 });
    const inputs = ['sin(x2)', 'x1', 'x1*x2', 'x2^2', 'x1^2', 'x2', 'sin(x1)'] as const;
    const mapped = loadDataset('circle', { rng: rng(4), train: 20, test: 10, noise: 0.1, inputs: [...inputs] });
    expect([mapped.train.shape, mapped.train.features, mapped.test.n]).toEqual([[7], 7, 10]);
    for (const [p, q] of [
      [plain.train, mapped.train],
      [plain.test, mapped.test],
    ]) {
      for (let i = 0; i < p.n; i++) {
        const [a, b] = [p.x[2 * i], p.x[2 * i + 1]];
        const want = [Math.sin(b), a, a * b, b * b, a * a, b, Math.sin(a)];
        want.forEach((v, k) => expect(q.x[7 * i + k]).toBeCloseTo(v, 6));
      }
      expect(q.y).toEqual(p.y);
    }
  });

  it('generates the plane and the Gaussian bumps as regression sets over [-1, 1]²', () => {
    const { train } = loadDataset('plane', { rng: rng(1), train: 50, test: 10 });
    const ds = train as RegressionDataset;
    expect([ds.kind, ds.features, ds.targets]).toEqual(['regression', 2, 1]);
    // Noise 0 by default: the plane exactly.
    for (let i = 0; i < ds.n; i++) expect(ds.y[i]).toBeCloseTo((ds.x[2 * i] + ds.x[2 * i + 1]) / 2, 6);
    const b = loadDataset('bumps', { rng: rng(1), train: 400, test: 10 }).train as RegressionDataset;
    expect(b.x.every((v) => v >= -1 && v <= 1)).toBe(true);
    // Bumps up and down: targets of both signs, none beyond the bumps' sum.
    expect(Math.max(...b.y)).toBeGreaterThan(0.3);
    expect(Math.min(...b.y)).toBeLessThan(-0.3);
    expect(loadDataset('bumps', { rng: rng(1), train: 400, test: 10 }).train.x).toEqual(b.x);
  });

  it('refuses an unknown feature, a repeated one, and a set that is not 2-D, naming data.inputs', () => {
    const spec = (data: Record<string, unknown>): ExperimentSpec => ({
      name: 't',
      data: data as unknown as ExperimentSpec['data'],
      model: { sizes: [2, 4, 2] },
      optimizer: { name: 'sgd', lr: 0.1 },
      rules: ['backprop'],
      seeds: [0],
      epochs: 1,
      batchSize: 4,
    });
    expect(() => validateSpec(spec({ name: 'xor', noise: 0.1, inputs: ['x1', 'cos(x1)'] }), getRule)).toThrow(
      'data.inputs: expected a non-empty array of x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2), got ["x1","cos(x1)"]',
    );
    expect(() => validateSpec(spec({ name: 'xor', noise: 0.1, inputs: ['x1', 'x1'] }), getRule)).toThrow(
      'data.inputs: each input once, got ["x1","x1"]',
    );
    expect(() => loadDataset('blobs', { rng: rng(0), train: 8, test: 4, features: 3, inputs: ['x1'] })).toThrow(
      'data.inputs: maps 2-D points, but "blobs-train" samples have 3 features',
    );
  });
});
