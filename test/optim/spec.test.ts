// optimizerFromSpec: builds the named optimizer and names the bad field or value otherwise.
import { describe, expect, it } from 'vitest';
import { OPTIMIZER_NAMES, optimizerFromSpec, type OptimizerSpec } from '../../src/optim/index.ts';
import { SpecError } from '../../src/errors.ts';
import { tensor } from '../../src/tensor/tensor.ts';

const bad = (spec: unknown) => () => optimizerFromSpec(spec as OptimizerSpec);

describe('optimizerFromSpec', () => {
  it('builds each optimizer with its options', () => {
    expect(OPTIMIZER_NAMES).toEqual(['sgd', 'momentum', 'rmsprop', 'adam', 'adamw']);
    const p = tensor([1]);
    const opt = optimizerFromSpec({ name: 'momentum', lr: 0.1, momentum: 0.5, nesterov: true });
    expect(opt.name).toBe('momentum');
    const state = opt.init([p]);
    opt.update([p], [tensor([1])], state, 0); // v = 1, step along 1 + 0.5
    expect(p.item()).toBeCloseTo(0.85, 6);
    expect(optimizerFromSpec({ name: 'adamw', lr: 1e-3, beta2: 0.99, weightDecay: 0 }).name).toBe('adamw');
    // rmsprop's own field reaches it: α 0.5 gives v = 0.5·4 = 2 on the first step, not 0.01·4.
    const q = tensor([1]);
    const rms = optimizerFromSpec({ name: 'rmsprop', lr: 0.1, alpha: 0.5 });
    rms.update([q], [tensor([2])], rms.init([q]), 0);
    expect(q.item()).toBeCloseTo(1 - 0.1 * (2 / Math.sqrt(2)), 6);
    const sched = optimizerFromSpec({ name: 'sgd', lr: 1, schedule: { kind: 'step', every: 5, gamma: 0.1 } });
    expect(sched.lr(5)).toBeCloseTo(0.1, 12);
  });

  it('names an unknown optimizer and lists the accepted ones', () => {
    expect(bad({ name: 'adagrad', lr: 0.1 })).toThrow(SpecError);
    expect(bad({ name: 'adagrad', lr: 0.1 })).toThrow(/unknown name "adagrad"; accepted: sgd, momentum, rmsprop, adam, adamw/);
    expect(bad({ name: 'toString', lr: 0.1 })).toThrow(/unknown name/);
  });

  it('names a field that does not belong to the optimizer', () => {
    expect(bad({ name: 'adam', lr: 0.1, momentum: 0.9 })).toThrow(/optimizer adam: unknown field "momentum"; accepted fields: .*beta1/);
    expect(bad({ name: 'sgd', lr: 0.1, nesterov: true })).toThrow(/unknown field "nesterov"/);
  });

  it('names a bad value', () => {
    expect(bad({ name: 'sgd' })).toThrow(/"lr" must be a non-negative number, got undefined/);
    expect(bad({ name: 'sgd', lr: -1 })).toThrow(/"lr"/);
    expect(bad({ name: 'adam', lr: 0.1, beta1: 1 })).toThrow(/optimizer adam: "beta1" must be in \[0, 1\), got 1/);
    expect(bad({ name: 'adam', lr: 0.1, eps: 0 })).toThrow(/"eps"/);
    expect(bad({ name: 'momentum', lr: 0.1, nesterov: 'yes' })).toThrow(/"nesterov"/);
    expect(bad({ name: 'sgd', lr: 0.1, clipNorm: -2 })).toThrow(/"clipNorm"/);
    expect(bad({ name: 'sgd', lr: 0.1, weightDecay: 'x' })).toThrow(/"weightDecay"/);
    expect(bad({ name: 'sgd', lr: 0.1, schedule: { kind: 'cosine' } })).toThrow(/"totalSteps"/);
  });
});
