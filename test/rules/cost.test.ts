// Cost models: every registered rule declares one (forward-pass equivalents per step, the unit
// of src/rules/cost.ts), it moves with the options the rule's work depends on, and a rule without
// one is refused by name wherever it enters.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildModel,
  buildNetwork,
  costContext,
  getRule,
  layerCostContext,
  listRules,
  modelStepCost,
  registerRule,
  SpecError,
  stepCost,
  type AnyRule,
} from '../../src/index.ts';
import { loadBuiltins } from '../../src/runner/execute.ts';
import { validateSpec } from '../../src/runner/spec.ts';

beforeAll(() => loadBuiltins());

/** Weight layers doing these shares of a forward's multiply-adds, the first on the data (no input gradient). */
const mlpLayers = (shares: readonly number[]) => shares.map((macs, i) => ({ macs, inputGradient: i > 0 }));

/** A step's cost of rule `id` at its defaults overridden by `options` (an MNIST MLP's size and layers, batch 64). */
const costOf = (
  id: string,
  options: Record<string, number | string | boolean> = {},
  parameters = 200_000,
  layerShares = [0.75, 0.24, 0.01],
) => {
  const rule = getRule(id);
  return stepCost(rule, layerCostContext({ ...rule.defaults, ...options }, parameters, 64, mlpLayers(layerShares)));
};

/** stepCost of rule `id` on `model` at batch 128. */
const costOfOn = (model: ReturnType<typeof buildModel>, id: string, options: Record<string, number | string | boolean> = {}) => {
  const rule = getRule(id);
  return stepCost(rule, costContext(model, { ...rule.defaults, ...options }, 128));
};

