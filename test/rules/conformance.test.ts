// Every registered rule passes the one conformance suite.
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES } from '../../algorithms/index.ts';
import { checkConformance } from '../../src/rules/conformance.ts';
import { defineRule, valueAndGrad, mul, scalar, type Tensor } from '../../src/index.ts';

describe('conformance suite', () => {
  for (const rule of BUILTIN_RULES) {
    it(`${rule.id} conforms`, () => {
      const failed = checkConformance(rule).filter((c) => !c.ok);
      expect(failed).toEqual([]);
    });
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
        const { value, grads } = valueAndGrad((p: Tensor[]) => ctx.task.loss(ctx.model.forward(p, batch.x).out, batch))([...ctx.params]);
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
