import { describe, expect, it } from 'vitest';
import { backprop } from '../../algorithms/backprop.ts';
import { boundariesOf, syntheticGradients } from '../../algorithms/synthetic-gradients.ts';
import { checkConformance } from '../../src/rules/conformance.ts';
import { runTrial, type EvalRecord, type TrialConfig } from '../../src/runner/trial.ts';
import { Model, blobs, classification, fromArray, materialize, rng, type Batch, type RuleContext, type RuleOptions } from '../../src/index.ts';

type Opts = typeof syntheticGradients.defaults;

function setup(sizes = [8, 12, 10, 9, 3], options: Partial<Opts> = {}) {
  const model = new Model({ sizes, activation: 'tanh', init: 'xavierUniform' });
  const params = model.init(rng(2).child('init'));
  const classes = sizes[sizes.length - 1];
  const ds = blobs(30, classes, sizes[0], 0.6, rng(2).child('data'));
  const batch: Batch = { x: fromArray(ds.x, [ds.n, ds.features]), labels: ds.y, size: ds.n };
  const ctx: RuleContext<Opts> = {
    model, task: classification(classes), params, step: 0, options: { ...syntheticGradients.defaults, ...options }, rng: rng(2).child('rule'),
  };
  return { model, params, batch, ctx };
}

const bp = (s: ReturnType<typeof setup>) => materialize(backprop.step({ ...s.ctx, options: { ...backprop.defaults } }, null, s.batch).updates);

describe('synthetic gradients', () => {
  const variants: RuleOptions[] = [{}, { conditioned: true, synthesizer: 'mlp', synthHidden: 16 }];
  for (const options of variants) {
    it(`passes the conformance suite ${JSON.stringify(options)}`, () => {
      const failed = checkConformance(syntheticGradients, { options }).filter((c) => !c.ok);
      expect(failed).toEqual([]);
    });
  }

  for (const conditioned of [false, true]) {
    it(`oracle mode (true gradient in place of the synthesizer) gives backprop's updates (conditioned ${conditioned})`, () => {
      const s = setup(undefined, { oracle: true, conditioned });
      const state = syntheticGradients.init(s.ctx);
      const u = materialize(syntheticGradients.step(s.ctx, state, s.batch).updates);
      const ref = bp(s);
      u.forEach((t, i) => t.data.forEach((v, k) => expect(v).toBeCloseTo(ref[i].data[k], 6)));
    });
  }

  it('a zero-initialized synthesizer gives zero updates below its boundary at step 0; above it, backprop', () => {
    const s = setup(undefined, { boundaries: '1', conditioned: true, synthesizer: 'mlp', synthHidden: 8 });
    const state = syntheticGradients.init(s.ctx);
    const u = materialize(syntheticGradients.step(s.ctx, state, s.batch).updates);
    const ref = bp(s);
    s.model.paramBlock.forEach((block, i) => {
      if (block <= 1) expect(u[i].data.every((v) => v === 0)).toBe(true);
      else u[i].data.forEach((v, k) => expect(v).toBeCloseTo(ref[i].data[k], 6));
    });
    expect(ref[0].data.some((v) => v !== 0)).toBe(true);
  });

  it('synthesizers learn: updates turn nonzero and the top synthetic gradient aligns with the true one', () => {
    const s = setup(undefined, { synthLr: 1e-2, trueEvery: 1 });
    let state = syntheticGradients.init(s.ctx);
    let metrics: Record<string, number> = {};
    const losses: number[] = [];
    for (let step = 0; step < 100; step++) {
      const res = syntheticGradients.step({ ...s.ctx, step }, state, s.batch);
      state = res.state;
      metrics = res.metrics;
      losses.push(res.metrics['layer2.synthLoss']);
    }
    // Boundaries after blocks 0, 1, 2; block 2's is the top one (its target is the true gradient).
    expect(boundariesOf(s.model, 'all')).toEqual([0, 1, 2]);
    expect(metrics['layer2.cosTrue']).toBeCloseTo(metrics['layer2.cosTarget'], 6);
    expect(metrics['layer2.cosTrue']).toBeGreaterThan(0.7);
    // Bootstrapping lets the lower synthesizers learn too (their targets start at zero).
    expect(metrics['layer1.cosTrue']).toBeGreaterThan(0.5);
    expect(losses[losses.length - 1]).toBeLessThan(0.7 * losses[0]);
    const u = materialize(syntheticGradients.step({ ...s.ctx, step: 100 }, state, s.batch).updates);
    expect(u[0].data.some((v) => v !== 0)).toBe(true);
  });

  it('rejects boundaries that are not hidden blocks', () => {
    const s = setup();
    expect(() => syntheticGradients.init({ ...s.ctx, options: { ...s.ctx.options, boundaries: '3' } })).toThrow(/boundaries/);
  });

  it('cDNI trains an MLP on an MNIST slice well above chance', () => {
    const config: TrialConfig = {
      experiment: 'test', rule: 'synthetic-gradients', options: { conditioned: true, synthLr: 1e-2, trueEvery: 0 }, seed: 0,
      data: { name: 'mnist', train: 3000, test: 1000 },
      model: { sizes: [784, 64, 64, 10], activation: 'relu', init: 'heUniform' },
      optimizer: { name: 'adam', lr: 1e-3 }, batchSize: 64, epochs: 3, maxSteps: 0,
      evalEvery: 0, alignEvery: 0, memory: false, debug: false,
    };
    const evals: EvalRecord[] = [];
    runTrial(config, 't', syntheticGradients, (r) => r.type === 'eval' && evals.push(r));
    const last = evals[evals.length - 1];
    expect(last.testAcc).toBeGreaterThan(0.75);
    expect(last.metrics['layer1.cosTarget']).toBeGreaterThan(0.3);
  });
});
