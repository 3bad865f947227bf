// Activations: built-ins' tape-free derivatives agree with their ops' VJPs; expression
// activations agree with mathjs' own evaluate/derivative, pass gradcheck, and reject bad input.
import { derivative, parse } from 'mathjs';
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, ACTIVATION_NAMES, activation, activationByName, identity, leakyReluActivation } from '../../src/nn/activations.ts';
import { SpecError } from '../../src/errors.ts';
import { gradcheck, vjpCheck } from '../../src/autograd/gradcheck.ts';
import { valueAndGrad } from '../../src/autograd/functional.ts';
import { sum } from '../../src/autograd/ops.ts';
import { backend, withBackend, withFloat64 } from '../../src/kernels/index.ts';
import type { Backend } from '../../src/kernels/backend.ts';
import { rng } from '../../src/random.ts';
import { fromArray, uniform, type Tensor } from '../../src/tensor/tensor.ts';

const grid = (lo: number, hi: number, n: number) => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
// Even count: 0 is not on the grid, so relu/leakyRelu are never probed at their kink.
const points = grid(-8, 8, 200);

describe('built-in activations', () => {
  for (const name of ACTIVATION_NAMES) {
    it(`${name}: derivative() equals the gradient of sum(fn(x))`, () => {
      const a = activationByName(name);
      withFloat64(() => {
        const x = fromArray(points, [points.length]);
        const { grads } = valueAndGrad((p: Tensor) => sum(a.fn(p)))(x);
        const d = a.derivative(x);
        expect(d.shape).toEqual(x.shape);
        for (let i = 0; i < points.length; i++) expect(d.data[i]).toBeCloseTo(grads.data[i], 10);
      });
    });
  }

  it('identity returns its input and has derivative 1', () => {
    const x = fromArray([-2, 0, 3], [3]);
    expect(identity(x)).toBe(x);
    expect(ACTIVATIONS.identity.derivative(x).toArray()).toEqual([1, 1, 1]);
  });

  it('leakyRelu takes a slope', () => {
    const x = fromArray([-2, 3], [2]);
    const a = activationByName('leakyRelu', { slope: 0.2 });
    expect(a.fn(x).toArray()).toEqual([Math.fround(-0.4), 3]);
    expect(a.derivative(x).toArray()).toEqual([Math.fround(0.2), 1]);
    expect(activationByName('leakyRelu').fn(x).toArray()).toEqual([Math.fround(-0.02), 3]);
    expect(() => leakyReluActivation(NaN)).toThrow(SpecError);
  });

  it('an unknown name is a SpecError listing the accepted names', () => {
    expect(() => activationByName('swish')).toThrow(SpecError);
    expect(() => activationByName('swish')).toThrow(/"swish".*identity, sigmoid, tanh, relu, leakyRelu, gelu, softplus/);
    // Inherited object keys are not activations.
    expect(() => activationByName('toString')).toThrow(SpecError);
  });
});

