// Elementwise ops' gradients against mathjs symbolic derivatives over a grid in about ±20.
import { derivative, parse } from 'mathjs';
import { describe, expect, it } from 'vitest';
import * as R from '../../src/index.ts';
import { Tensor, fromArray, valueAndGrad } from '../../src/index.ts';
import { withFloat64 } from '../../src/kernels-api.ts';

const grid = (lo: number, hi: number, n = 161) => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
const full = grid(-20, 20);
const positive = grid(0.05, 20);

const CASES: Array<{ name: string; op: (x: Tensor) => Tensor; expr: string; points: number[] }> = [
  { name: 'exp', op: R.exp, expr: 'exp(x)', points: full },
  { name: 'log', op: R.log, expr: 'log(x)', points: positive },
  { name: 'tanh', op: R.tanh, expr: 'tanh(x)', points: full },
  { name: 'sigmoid', op: R.sigmoid, expr: '1 / (1 + exp(-x))', points: full },
  { name: 'softplus', op: R.softplus, expr: 'log(1 + exp(x))', points: full },
  { name: 'gelu', op: R.gelu, expr: '0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))', points: full },
  { name: 'sqrt', op: R.sqrt, expr: 'sqrt(x)', points: positive },
  { name: 'square', op: R.square, expr: 'x^2', points: full },
  { name: 'sin', op: R.sin, expr: 'sin(x)', points: full },
  { name: 'cos', op: R.cos, expr: 'cos(x)', points: full },
  { name: 'pow 3', op: (x) => R.pow(x, 3), expr: 'x^3', points: full },
];

describe('elementwise ops vs mathjs symbolic derivatives', () => {
  for (const c of CASES) {
    it(`${c.name}: value and derivative match ${c.expr}`, () => {
      const node = parse(c.expr);
      const f = node.compile();
      const dNode = derivative(node, 'x').compile();
      withFloat64(() => {
        const x = fromArray(c.points, [c.points.length]);
        const { value, grads } = valueAndGrad((p: Tensor) => R.sum(c.op(p)))(x);
        const y = c.op(x);
        expect(Number.isFinite(value.item())).toBe(true);
        c.points.forEach((p, i) => {
          const want = f.evaluate({ x: p }) as number;
          const dWant = dNode.evaluate({ x: p }) as number;
          const tol = (v: number) => 1e-9 * Math.max(1, Math.abs(v));
          expect(Math.abs(y.data[i] - want), `${c.name}(${p})`).toBeLessThanOrEqual(tol(want));
          expect(Math.abs(grads.data[i] - dWant), `${c.name}'(${p}) = ${grads.data[i]} vs ${dWant}`).toBeLessThanOrEqual(
            tol(dWant) + 1e-12,
          );
        });
      });
    });
  }
});
