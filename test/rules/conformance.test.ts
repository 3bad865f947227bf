// Every registered rule passes the one conformance suite.
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES } from '../../algorithms/index.ts';
import { CONFORMANCE_MODELS, checkConformance, type ConformanceArchitecture } from '../../src/rules/conformance.ts';
import { buildModel, classification, defineRule, rng, ruleContext, SpecError, valueAndGrad, mul, scalar, type ModelSpec, type RuleOptions, type Tensor } from '../../src/index.ts';

// Options that keep the image nets small and fast (the rules' own defaults are sized for MNIST).
const ON_IMAGES: Record<string, RuleOptions> = {
  'synthetic-gradients': { synthChannels: 4 },
  // Score-function updates on every unit of a conv net are noisy: average 4 draws per input.
  reinforce: { baseline: 'leave-one-out', samples: 4 },
};
// With every unit of the residual net stochastic, REINFORCE's variance keeps the loss from
// falling 20% in the suite's 240 steps; the contract is checked with the last block's units stochastic.
const ON_RESIDUAL: Record<string, RuleOptions> = { reinforce: { ...ON_IMAGES.reinforce, at: 'block2.act' } };
// A step of these costs its inference steps or its population in forward passes: the contract is
// checked with small budgets (their own tests check what the defaults are for).
const SMALL: Record<string, RuleOptions> = {
  'predictive-coding': { steps: 4 },
  'equilibrium-propagation': { freeSteps: 12, nudgedSteps: 4 },
  'evolution-strategies': { population: 4 },
  'cma-es': { population: 4 },
};
// Rules defined only for some models: on the others they must refuse before training, naming
// themselves and the module they cannot handle.
const REFUSES: Record<string, ConformanceArchitecture[]> = {
  'predictive-coding': ['residual'],
  'equilibrium-propagation': ['conv', 'residual'],
};

describe('conformance suite', () => {
  for (const rule of BUILTIN_RULES) {
    for (const architecture of Object.keys(CONFORMANCE_MODELS) as ConformanceArchitecture[]) {
      if (REFUSES[rule.id]?.includes(architecture)) {
        it(`${rule.id} refuses the ${architecture} net with a SpecError naming the rule and a module`, () => {
          const model = buildModel(CONFORMANCE_MODELS[architecture] as ModelSpec, { sampleShape: [1, 6, 6], outputs: 4 });
          const ctx = ruleContext({ model, task: classification(4), params: model.init(rng(0)), rule, rng: rng(0), dropout: rng(1), step: -1 });
          expect(() => rule.check!(ctx)).toThrow(SpecError);
          expect(() => rule.check!(ctx)).toThrow(new RegExp(`^${rule.id}: module "[\\w.]+"`));
        });
        continue;
      }
      it(`${rule.id} conforms on the ${architecture} net`, () => {
        const options = SMALL[rule.id] ?? (architecture === 'mlp' ? {} : (architecture === 'residual' ? ON_RESIDUAL[rule.id] : undefined) ?? ON_IMAGES[rule.id] ?? {});
        const failed = checkConformance(rule, { architecture, options }).filter((c) => !c.ok);
        expect(failed).toEqual([]);
      });
    }
  }

  it('catches a rule that mutates parameters, is non-deterministic, or leaks state', () => {
    let calls = 0;
    const bad = defineRule({
      id: 'bad-rule',
      description: 'breaks the contract on purpose',
      defaults: {},
      init: () => ({ grow: [] as number[] }),
      step(ctx, state, batch) {
        calls++;
        const { value, grads } = valueAndGrad((p: Tensor[]) => ctx.task.loss(ctx.model.forward(p, batch.x, ctx.train), batch))([...ctx.params]);
        ctx.params[0].data[0] += 1; // mutates
        return { updates: grads.map((g) => mul(g, scalar(1 + calls))), state, loss: value.item(), metrics: { nan: NaN } };
      },
    });
    const byName = Object.fromEntries(checkConformance(bad).map((c) => [c.name, c.ok]));
    expect(byName['step does not mutate the parameters']).toBe(false);
    expect(byName['same seed gives identical updates']).toBe(false);
    expect(byName['loss and metrics are finite numbers']).toBe(false);
  });
});
