// The bench's rule timing (bench/rules.ts): a rule that diverges on the bench's first setting is
// timed on the first setting where it runs all its steps, backprop beside it there; a rule that
// runs on none gets no time at all and a line the bench fails with, never a 0.00 ms row.
import { describe, expect, it } from 'vitest';
import { SETTINGS, timeRules, untimed } from '../../bench/rules.ts';
import '../../algorithms/index.ts';
import { defineRule, registerRule, taskGradient } from '../../src/index.ts';

// Diverges (NaN updates) at any rate on ReLU; trains on a bounded activation: where EP times.
const reluShy = defineRule({
  id: 'bench-test-relu-shy',
  description: 'backprop, except that its updates are NaN on a ReLU network',
  defaults: {},
  cost: () => 3,
  init: () => null,
  step(ctx, state, batch) {
    const { loss, grads } = taskGradient(ctx, batch);
    if (ctx.model.activations().some((a) => a.activation.name === 'relu')) for (const g of grads) g.data[0] = NaN;
    return { updates: grads, state, loss, metrics: {} };
  },
});
const alwaysNaN = defineRule({
  id: 'bench-test-always-nan',
  description: 'NaN updates on every setting',
  defaults: {},
  cost: () => 3,
  init: () => null,
  step(ctx, state, batch) {
    const { loss, grads } = taskGradient(ctx, batch);
    for (const g of grads) g.data[0] = NaN;
    return { updates: grads, state, loss, metrics: {} };
  },
});
registerRule(reluShy);
registerRule(alwaysNaN);

describe('bench rule timing', () => {
  it('times a rule where it runs, and refuses to time one that runs nowhere', () => {
    const lines: string[] = [];
    const rows = timeRules(2, 1, (s) => lines.push(s), [reluShy.id, alwaysNaN.id]);
    const row = (id: string) => rows.find((r) => r.rule === id)!;
    expect(row('backprop').setting).toBe(SETTINGS[0]);
    expect(row('backprop').medianStepMs).toBeGreaterThan(0);

    const shy = row(reluShy.id);
    expect(shy.setting?.activation).not.toBe('relu');
    expect(shy.medianStepMs).toBeGreaterThan(0);
    expect(shy.ratioToBp).toBeGreaterThan(0);
    expect(shy.note).toMatch(/timed on sigmoid/);

    const nan = row(alwaysNaN.id);
    expect(nan.medianStepMs).toBeNull();
    expect(nan.ratioToBp).toBeNull();
    expect(nan.note).toMatch(/runs its 2 steps on no setting/);
    expect(lines.some((l) => l.includes(alwaysNaN.id) && l.includes('NOT TIMED'))).toBe(true);
    expect(untimed(rows)).toMatch(/1 rule\(s\) not timed: bench-test-always-nan/);
  });
});
