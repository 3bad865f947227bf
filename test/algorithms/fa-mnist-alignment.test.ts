// The "alignment" phenomenon on real data: FA's updates come to point along BP's gradient.
import { describe, expect, it } from 'vitest';
import { feedbackAlignment } from '../../algorithms/feedback-alignment.ts';
import { runTrial, type EvalRecord, type TrialConfig } from '../../src/runner/trial.ts';

describe('feedback alignment on MNIST', () => {
  it('hidden-layer alignment with BP rises above 0 during training', () => {
    const config: TrialConfig = {
      experiment: 'test',
      rule: 'feedback-alignment',
      options: {},
      seed: 0,
      data: { name: 'mnist', train: 6000, test: 1000 },
      model: { sizes: [784, 64, 64, 10], activation: 'tanh', init: 'xavierUniform' },
      optimizer: { name: 'sgd', lr: 0.1 },
      batchSize: 64,
      epochs: 2,
      maxSteps: 120,
      evalEvery: 30,
      alignEvery: 10,
      alignSamples: 16,
      memory: false,
      debug: false,
    };
    const evals: EvalRecord[] = [];
    runTrial(config, 't', feedbackAlignment, (r) => r.type === 'eval' && evals.push(r));
    const samples = evals.flatMap((e) => e.alignment);
    const meanCos = (xs: typeof samples, layer: number) => xs.reduce((s, a) => s + a.layers[layer].cosine, 0) / xs.length;
    const early = samples.slice(0, 3);
    const late = samples.slice(-3);
    // Hidden layers receive their error through random matrices: near orthogonal at first.
    expect(Math.abs(meanCos(early, 0))).toBeLessThan(0.15);
    for (const layer of [0, 1]) {
      expect(meanCos(late, layer)).toBeGreaterThan(0.15);
      expect(meanCos(late, layer)).toBeGreaterThan(meanCos(early, layer) + 0.1);
    }
    // The output layer's update is its true gradient.
    expect(late[0].layers[2].cosine).toBeCloseTo(1, 5);
    expect(evals[evals.length - 1].testAcc).toBeGreaterThan(0.7);
  });
});
