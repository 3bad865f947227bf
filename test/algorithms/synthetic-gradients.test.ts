import { describe, expect, it } from 'vitest';
import { backprop } from '../../algorithms/backprop.ts';
import { boundariesOf, syntheticGradients } from '../../algorithms/synthetic-gradients.ts';
import { CONFORMANCE_MODELS, checkConformance } from '../../src/testing.ts';
import { runTrial, type EvalRecord, type TrialConfig } from '../../src/runner/trial.ts';
import {
  SignalProbe,
  buildModel,
  blobs,
  classification,
  errorSignalAlignment,
  fromArray,
  materialize,
  rng,
  ruleContext,
  trueGradient,
  withSignalProbe,
  type AnyRule,
  type Batch,
  type ModelSpec,
  type RuleContext,
  type RuleOptions,
} from '../../src/index.ts';

type Opts = typeof syntheticGradients.defaults;

function setup(sizes = [8, 12, 10, 9, 3], options: Partial<Opts> = {}, spec: ModelSpec | null = null, sample: number[] | null = null) {
  const classes = sizes[sizes.length - 1];
  const model = spec
    ? buildModel(spec, { sampleShape: sample!, outputs: classes })
    : buildModel({ sizes, activation: 'tanh', init: 'xavierUniform' });
  const params = model.init(rng(2).child('init'));
  const ds = blobs(30, classes, model.inputSize, 0.6, rng(2).child('data'));
  const batch: Batch = { x: fromArray(ds.x, [ds.n, ds.features]), labels: ds.y, size: ds.n };
  const at = (step: number, rule: AnyRule = syntheticGradients as AnyRule, o: RuleOptions = options) =>
    ruleContext({
      model,
      task: classification(classes),
      params,
      step,
      rule,
      options: o,
      rng: rng(2).child('rule'),
      dropout: rng(2).child('dropout'),
    });
  const ctx = at(0) as RuleContext<Opts>;
  return { model, params, batch, ctx, at };
}

const bp = (s: ReturnType<typeof setup>) => materialize(backprop.step(s.at(0, backprop as AnyRule, {}) as never, null, s.batch).updates);