describe('cost models', () => {
  it("every registered rule declares one, a finite positive figure at its defaults; backprop's is the context's backpropStep", () => {
    const rules = listRules();
    expect(rules.length).toBeGreaterThanOrEqual(18);
    const mlp = buildModel({ sizes: [784, 256, 256, 10] });
    for (const r of rules) {
      expect(typeof r.cost, r.id).toBe('function');
      const c = costOfOn(mlp, r.id);
      expect(Number.isFinite(c) && c > 0, `${r.id}: ${c}`).toBe(true);
    }
    // A forward (1), the weight gradients (1), and the input VJPs of every layer but the first (0.25).
    expect(costOf('backprop')).toBeCloseTo(2.25, 12);
  });

  it("backprop's step from the layers' shapes: no input gradient below the first trainable module", () => {
    const mlp = costContext(buildModel({ sizes: [784, 256, 256, 10] }), {}, 128);
    const macs = [784 * 256, 256 * 256, 256 * 10];
    const total = macs.reduce((a, b) => a + b, 0);
    expect(mlp.inputVjp).toBeCloseTo((macs[1] + macs[2]) / total, 12);
    expect(mlp.backward).toBeCloseTo(1 + (macs[1] + macs[2]) / total, 12);
    expect(mlp.backpropStep).toBeCloseTo(2 + (macs[1] + macs[2]) / total, 12);
    // Under a trainable embedding the first dense layer's input needs its error too: a full backward.
    const embedded = buildNetwork(
      [
        { type: 'embedding', dim: 3, vocab: 5 },
        { type: 'dense', units: 4, positionwise: true },
      ],
      [6],
    );
    expect(costContext(embedded, {}, 8).inputVjp).toBe(1);
    expect(costContext(embedded, {}, 8).backpropStep).toBe(3);
  });

  // Each rule whose work grows with an option: doubling it must raise the cost, and a population
  // or a number of directions multiplies it.
  it.each([
    ['evolution-strategies', 'population', 8, 16, 2],
    ['cma-es', 'population', 4, 8, 2],
    ['mezo', 'samples', 1, 2, 2],
    ['forward-gradient', 'directions', 1, 4, 4],
    ['reinforce', 'samples', 1, 3, 3],
    ['predictive-coding', 'steps', 10, 20, null],
    ['equilibrium-propagation', 'nudgedSteps', 5, 10, null],
    ['equilibrium-propagation', 'freeSteps', 10, 20, null],
    ['weight-mirroring', 'mirrorSteps', 1, 2, null],
    ['weight-mirroring', 'mirrorBatch', 64, 128, null],
    ['target-propagation', 'inverseSteps', 1, 2, null],
    ['backprop', 'checkpoint', 0, 2, null],
  ] as const)('%s: grows with option %s (%d → %d)', (id, option, from, to, factor) => {
    const a = costOf(id, { [option]: from });
    const b = costOf(id, { [option]: to });
    expect(b).toBeGreaterThan(a);
    if (factor !== null) expect(b / a).toBeCloseTo(factor, 12);
  });

  it('options that change the passes a step makes change its cost', () => {
    expect(costOf('forward-gradient', { perturb: 'activities', directions: 4 })).toBeLessThan(
      costOf('forward-gradient', { directions: 4 }),
    );
    expect(costOf('equilibrium-propagation', { nudging: 'symmetric' })).toBeGreaterThan(
      costOf('equilibrium-propagation', { nudging: 'positive' }),
    );
    expect(costOf('predictive-coding', { updateAt: 'every' })).toBeGreaterThan(costOf('predictive-coding', { updateAt: 'end' }));
    const mlp = buildModel({ sizes: [784, 256, 256, 10] });
    expect(costOfOn(mlp, 'synthetic-gradients', { target: 'backprop' })).toBeGreaterThan(costOfOn(mlp, 'synthetic-gradients'));
    // CMA-ES's default population follows the parameter count (Hansen's 4 + ⌊3 ln n⌋).
    expect(costOf('cma-es', { population: 0 }, 1000)).toBe(4 + Math.floor(3 * Math.log(1000)));
    expect(costOf('cma-es', { population: 0 }, 1e6)).toBeGreaterThan(costOf('cma-es', { population: 0 }, 1000));
  });

  it("synthetic gradients: backprop's step plus each synthesizer's forward and its regression's backward, from their layers' shapes", () => {
    const mlp = buildModel({ sizes: [784, 256, 256, 10] });
    const c = costContext(mlp, {}, 128);
    const F = 784 * 256 + 256 * 256 + 256 * 10;
    // A linear synthesizer (256 → 256) at each of the two hidden activations: its forward and its weight gradient.
    expect(costOfOn(mlp, 'synthetic-gradients')).toBeCloseTo(c.backpropStep + (2 * (256 * 256 * 2)) / F, 12);
    // target 'backprop' reruns the model's forward and backward, not the synthesizers.
    expect(costOfOn(mlp, 'synthetic-gradients', { target: 'backprop' })).toBeCloseTo(2 * c.backpropStep + (2 * (256 * 256 * 2)) / F, 12);
    // An MLP synthesizer (256 → 64 → 256): its forward, the input gradient of its second layer, both weight gradients.
    const mlpSynth = 256 * 64 + 64 * 256;
    expect(costOfOn(mlp, 'synthetic-gradients', { synthesizer: 'mlp', synthHidden: 64 })).toBeCloseTo(
      c.backpropStep + (2 * (mlpSynth * 2 + 64 * 256)) / F,
      12,
    );
    // cDNI: the label's 10 one-hot features join each synthesizer's input; one boundary named.
    expect(costOfOn(mlp, 'synthetic-gradients', { conditioned: true, boundaries: 'act1' })).toBeCloseTo(
      c.backpropStep + ((256 + 10) * 256 * 2) / F,
      12,
    );
    // Temporal DNI: one synthesizer (8 → 8) per recurrent module, run at each of its ⌊(T − 1)/k⌋ cuts: 12 steps cut every 4, at 4 and 8.
    const rnn = buildNetwork(
      [
        { type: 'rnn', cell: 'elman', hidden: 8 },
        { type: 'dense', units: 3, positionwise: true },
      ],
      [12, 5],
    );
    const r = costContext(rnn, {}, 16);
    expect(costOfOn(rnn, 'synthetic-gradients', { truncate: 4 })).toBeCloseTo(r.backpropStep + (2 * (8 * 8 * 2)) / r.macs, 12);
    // Without the model it cannot see the boundaries' shapes, and says so.
    expect(() => costOf('synthetic-gradients')).toThrow(/synthetic-gradients: its cost model reads the boundaries' shapes/);
  });

  it("relaxation skips the input's drive, fixed while the states settle: the larger the first layer's share, the cheaper", () => {
    for (const id of ['predictive-coding', 'equilibrium-propagation']) {
      expect(costOf(id, {}, 200_000, [0.9, 0.1]), id).toBeLessThan(costOf(id, {}, 200_000, [0.5, 0.5]));
    }
    // With every layer but the first negligible, a settling step costs nothing: PC is its two forwards and the weight gradients.
    expect(costOf('predictive-coding', {}, 200_000, [1, 0])).toBe(3);
    // and then neither needs backprop more than a forward and the weight gradients.
    expect(costOf('backprop', {}, 200_000, [1, 0])).toBe(2);
  });

  it("the cost context: the model's parameter count, and each weight layer's share of a forward's multiply-adds", () => {
    const mlp = costContext(buildModel({ sizes: [784, 256, 256, 10] }), {}, 128);
    expect(mlp.parameters).toBe(784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10);
    const macs = [784 * 256, 256 * 256, 256 * 10];
    const total = macs.reduce((a, b) => a + b, 0);
    mlp.layerShares.forEach((x, i) => expect(x).toBeCloseTo(macs[i] / total, 12));
    expect(mlp.batchSize).toBe(128);
    // A convolution's weight is used at every output position: 5×5×1×8 weights at 24×24 positions, then 5×5×8×16 at 8×8.
    const conv = buildNetwork(
      [{ type: 'conv2d', channels: 8, kernel: 5 }, 'relu', { type: 'maxPool2d', kernel: 2 }, { type: 'conv2d', channels: 16, kernel: 5 }],
      [1, 28, 28],
    );
    const c = [25 * 8 * 24 * 24, 25 * 8 * 16 * 8 * 8];
    costContext(conv, {}, 1).layerShares.forEach((x, i) => expect(x).toBeCloseTo(c[i] / (c[0] + c[1]), 12));
  });

  it("a Gaussian draw over every parameter at 58 operations a value, against a forward's 2 per multiply-add; the rules that regenerate their noise count its draws", () => {
    const mlp = buildModel({ sizes: [784, 256, 256, 10] });
    const c = costContext(mlp, {}, 128);
    const macs = 784 * 256 + 256 * 256 + 256 * 10;
    const g = (58 * c.parameters) / (2 * 128 * macs);
    expect(c.gaussianDraw).toBeCloseTo(g, 12);
    // A larger batch makes a forward dearer, the draw not.
    expect(costContext(mlp, {}, 256).gaussianDraw).toBeCloseTo(g / 2, 12);
    const model = (id: string, options: Record<string, number | string> = {}) => {
      const r = getRule(id);
      return modelStepCost(r, costContext(mlp, { ...r.defaults, ...options }, 128));
    };
    // MeZO: two passes; z at +ε, −2ε, +ε and for the update, once per remembered step with momentum.
    expect(model('mezo')).toBeCloseTo(2 + 4 * g, 12);
    expect(model('mezo', { samples: 2, momentum: 0.5, momentumWindow: 8 })).toBeCloseTo(4 + 2 * (3 + 8) * g, 12);
    // A ±1 value: 22 operations (its hashed word, the sign, the scale and add).
    expect(model('mezo', { noise: 'rademacher' })).toBeCloseTo(2 + ((4 * 22) / 58) * g, 12);
    expect(model('evolution-strategies', { population: 8 })).toBeCloseTo(8 + 8 * g, 12);
    // CMA-ES: λ samples, then the best μ = ⌊λ/2⌋ once (the update and the next step's adaptation read the same draws).
    expect(model('cma-es', { population: 10 })).toBeCloseTo(10 + 15 * g, 12);
    expect(model('forward-gradient', { directions: 3 })).toBeCloseTo(costOfOn(mlp, 'forward-gradient', { directions: 3 }) + 6 * g, 12);
    expect(model('forward-gradient', { directions: 3, perturb: 'activities' })).toBe(
      costOfOn(mlp, 'forward-gradient', { directions: 3, perturb: 'activities' }),
    );
    // A rule that draws no parameter noise: its cost model alone.
    expect(model('backprop')).toBe(c.backpropStep);
  });

  it('stochastic units: a logistic draw a unit at 81 operations (Gumbel-softmax), a uniform one at 21 (REINFORCE, per sample), against 2 per multiply-add', () => {
    const mlp = buildModel({ sizes: [784, 256, 256, 10] });
    const macs = 784 * 256 + 256 * 256 + 256 * 10;
    const model = (id: string, options: Record<string, number | string> = {}) => {
      const r = getRule(id);
      return modelStepCost(r, costContext(mlp, { ...r.defaults, ...options }, 128));
    };
    const bp = costContext(mlp, {}, 128).backpropStep;
    // Two hidden activations of 256 units each; the batch size cancels (B values a unit, B examples a forward).
    const first = mlp.activations()[0].path;
    expect(model('gumbel-softmax')).toBeCloseTo(bp + (81 * 512) / (2 * macs), 12);
    expect(model('gumbel-softmax', { at: first })).toBeCloseTo(bp + (81 * 256) / (2 * macs), 12);
    expect(model('reinforce')).toBeCloseTo(bp + (21 * 512) / (2 * macs), 12);
    expect(model('reinforce', { samples: 3 })).toBeCloseTo(3 * bp + (3 * 21 * 512) / (2 * macs), 12);
  });

  const noCost = (): AnyRule => {
    const { cost: _c, ...rest } = getRule('backprop');
    return { ...rest, id: 'costless' } as unknown as AnyRule;
  };

  it('a rule without one is refused when registered, naming the rule', () => {
    expect(() => registerRule(noCost(), 'my-rules.ts')).toThrow(
      new SpecError(
        'my-rules.ts: rule "costless" declares no cost model; add cost: (c) => forward-pass equivalents per training step (backprop\'s is c.backpropStep, see src/rules/cost.ts)',
      ),
    );
  });

  it('a rule object without one is refused by the spec, naming the entry', () => {
    const spec = {
      name: 'x',
      data: { name: 'blobs', train: 64, test: 16, classes: 3, features: 4 },
      model: { sizes: [4, 8, 3] },
      optimizer: { name: 'sgd', lr: 0.1 },
      rules: ['backprop', { rule: noCost() }],
      seeds: [0],
      epochs: 1,
      batchSize: 8,
    };
    expect(() => validateSpec(spec, getRule)).toThrow(/^rules\[1\]\.rule: rule "costless" declares no cost model/);
  });

  it('a cost model that gives no number is refused, naming the rule', () => {
    const bad = { ...getRule('backprop'), id: 'nan-cost', cost: () => NaN } as AnyRule;
    expect(() => stepCost(bad, layerCostContext({}, 10, 1, mlpLayers([1])))).toThrow(
      'rule "nan-cost": its cost model gave NaN for options {}; expected a number ≥ 0',
    );
  });
});
