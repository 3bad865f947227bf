// Clipping by value (per element) and by global norm (all updates together), alone and composed.
import { describe, expect, it } from 'vitest';
import { momentum, sgd } from '../../src/optim/index.ts';
import { SpecError } from '../../src/errors.ts';
import { tensor } from '../../src/tensor/tensor.ts';

describe('clipping', () => {
  it('by value clamps each element to ±clipValue', () => {
    const p = tensor([0, 0, 0]);
    const opt = sgd({ lr: 1, clipValue: 0.5 });
    opt.update([p], [tensor([2, -0.3, -7])], opt.init([p]), 0);
    expect(p.toArray()).toEqual([-0.5, Math.fround(0.3), 0.5]);
  });

  it('by global norm rescales all updates together when their norm exceeds clipNorm', () => {
    const [a, b] = [tensor([0]), tensor([0])];
    const opt = sgd({ lr: 1, clipNorm: 1 });
    const state = opt.init([a, b]);
    opt.update([a, b], [tensor([3]), tensor([4])], state, 0); // norm 5 → scale 0.2
    expect(a.item()).toBeCloseTo(-0.6, 6);
    expect(b.item()).toBeCloseTo(-0.8, 6);
    opt.update([a, b], [tensor([0.3]), tensor([0.4])], state, 1); // norm 0.5 ≤ 1: unchanged
    expect(a.item()).toBeCloseTo(-0.9, 6);
    expect(b.item()).toBeCloseTo(-1.2, 6);
  });

  it('value clipping applies first, then the global norm of the clamped updates', () => {
    // Clamped to ±3: [3, 3], [−3], norm √27 (unclamped it would be √125).
    const updates = [tensor([3, 10]), tensor([-4])];
    const [a, b] = [tensor([0, 0]), tensor([0])];
    const opt = sgd({ lr: 1, clipValue: 3, clipNorm: 1 });
    opt.update([a, b], updates, opt.init([a, b]), 0);
    const s = 1 / Math.sqrt(27);
    expect(a.toArray()[0]).toBeCloseTo(-3 * s, 6);
    expect(a.toArray()[1]).toBeCloseTo(-3 * s, 6);
    expect(b.item()).toBeCloseTo(3 * s, 6);
  });

  it('clipping happens before momentum accumulates the update', () => {
    const p = tensor([0]);
    const opt = momentum({ lr: 1, momentum: 0.5, clipValue: 1 });
    const state = opt.init([p]);
    opt.update([p], [tensor([10])], state, 0); // v = 1
    opt.update([p], [tensor([10])], state, 1); // v = 1.5
    expect(p.item()).toBeCloseTo(-2.5, 6);
  });

  it('global-norm clipping is refused on the streaming path', () => {
    const p = tensor([0]);
    const opt = sgd({ lr: 1, clipNorm: 1 });
    expect(() => opt.updateOne(0, p, tensor([5]), opt.init([p]), 0)).toThrow(SpecError);
    expect(() => opt.updateOne(0, p, tensor([5]), opt.init([p]), 0)).toThrow(/global norm.*updateOne/);
    expect(() => opt.updateRange(0, p, tensor([5]), 0, opt.init([p]), 0)).toThrow(/global norm.*updateRange/);
    expect(p.item()).toBe(0);
  });
});

describe('clipping is counted in the state', () => {
  it('counters.clipped counts parameter updates changed by value or norm clipping', () => {
    const byValue = sgd({ lr: 0.1, clipValue: 1 });
    const p = [tensor([1, 2])];
    const st = byValue.init(p);
    byValue.update(p, [tensor([0.5, 0.5])], st, 0);
    expect(st.counters.clipped).toBe(0);
    byValue.update(p, [tensor([3, 0.5])], st, 1);
    expect(st.counters.clipped).toBe(1);
    byValue.update(p, [tensor([-3, 0.5])], st, 2);
    expect(st.counters.clipped).toBe(2);
    // A fresh state starts from zero: nothing is kept outside the state.
    expect(byValue.init(p).counters.clipped).toBe(0);
    const byNorm = sgd({ lr: 0.1, clipNorm: 1 });
    const q = [tensor([1]), tensor([2])];
    const sn = byNorm.init(q);
    byNorm.update(q, [tensor([3]), tensor([4])], sn, 0);
    expect(sn.counters.clipped).toBe(2);
    byNorm.update(q, [tensor([0.3]), tensor([0.4])], sn, 1);
    expect(sn.counters.clipped).toBe(2);
  });
});
