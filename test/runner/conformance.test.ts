// Every registered rule passes the one conformance suite.
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES } from '../../algorithms/index.ts';
import { CONFORMANCE_MODELS, checkConformance, refusal, type ConformanceArchitecture } from '../../src/testing.ts';
import { defineRule, mul, scalar, taskGradient, type RuleOptions } from '../../src/index.ts';

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
// Rules not defined for an architecture, with what their refusal must name: the rule and the
// module path. Every rule runs on the MLP; a refusal anywhere not listed here fails.
const REFUSED: Record<string, Partial<Record<ConformanceArchitecture, RegExp>>> = {
  pepita: { residual: /^pepita: the module at "block1\.conv1" has parameters inside the residual at "block1"; .*plain stack/ },
  'target-propagation': {
    residual: /^target-propagation: the module at "block1\.conv1" has parameters inside the residual at "block1"; .*plain stack/,
  },
  'predictive-coding': { residual: /^predictive-coding: module "block1" \(residual\) holds the weight layer "block1\.conv1"/ },
  // Its energy is defined on dense layers only: the conv net's first conv is refused.
  'equilibrium-propagation': {
    conv: /^equilibrium-propagation: module "[\w.]+" \(conv2d\) is not a dense layer/,
    residual: /^equilibrium-propagation: module "[\w.]+" \(\w+\) /,
  },
};

describe('conformance suite', () => {
  for (const rule of BUILTIN_RULES) {
    for (const architecture of Object.keys(CONFORMANCE_MODELS) as ConformanceArchitecture[]) {
      const options =
        SMALL[rule.id] ??
        (architecture === 'mlp' ? {} : ((architecture === 'residual' ? ON_RESIDUAL[rule.id] : undefined) ?? ON_IMAGES[rule.id] ?? {}));
      const refused = REFUSED[rule.id]?.[architecture];
      if (refused) {
        it(`${rule.id} refuses the ${architecture} net before training, naming the module`, () => {
          expect(refusal(rule, { architecture, options })).toMatch(refused);
        });
        continue;
      }
      it(`${rule.id} conforms on the ${architecture} net`, () => {
        expect(refusal(rule, { architecture, options })).toBeNull();
        const failed = checkConformance(rule, { architecture, options }).filter((c) => !c.ok);
        expect(failed).toEqual([]);
      });
    }
  }

  it('refusals are declared only where a rule is undefined: every rule runs on an MLP, all but the energy-based one on a conv net', () => {
    for (const [id, archs] of Object.entries(REFUSED)) {
      expect(archs.mlp).toBeUndefined();
      if (id !== 'equilibrium-propagation') expect(archs.conv).toBeUndefined();
    }
  });

  it('catches a rule that mutates parameters, is non-deterministic, or leaks state', () => {
    let calls = 0;
    const bad = defineRule({
      id: 'bad-rule',
      description: 'breaks the contract on purpose',
      defaults: {},
      cost: () => 3,
      init: () => ({ grow: [] as number[] }),
      step(ctx, state, batch) {
        calls++;
        const { loss, grads } = taskGradient(ctx, batch);
        ctx.params[0].data[0] += 1; // mutates
        return { updates: grads.map((g) => mul(g, scalar(1 + calls))), state, loss, metrics: { nan: NaN } };
      },
    });
    const byName = Object.fromEntries(checkConformance(bad).map((c) => [c.name, c.ok]));
    expect(byName['step does not mutate the parameters']).toBe(false);
    expect(byName['same seed gives identical updates']).toBe(false);
    expect(byName['loss and metrics are finite numbers']).toBe(false);
  });

  it('catches a rule whose steps depend on something its state does not hold (it cannot resume exactly)', () => {
    // The step count lives in a closure instead of the rule's state: a resumed trial starts it at 0 again.
    let hidden = 0;
    const forgetful = defineRule({
      id: 'forgetful-rule',
      description: 'keeps a counter outside its state on purpose',
      defaults: {},
      cost: () => 3,
      init: () => ({}),
      step(ctx, state, batch) {
        const { loss, grads } = taskGradient(ctx, batch);
        const scale = 1 / (1 + 0.01 * hidden++);
        return { updates: grads.map((g) => mul(g, scalar(scale))), state, loss, metrics: {} };
      },
    });
    const byName = Object.fromEntries(checkConformance(forgetful).map((c) => [c.name, c]));
    expect(byName['an interrupted trial continues from its checkpoint exactly'].ok).toBe(false);
    expect(byName['an interrupted trial continues from its checkpoint exactly'].detail).toMatch(/^record \d+ differs after resuming/);
    expect(byName['loss falls on a small task within the budget'].ok).toBe(true);
  });
});