describe('synthetic gradients', () => {
  const variants: RuleOptions[] = [{ conditioned: true, synthesizer: 'mlp', synthHidden: 16 }, { target: 'backprop' }];
  for (const options of variants) {
    it(`passes the conformance suite ${JSON.stringify(options)}`, () => {
      const failed = checkConformance(syntheticGradients, { options }).filter((c) => !c.ok);
      expect(failed).toEqual([]);
    });
  }

  const convNet: [ModelSpec, number[]] = [CONFORMANCE_MODELS.conv as ModelSpec, [1, 6, 6]];
  for (const [conditioned, arch] of [
    [false, 'mlp'],
    [true, 'mlp'],
    [false, 'conv'],
    [true, 'conv'],
  ] as const) {
    it(`oracle mode (true gradient in place of the synthesizer) gives backprop's updates (${arch}, conditioned ${conditioned})`, () => {
      const s =
        arch === 'mlp' ? setup(undefined, { oracle: true, conditioned }) : setup([36, 4], { oracle: true, conditioned }, ...convNet);
      const state = syntheticGradients.init(s.ctx);
      const u = materialize(syntheticGradients.step(s.ctx, state, s.batch).updates);
      const ref = bp(s);
      u.forEach((t, i) => t.data.forEach((v, k) => expect(v).toBeCloseTo(ref[i].data[k], 6)));
    });
  }

  for (const arch of ['mlp', 'conv'] as const) {
    it(`a zero-initialized synthesizer gives zero updates below its boundary at step 0; above it, backprop (${arch})`, () => {
      const s =
        arch === 'mlp'
          ? setup(undefined, { boundaries: 'act2', conditioned: true, synthesizer: 'mlp', synthHidden: 8 })
          : setup([36, 4], { boundaries: 'act1', conditioned: true }, ...convNet);
      const below = arch === 'mlp' ? ['fc1', 'fc2'] : ['conv1', 'bn1'];
      const state = syntheticGradients.init(s.ctx);
      const u = materialize(syntheticGradients.step(s.ctx, state, s.batch).updates);
      const ref = bp(s);
      s.model.paramOwner.forEach((owner, i) => {
        if (below.includes(owner))
          expect(
            u[i].data.every((v) => v === 0),
            owner,
          ).toBe(true);
        else u[i].data.forEach((v, k) => expect(v).toBeCloseTo(ref[i].data[k], 6));
      });
      expect(ref[0].data.some((v) => v !== 0)).toBe(true);
    });
  }

  it('synthesizers learn: updates turn nonzero and the delivered error signals align with backprop’s', () => {
    const s = setup(undefined, { synthLr: 1e-2 });
    let state = syntheticGradients.init(s.ctx);
    let metrics: Record<string, number> = {};
    const losses: number[] = [];
    for (let step = 0; step < 100; step++) {
      const res = syntheticGradients.step(s.at(step) as RuleContext<Opts>, state, s.batch);
      state = res.state;
      metrics = res.metrics;
      losses.push(res.metrics['act3.synthLoss']);
    }
    // Boundaries after every hidden activation; act3's is the top one (its target is the true gradient).
    expect(boundariesOf(s.model, 'all')).toEqual(['act1', 'act2', 'act3']);
    expect(metrics['act3.cosTarget']).toBeGreaterThan(0.7);
    expect(losses[losses.length - 1]).toBeLessThan(0.7 * losses[0]);
    // What reaches each layer's pre-activation, against backprop's δ there on the same batch:
    // bootstrapping lets the lower synthesizers learn too (their targets start at zero).
    const paths = ['fc2', 'fc3'];
    const probe = new SignalProbe(new Set(paths));
    const ctx = s.at(100) as RuleContext<Opts>;
    const u = materialize(withSignalProbe(probe, () => syntheticGradients.step(ctx, state, s.batch)).updates);
    const truth = trueGradient(s.model, ctx.task, s.params, s.batch, ctx.train, paths).signals;
    const cos = Object.fromEntries(errorSignalAlignment(probe.signals, truth, paths).map((e) => [e.layer, e.cosine]));
    expect(cos.fc3).toBeGreaterThan(0.6);
    expect(cos.fc2).toBeGreaterThan(0.3);
    expect(u[0].data.some((v) => v !== 0)).toBe(true);
  });

  it('rejects boundaries that are not module paths, listing the activations', () => {
    const s = setup();
    expect(() => syntheticGradients.init({ ...s.ctx, options: { ...s.ctx.options, boundaries: 'fc9' } })).toThrow(
      /boundaries names "fc9".*act1, act2, act3/,
    );
  });

  it('cDNI trains an MLP on an MNIST slice well above chance', () => {
    const config: TrialConfig = {
      experiment: 'test',
      rule: 'synthetic-gradients',
      options: { conditioned: true, synthLr: 1e-2 },
      seed: 0,
      data: { name: 'mnist', train: 3000, test: 1000 },
      model: { sizes: [784, 64, 64, 10], activation: 'relu', init: 'heUniform' },
      optimizer: { name: 'adam', lr: 1e-3 },
      batchSize: 64,
      epochs: 3,
      maxSteps: 0,
      evalEvery: 0,
      alignEvery: 0,
      alignSamples: 16,
      memory: false,
      debug: false,
    };
    const evals: EvalRecord[] = [];
    runTrial(config, 't', syntheticGradients, (r) => r.type === 'eval' && evals.push(r));
    const last = evals[evals.length - 1];
    expect(last.testAcc).toBeGreaterThan(0.75);
    expect(last.metrics['act2.cosTarget']).toBeGreaterThan(0.3);
  });
});
