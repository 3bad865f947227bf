// The optimizer and schedule registries: a user's optimizer or schedule is built from a spec like
// a built-in (the common fields and its own checked, unknown ones named); names are taken once.
import { describe, expect, it } from 'vitest';
import {
  chain,
  defineOptimizer,
  defineSchedule,
  listOptimizers,
  listSchedules,
  optimizerFromSpec,
  optional,
  registerOptimizer,
  registerSchedule,
  scaleByLearningRate,
  scheduleFromSpec,
  SpecError,
  tensor,
  traceMomentum,
  type OptimizerSpec,
} from '../../src/index.ts';
import { checkNumber, unitInterval } from '../../src/optim/transforms.ts';
import { anything } from '../../src/fields.ts';
import { scheduleNumber } from '../../src/optim/schedules.ts';

/** Momentum whose velocity the rate does not scale twice: a user's chain under a name of its own. */
const heavyBall = defineOptimizer({
  name: 'heavy-ball',
  fields: { beta: optional(anything<number>()) },
  build: (o) =>
    chain(
      'heavy-ball',
      traceMomentum(checkNumber('optimizer heavy-ball', 'beta', o.beta ?? 0.5, unitInterval, 'in [0, 1)'), false),
      scaleByLearningRate(o.lr),
    ),
});

/** lr falling linearly to 0 at `steps`. */
const linear = defineSchedule({
  kind: 'linear',
  fields: { steps: scheduleNumber((v) => Number.isInteger(v) && v > 0, 'a positive integer') },
  build:
    ({ steps }, lr) =>
    (s) =>
      lr * Math.max(0, 1 - s / steps),
});

describe('optimizer registry', () => {
  it('builds a registered optimizer from a spec, with a registered schedule, checking every field', () => {
    registerOptimizer(heavyBall);
    registerSchedule(linear);
    expect(listOptimizers().map((k) => k.name)).toEqual(['sgd', 'momentum', 'rmsprop', 'adam', 'adamw', 'heavy-ball']);
    expect(listSchedules().map((k) => k.kind)).toEqual(['constant', 'step', 'multistep', 'cosine', 'linear']);
    const spec = { name: 'heavy-ball', lr: 1, beta: 0.5, schedule: { kind: 'linear', steps: 4 } } as unknown as OptimizerSpec;
    const opt = optimizerFromSpec(spec);
    expect([0, 1, 2, 4, 9].map((s) => opt.lr(s))).toEqual([1, 0.75, 0.5, 0, 0]);
    const p = tensor([1]);
    const state = opt.init([p]);
    opt.update([p], [tensor([1])], state, 0);
    opt.update([p], [tensor([1])], state, 1);
    // v = 1, then 0.5·1 + 1 = 1.5; p = 1 − 1·1 − 0.75·1.5.
    expect(p.data[0]).toBeCloseTo(1 - 1 - 0.75 * 1.5, 6);
    const bad = (s: Record<string, unknown>) => () => optimizerFromSpec(s as unknown as OptimizerSpec);
    expect(bad({ name: 'heavy-ball', lr: 1, beta: 1 })).toThrow(/^optimizer heavy-ball: "beta" must be in \[0, 1\), got 1$/);
    expect(bad({ name: 'heavy-ball', lr: -1 })).toThrow(/^optimizer heavy-ball: "lr" must be a non-negative number, got -1$/);
    expect(bad({ name: 'heavy-ball', lr: 1, momentum: 0.9 })).toThrow(
      /^optimizer heavy-ball: unknown field "momentum"; accepted fields: name, lr, schedule, weightDecay, clipValue, clipNorm, beta$/,
    );
    expect(bad({ name: 'sgd', lr: 1, schedule: { kind: 'linear', steps: 0 } })).toThrow(
      /^optimizer schedule: "steps" must be a positive integer, got 0$/,
    );
    expect(bad({ name: 'sgd', lr: 1, schedule: { kind: 'linear', steps: 3, gamma: 1 } })).toThrow(
      /^optimizer schedule "linear": unknown field "gamma"; accepted: kind, steps, warmupSteps$/,
    );
    expect(scheduleFromSpec(1, { kind: 'linear', steps: 2, warmupSteps: 2 } as never)(3)).toBe(0.5);
  });

  it('takes a name once and refuses a malformed definition', () => {
    registerOptimizer(heavyBall);
    registerSchedule(linear);
    expect(() => registerOptimizer(heavyBall)).not.toThrow();
    expect(() => registerOptimizer(defineOptimizer({ ...heavyBall, name: 'adam' }))).toThrow(SpecError);
    expect(() => registerOptimizer(defineOptimizer({ ...heavyBall, name: 'adam' }))).toThrow(
      /^registerOptimizer: an optimizer named "adam" is already registered/,
    );
    expect(() => registerOptimizer({ ...heavyBall, name: 'x', fields: { lr: anything<number>() } } as never)).toThrow(
      /^registerOptimizer: not an optimizer definition \(fields must not redefine "lr"\)$/,
    );
    expect(() => registerSchedule(defineSchedule({ ...linear, kind: 'cosine' }))).toThrow(
      /^registerSchedule: a schedule kind named "cosine" is already registered/,
    );
    expect(() => registerSchedule({ kind: 'x', fields: {} } as never)).toThrow(/^registerSchedule: not a schedule kind/);
  });
});
