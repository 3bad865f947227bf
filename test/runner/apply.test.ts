// Applying updates: every path checks what the rule handed over and names rule and parameter.
import { describe, expect, it } from 'vitest';
import { buildModel, fromArray, rng, sgd, zeros, type Tensor } from '../../src/index.ts';
import { applyUpdates } from '../../src/runner/apply.ts';

function setup() {
  const model = buildModel({ sizes: [3, 4, 2], activation: 'tanh' });
  const params = model.init(rng(0));
  const optimizer = sgd({ lr: 1 });
  return { model, params, optimizer, optState: optimizer.init(params), step: 0, meter: null, ruleId: 'r' };
}

describe('applyUpdates', () => {
  it('applies eager, per-parameter and ranged updates identically', () => {
    const ups = (ps: readonly Tensor[]) =>
      ps.map((p) =>
        fromArray(
          Array.from({ length: p.size }, (_, k) => (k % 5) - 2),
          p.shape,
        ),
      );
    const [a, b, c] = [setup(), setup(), setup()];
    const ua = ups(a.params);
    applyUpdates(ua, a);
    applyUpdates({ count: ua.length, get: (i) => ua[i] }, b);
    applyUpdates(
      { count: ua.length, get: (i) => ua[i], chunk: 3, getRange: (i, off, len) => fromArray(ua[i].data.subarray(off, off + len), [len]) },
      c,
    );
    for (const s of [b, c]) s.params.forEach((p, i) => expect(Array.from(p.data)).toEqual(Array.from(a.params[i].data)));
  });

  it('names the rule and parameter for a wrong count, a wrong range, or NaN', () => {
    const s = setup();
    expect(() => applyUpdates([zeros([4, 3])], s)).toThrow(/rule "r": 1 updates for 4 parameters/);
    const ranged = { count: 4, get: () => zeros([1]), chunk: 2, getRange: () => zeros([5]) };
    expect(() => applyUpdates(ranged, s)).toThrow(/update 0 \(fc1\.weight\) at offset 0 has shape \[5\], expected \[2\]/);
    const nan = s.params.map((p) => zeros(p.shape));
    nan[3].data[0] = NaN;
    expect(() => applyUpdates(nan, s)).toThrow(/fc2\.bias contains NaN/);
  });
});