describe('expression activations', () => {
  // mathjs has no sigmoid: the reference spells it out.
  const cases = [
    { expr: 'x * sigmoid(x)', ref: 'x / (1 + exp(-x))' },
    { expr: 'tanh(x) * sin(2 * x) + x^2 / 3', ref: 'tanh(x) * sin(2 * x) + x^2 / 3' },
    { expr: 'log(1 + exp(x)) - sigmoid(sigmoid(x) * pi)', ref: 'log(1 + exp(x)) - 1 / (1 + exp(-(pi / (1 + exp(-x)))))' },
    { expr: 'acot(x^2 + 1) + nthRoot(x^2 + 2, 3)', ref: 'acot(x^2 + 1) + nthRoot(x^2 + 2, 3)' }, // no JS translation: mathjs is called
  ];
  for (const { expr, ref } of cases) {
    it(`${expr}: values and derivatives match mathjs evaluate/derivative`, () => {
      const a = activation(expr);
      expect(a.name).toBe(expr);
      const node = parse(ref);
      const f = node.compile();
      const df = derivative(node, 'x').compile();
      const xs = grid(-20, 20, 401);
      withFloat64(() => {
        const x = fromArray(xs, [xs.length]);
        const y = a.fn(x);
        const d = a.derivative(x);
        const { grads } = valueAndGrad((p: Tensor) => sum(a.fn(p)))(x);
        xs.forEach((p, i) => {
          const want = f.evaluate({ x: p }) as number;
          const dWant = df.evaluate({ x: p }) as number;
          const tol = (v: number) => 1e-10 * Math.max(1, Math.abs(v));
          expect(Math.abs(y.data[i] - want), `f(${p})`).toBeLessThanOrEqual(tol(want));
          expect(Math.abs(d.data[i] - dWant), `f'(${p})`).toBeLessThanOrEqual(tol(dWant));
          expect(grads.data[i]).toBe(d.data[i]);
        });
      });
    });
  }

  it("sigmoid of an affine argument (Laborieux et al.'s sigmoid(4*x - 2)) runs its forward on the sigmoidAffine kernel, other expressions per element", () => {
    const inner = backend();
    const calls: Array<[number, number]> = [];
    const counting: Backend = {
      ...inner,
      sigmoidAffine(a, scale, shift, out) {
        calls.push([scale, shift]);
        inner.sigmoidAffine(a, scale, shift, out);
      },
    };
    const x = uniform([257], -6, 6, rng('affine'));
    const forward = (expr: string) => {
      calls.length = 0;
      const y = withBackend(counting, () => activation(expr).fn(x));
      return { y, calls: [...calls] };
    };
    for (const [expr, scale, shift] of [
      ['sigmoid(4*x - 2)', 4, -2],
      ['sigmoid(4x - 2)', 4, -2],
      ['sigmoid(x*4 - 2)', 4, -2],
      ['sigmoid(-2 + (4 * x))', 4, -2],
      ['sigmoid(x)', 1, 0],
      ['sigmoid(0.5*x + 1)', 0.5, 1],
      ['sigmoid(3*x)', 3, 0],
    ] as const) {
      const { y, calls: c } = forward(expr);
      expect(c, expr).toEqual([[scale, shift]]);
      const want = new Float32Array(x.size);
      inner.sigmoidAffine(x.data, scale, shift, want);
      expect(Array.from(y.data), expr).toEqual(Array.from(want));
      // The same function as the per-element form, to within a rounding of float32.
      x.data.forEach((v, i) =>
        expect(Math.abs(y.data[i] - 1 / (1 + Math.exp(-(scale * v + shift))))).toBeLessThanOrEqual(6e-8 * y.data[i]),
      );
    }
    // Not of that form (or not exactly scale·x + shift in f64, as x/2 and 4·(x − ½) are not): per element.
    for (const expr of ['sigmoid(x/2)', 'sigmoid(4*(x - 0.5))', 'x * sigmoid(x)', 'sigmoid(x) + 1', 'sigmoid(x^2)', 'sigmoid(-x)']) {
      expect(forward(expr).calls, expr).toEqual([]);
    }
  });

  it('passes gradcheck and a random-direction VJP check (as part of a larger graph)', () => {
    const silu = activation('x * sigmoid(x)');
    const r = rng('activation-gradcheck');
    const x = uniform([3, 4], -3, 3, r);
    expect(gradcheck(silu.fn, [x]).ok).toBe(true);
    const twice = (t: Tensor) => silu.fn(silu.fn(t));
    expect(gradcheck(twice, [x]).ok).toBe(true);
    expect(vjpCheck(silu.fn, [uniform([64, 32], -4, 4, r)]).ok).toBe(true);
  });

  it('stays finite at large |x| (sigmoid is evaluated and differentiated in stable forms)', () => {
    const a = activation('x * sigmoid(x)');
    const x = fromArray([-1000, -100, 100, 1000], [4]);
    const y = a.fn(x).toArray();
    const d = a.derivative(x).toArray();
    expect(y.map(Math.abs)).toEqual([0, expect.any(Number), 100, 1000]);
    expect(Math.abs(y[1])).toBeLessThan(1e-30);
    expect(d[0]).toBe(0);
    expect(d[1]).toBeCloseTo(0, 30);
    expect(d[2]).toBe(1);
    expect(d[3]).toBe(1);
  });

  const bad: Array<[string, RegExp]> = [
    ['x +* 2', /cannot parse/],
    ['x * y', /unknown symbol "y"/],
    ['foo(x)', /unknown function "foo"/],
    ['sigmoid(x, 2)', /sigmoid takes 1 argument/],
    ['x > 0 ? x : 0', /cannot differentiate/],
    ['gamma(x)', /cannot differentiate/],
    ['a = x', /AssignmentNode is not allowed/],
  ];
  for (const [expr, why] of bad) {
    it(`rejects "${expr}" with a SpecError naming the expression`, () => {
      let err: unknown;
      try {
        activation(expr);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SpecError);
      expect((err as Error).message).toContain(`"${expr}"`);
      expect((err as Error).message).toMatch(why);
    });
  }

  it('is fast: 1e6 elements forward and backward (timing reported, not asserted)', () => {
    const a = activation('x * sigmoid(x)');
    const x = uniform([1000, 1000], -6, 6, rng('speed'));
    const time = (fn: () => void) => {
      fn(); // warm up the JIT
      const t0 = performance.now();
      fn();
      return performance.now() - t0;
    };
    const fwd = time(() => a.fn(x));
    const bwd = time(() => valueAndGrad((p: Tensor) => sum(a.fn(p)))(x));
    console.log(`activation('x * sigmoid(x)') on 1e6 elements: forward ${fwd.toFixed(1)} ms, forward+backward ${bwd.toFixed(1)} ms`);
    expect(a.fn(x).size).toBe(1e6);
  });
});
