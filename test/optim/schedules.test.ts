// Learning-rate schedules at chosen steps, and an optimizer following its schedule.
import { describe, expect, it } from 'vitest';
import { constantSchedule, cosineSchedule, scheduleFromSpec, sgd, stepSchedule, withWarmup } from '../../src/optim/index.ts';
import { SpecError } from '../../src/errors.ts';
import { tensor } from '../../src/tensor/tensor.ts';

describe('schedules', () => {
  it('constant', () => {
    const s = constantSchedule(0.3);
    expect([0, 1, 1000].map(s)).toEqual([0.3, 0.3, 0.3]);
  });

  it('step: lr · gamma^⌊step/every⌋', () => {
    expect([0, 9, 10, 25].map(stepSchedule(1, 10, 0.5))).toEqual([1, 1, 0.5, 0.25]);
  });

  it('multistep: lr · gamma^(milestones passed), as PyTorch’s MultiStepLR', () => {
    const s = scheduleFromSpec(0.1, { kind: 'multistep', milestones: [50, 75], gamma: 0.1 });
    expect([0, 49, 50, 74, 75, 1000].map(s).map((v) => Number(v.toPrecision(6)))).toEqual([0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
    expect(() => scheduleFromSpec(1, { kind: 'multistep', milestones: [5, 3], gamma: 0.5 })).toThrow(/milestones.*increasing/);
  });

  it('cosine: from lr to minLr over totalSteps, then held', () => {
    const s = cosineSchedule(1, 100, 0.1);
    expect(s(0)).toBeCloseTo(1, 12);
    expect(s(25)).toBeCloseTo(0.1 + 0.45 * (1 + Math.SQRT1_2), 12);
    expect(s(50)).toBeCloseTo(0.55, 12);
    expect(s(100)).toBeCloseTo(0.1, 12);
    expect(s(250)).toBeCloseTo(0.1, 12);
  });

  it('warmup: linear from lr/W at step 0 to the inner schedule, which then starts from its step 0', () => {
    const s = withWarmup(stepSchedule(1, 2, 0.5), 4);
    expect([0, 1, 2, 3].map(s)).toEqual([0.25, 0.5, 0.75, 1]);
    expect([4, 5, 6].map(s)).toEqual([1, 1, 0.5]);
  });

  it('from a spec: cosine after warmup ends at totalSteps', () => {
    const s = scheduleFromSpec(1, { kind: 'cosine', totalSteps: 110, warmupSteps: 10 });
    expect(s(0)).toBeCloseTo(0.1, 12);
    expect(s(10)).toBeCloseTo(1, 12);
    expect(s(60)).toBeCloseTo(0.5, 12);
    expect(s(110)).toBeCloseTo(0, 12);
    expect(scheduleFromSpec(0.2, undefined)(77)).toBe(0.2);
  });

  it('spec errors name the field', () => {
    expect(() => scheduleFromSpec(1, { kind: 'linear' } as never)).toThrow(
      /unknown kind "linear"; accepted: constant, step, multistep, cosine/,
    );
    expect(() => scheduleFromSpec(1, { kind: 'step', every: 10 } as never)).toThrow(/"gamma"/);
    expect(() => scheduleFromSpec(1, { kind: 'cosine', totalSteps: 100, gamma: 2 } as never)).toThrow(/unknown field "gamma"/);
    expect(() => scheduleFromSpec(1, { kind: 'cosine', totalSteps: 10, warmupSteps: 10 })).toThrow(SpecError);
  });

  it('an optimizer applies lr(step) at each step', () => {
    const p = tensor([0]);
    const opt = sgd({ lr: stepSchedule(1, 1, 0.5) });
    const state = opt.init([p]);
    expect(opt.lr(2)).toBe(0.25);
    for (let step = 0; step < 3; step++) opt.update([p], [tensor([1])], state, step);
    expect(p.item()).toBeCloseTo(-1.75, 6); // 1 + 0.5 + 0.25
  });
});
