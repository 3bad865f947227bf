// Activations: the named built-ins (each an autograd op plus its tape-free derivative) and
// activations written as expressions in x, differentiated symbolically by mathjs.
import { derivative as mathDerivative, parse, type MathNode } from 'mathjs';
import * as mathjs from 'mathjs';
import { SpecError } from '../errors.ts';
import { customVjp } from '../autograd/functional.ts';
import { gelu, kUnary, leakyRelu, relu, sigmoid, softplus, tanh } from '../autograd/ops.ts';
import { backend } from '../kernels/index.ts';
import { empty, full, type Tensor } from '../tensor/tensor.ts';
import type { Module } from './module.ts';

export interface Activation {
  readonly name: string;
  /** The activation as a differentiable op. */
  readonly fn: (x: Tensor) => Tensor;
  /** Elementwise f'(x), computed without recording anything on the tape. */
  readonly derivative: (x: Tensor) => Tensor;
}

/** f(x) = x; returns its input, so it adds nothing to the tape. */
export const identity = (x: Tensor): Tensor => x;

/** Leaky ReLU with the given negative-side slope. */
export function leakyReluActivation(slope = 0.01): Activation {
  if (!Number.isFinite(slope)) throw new SpecError(`activation leakyRelu: slope must be a finite number, got ${slope}`);
  return {
    name: slope === 0.01 ? 'leakyRelu' : `leakyRelu(${slope})`,
    fn: (x) => leakyRelu(x, slope),
    derivative: (x) => {
      const d = empty(x.shape);
      backend().leakyRelu(x.buf, d.buf, slope, true);
      return d;
    },
  };
}

function fromOutput(x: Tensor, f: (y: number) => number, y: Tensor): Tensor {
  const d = empty(x.shape);
  for (let i = 0; i < d.size; i++) d.data[i] = f(y.data[i]);
  return d;
}

export const ACTIVATIONS = {
  identity: { name: 'identity', fn: identity, derivative: (x: Tensor) => full(x.shape, 1) },
  sigmoid: { name: 'sigmoid', fn: sigmoid, derivative: (x: Tensor) => fromOutput(x, (s) => s * (1 - s), kUnary('sigmoid', x)) },
  tanh: { name: 'tanh', fn: tanh, derivative: (x: Tensor) => fromOutput(x, (t) => 1 - t * t, kUnary('tanh', x)) },
  relu: { name: 'relu', fn: relu, derivative: (x: Tensor) => kUnary('step', x) },
  leakyRelu: leakyReluActivation(0.01),
  gelu: { name: 'gelu', fn: gelu, derivative: (x: Tensor) => kUnary('geluGrad', x) },
  // softplus' = sigmoid, evaluated by the overflow-safe kernel.
  softplus: { name: 'softplus', fn: softplus, derivative: (x: Tensor) => kUnary('sigmoid', x) },
} as const satisfies Record<string, Activation>;

export type ActivationName = keyof typeof ACTIVATIONS;
export const ACTIVATION_NAMES = Object.keys(ACTIVATIONS) as ActivationName[];

/** A built-in activation by name; `slope` applies to leakyRelu only. */
export function activationByName(name: string, options: { slope?: number } = {}): Activation {
  if (!Object.hasOwn(ACTIVATIONS, name)) {
    throw new SpecError(
      `activation: unknown name "${name}"; accepted names: ${ACTIVATION_NAMES.join(', ')} ` +
        `(or write an expression in x with activation('...'))`,
    );
  }
  if (name === 'leakyRelu' && options.slope !== undefined) return leakyReluActivation(options.slope);
  return ACTIVATIONS[name as ActivationName];
}

// ---------------------------------------------------------------- expression activations

type Code = (args: string[]) => string;

/**
 * Functions emitted as plain JS: those mathjs' derivative() knows (its output uses them too),
 * plus sigmoid. arity null: one or two arguments (log(x, base)).
 */
const FUNCS: Record<string, { arity: number | null; code: Code }> = {
  sigmoid: { arity: 1, code: ([a]) => `S(${a})` },
  exp: { arity: 1, code: ([a]) => `Math.exp(${a})` },
  log10: { arity: 1, code: ([a]) => `Math.log10(${a})` },
  sqrt: { arity: 1, code: ([a]) => `Math.sqrt(${a})` },
  cbrt: { arity: 1, code: ([a]) => `Math.cbrt(${a})` },
  abs: { arity: 1, code: ([a]) => `Math.abs(${a})` },
  sin: { arity: 1, code: ([a]) => `Math.sin(${a})` },
  cos: { arity: 1, code: ([a]) => `Math.cos(${a})` },
  tan: { arity: 1, code: ([a]) => `Math.tan(${a})` },
  asin: { arity: 1, code: ([a]) => `Math.asin(${a})` },
  acos: { arity: 1, code: ([a]) => `Math.acos(${a})` },
  atan: { arity: 1, code: ([a]) => `Math.atan(${a})` },
  sinh: { arity: 1, code: ([a]) => `Math.sinh(${a})` },
  cosh: { arity: 1, code: ([a]) => `Math.cosh(${a})` },
  tanh: { arity: 1, code: ([a]) => `Math.tanh(${a})` },
  asinh: { arity: 1, code: ([a]) => `Math.asinh(${a})` },
  acosh: { arity: 1, code: ([a]) => `Math.acosh(${a})` },
  atanh: { arity: 1, code: ([a]) => `Math.atanh(${a})` },
  // Reciprocal trig functions: mathjs' derivative rules produce these.
  sec: { arity: 1, code: ([a]) => `(1 / Math.cos(${a}))` },
  csc: { arity: 1, code: ([a]) => `(1 / Math.sin(${a}))` },
  cot: { arity: 1, code: ([a]) => `(1 / Math.tan(${a}))` },
  sech: { arity: 1, code: ([a]) => `(1 / Math.cosh(${a}))` },
  csch: { arity: 1, code: ([a]) => `(1 / Math.sinh(${a}))` },
  coth: { arity: 1, code: ([a]) => `(1 / Math.tanh(${a}))` },
  log: { arity: null, code: ([a, b]) => (b === undefined ? `Math.log(${a})` : `(Math.log(${a}) / Math.log(${b}))`) },
  pow: { arity: 2, code: ([a, b]) => `Math.pow(${a}, ${b})` },
};

const CONSTANTS: Record<string, string> = {
  pi: 'Math.PI',
  PI: 'Math.PI',
  e: 'Math.E',
  E: 'Math.E',
  tau: '(2 * Math.PI)',
  phi: '((1 + Math.sqrt(5)) / 2)',
};

// Exactly the operators mathjs' derivative() accepts, so anything that differentiates compiles.
const OPERATORS: Record<string, Code> = {
  add: ([a, b]) => `(${a} + ${b})`,
  subtract: ([a, b]) => `(${a} - ${b})`,
  multiply: ([a, b]) => `(${a} * ${b})`,
  divide: ([a, b]) => `(${a} / ${b})`,
  pow: ([a, b]) => `Math.pow(${a}, ${b})`,
  unaryMinus: ([a]) => `(-${a})`,
  unaryPlus: ([a]) => `(+${a})`,
};

function asNumber(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : NaN;
}

/**
 * JS source for a node. Functions without a JS translation (acot, nthRoot, ...) call mathjs
 * through `external` (slower, still exact). Node types derivative() rejects never get here.
 */
function gen(node: MathNode, external: Array<(...a: number[]) => number>, expr: string): string {
  const sub = (n: MathNode) => gen(n, external, expr);
  switch (node.type) {
    case 'ConstantNode': {
      const v = (node as unknown as { value: unknown }).value;
      if (typeof v === 'number') return `(${v})`;
      break;
    }
    case 'SymbolNode': {
      const name = (node as mathjs.SymbolNode).name;
      return name === 'x' ? 'x' : CONSTANTS[name];
    }
    case 'ParenthesisNode':
      return sub((node as mathjs.ParenthesisNode).content);
    case 'OperatorNode': {
      const op = node as mathjs.OperatorNode;
      const code = OPERATORS[op.fn];
      if (code) return code(op.args.map(sub));
      break;
    }
    case 'FunctionNode': {
      const fnNode = node as mathjs.FunctionNode;
      const name = fnNode.fn.name;
      const args = fnNode.args.map(sub);
      const known = FUNCS[name];
      if (known) return known.code(args);
      const f = (mathjs as unknown as Record<string, (...a: number[]) => unknown>)[name];
      external.push((...a) => asNumber(f(...a)));
      return `F[${external.length - 1}](${args.join(', ')})`;
    }
  }
  throw new SpecError(`activation "${expr}": cannot compile "${node.toString()}" (${node.type}); use arithmetic and named functions of x`);
}

// Stable logistic for the generated forward (no overflow for large |x|).
const stableSigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

type Loop = (x: ArrayLike<number>, g: ArrayLike<number> | null, out: { [i: number]: number }, n: number) => void;

/** `(X, G, Y, n)`: Y[i] = body(X[i]), times G[i] when `withCotangent`; `role` names the loop in its tag. */
function compileLoop(node: MathNode, withCotangent: boolean, expr: string, role: string): Loop {
  const external: Array<(...a: number[]) => number> = [];
  const body = gen(node, external, expr);
  const value = withCotangent ? `G[i] * ${body}` : body;
  const id = `${role} ${JSON.stringify(expr).replaceAll('*/', '* /')}`;
  // One JIT-able loop per expression: far faster than calling mathjs' evaluate per element.
  // V8 shares type feedback between functions compiled from identical source, so each loop
  // gets a tag of its own (its role and expression), and one copy per storage type (float32 in
  // training, float64 in gradient checks) keeps every copy monomorphic.
  const make = (kind: string) =>
    new Function(
      'S',
      'F',
      `"use strict"; /* ${kind} #${id} */ return function (X, G, Y, n) { for (let i = 0; i < n; i++) { const x = X[i]; Y[i] = ${value}; } };`,
    )(stableSigmoid, external) as Loop;
  const f32 = make('f32');
  const f64 = make('f64');
  const other = make('other');
  return (X, G, Y, n) => (X instanceof Float32Array ? f32 : X instanceof Float64Array ? f64 : other)(X, G, Y, n);
}

/** Every symbol must be x or a constant, every function known (ours or mathjs'). */
function validate(node: MathNode, expr: string): void {
  node.traverse((n, path, parent) => {
    if (n.type === 'SymbolNode' && !(parent?.type === 'FunctionNode' && path === 'fn')) {
      const name = (n as mathjs.SymbolNode).name;
      if (name !== 'x' && !(name in CONSTANTS)) {
        throw new SpecError(
          `activation "${expr}": unknown symbol "${name}"; the only variable is x (constants: ${Object.keys(CONSTANTS).join(', ')})`,
        );
      }
    }
    if (n.type === 'FunctionNode') {
      const f = n as mathjs.FunctionNode;
      if (f.fn.type !== 'SymbolNode') throw new SpecError(`activation "${expr}": only named functions can be called`);
      const name = f.fn.name;
      const known = FUNCS[name];
      if (known && known.arity !== null && known.arity !== f.args.length) {
        throw new SpecError(`activation "${expr}": ${name} takes ${known.arity} argument(s), got ${f.args.length}`);
      }
      if (!known && typeof (mathjs as unknown as Record<string, unknown>)[name] !== 'function') {
        throw new SpecError(`activation "${expr}": unknown function "${name}"`);
      }
    }
    if (
      [
        'AssignmentNode',
        'FunctionAssignmentNode',
        'BlockNode',
        'ObjectNode',
        'ArrayNode',
        'AccessorNode',
        'IndexNode',
        'RangeNode',
      ].includes(n.type)
    ) {
      throw new SpecError(`activation "${expr}": ${n.type} is not allowed; write one scalar expression in x`);
    }
  });
}

// σ(u) = (1 + tanh(u/2)) / 2 exactly; mathjs can differentiate tanh (not sigmoid), and the tanh
// form's derivative stays finite for large |u| where 1/(1+exp(-u))'s gives Inf/Inf.
// Parsed on first use, not at load: a bundle without mathjs (the playground's) loads this module.
let sigmoidTemplate: MathNode | null = null;
function substituteSigmoid(node: MathNode): MathNode {
  const template = (sigmoidTemplate ??= parse('(1 + tanh(u / 2)) / 2'));
  return node.transform((n) => {
    if (n.type !== 'FunctionNode' || (n as mathjs.FunctionNode).fn.name !== 'sigmoid') return n;
    const arg = substituteSigmoid((n as mathjs.FunctionNode).args[0]);
    return new mathjs.ParenthesisNode(
      template.transform((t) => (t.type === 'SymbolNode' && (t as mathjs.SymbolNode).name === 'u' ? new mathjs.ParenthesisNode(arg) : t)),
    );
  });
}

const unwrap = (node: MathNode): MathNode => (node.type === 'ParenthesisNode' ? unwrap((node as mathjs.ParenthesisNode).content) : node);

/** A number literal's value (or its negation's, −2 being unaryMinus(2)), or null. */
function literal(node: MathNode): number | null {
  const op = node as mathjs.OperatorNode;
  if (node.type === 'OperatorNode' && op.fn === 'unaryMinus') {
    const v = literal(unwrap(op.args[0]));
    return v === null ? null : -v;
  }
  const v = (node as unknown as { value: unknown }).value;
  return node.type === 'ConstantNode' && typeof v === 'number' ? v : null;
}

/** `c*x`, `x*c` or `x` as its factor c, else null. */
function scaleOfX(node: MathNode): number | null {
  const n = unwrap(node);
  if (n.type === 'SymbolNode') return (n as mathjs.SymbolNode).name === 'x' ? 1 : null;
  const op = n as mathjs.OperatorNode;
  if (n.type !== 'OperatorNode' || op.fn !== 'multiply' || op.args.length !== 2) return null;
  const [a, b] = op.args.map(unwrap);
  const x = (m: MathNode) => m.type === 'SymbolNode' && (m as mathjs.SymbolNode).name === 'x';
  return x(b) ? literal(a) : x(a) ? literal(b) : null;
}

/**
 * The (scale, shift) of an expression `sigmoid(c*x ± d)` (or `sigmoid(d + c*x)`, `sigmoid(x)`, ...),
 * written so that its compiled loop computes scale·x + shift in f64 in one multiply and one add
 * (x − d is x + (−d) exactly): the sigmoidAffine kernel then gives the forward the same formula
 * in kernels, not per element in JS. Null for any other expression.
 */
function sigmoidOfAffine(node: MathNode): { scale: number; shift: number } | null {
  const f = unwrap(node) as mathjs.FunctionNode;
  if (f.type !== 'FunctionNode' || f.fn.name !== 'sigmoid' || f.args.length !== 1) return null;
  const arg = unwrap(f.args[0]);
  const scale = scaleOfX(arg);
  if (scale !== null) return { scale, shift: 0 };
  const op = arg as mathjs.OperatorNode;
  if (arg.type !== 'OperatorNode' || (op.fn !== 'add' && op.fn !== 'subtract') || op.args.length !== 2) return null;
  const [a, b] = op.args;
  const [sa, sb, la, lb] = [scaleOfX(a), scaleOfX(b), literal(unwrap(a)), literal(unwrap(b))];
  if (sa !== null && lb !== null) return { scale: sa, shift: op.fn === 'add' ? lb : -lb };
  if (op.fn === 'add' && la !== null && sb !== null) return { scale: sb, shift: la };
  return null;
}

/**
 * An activation from an expression in x, e.g. activation('x * sigmoid(x)'). Forward and
 * derivative are compiled to JS loops; the op's backward is g ⊙ f'(x).
 */
export function activation(expr: string): Activation {
  let node: MathNode;
  try {
    node = parse(expr);
  } catch (err) {
    throw new SpecError(`activation "${expr}": cannot parse: ${(err as Error).message}`);
  }
  validate(node, expr);
  let dNode: MathNode;
  try {
    // Unsimplified: simplify() can take long on big expressions and may reorder into less stable forms.
    dNode = mathDerivative(substituteSigmoid(node), 'x', { simplify: false });
  } catch (err) {
    throw new SpecError(`activation "${expr}": mathjs cannot differentiate it: ${(err as Error).message}`);
  }
  const f = compileLoop(node, false, expr, 'f');
  const df = compileLoop(dNode, false, expr, "f'");
  const vjpLoop = compileLoop(dNode, true, expr, 'vjp');
  // Catch what validation cannot see (e.g. results that are not real numbers) now, not mid-training.
  const probe = [0.5];
  const probeOut = [0];
  try {
    f(probe, null, probeOut, 1);
  } catch (err) {
    throw new SpecError(`activation "${expr}": cannot evaluate at x = 0.5: ${(err as Error).message}`);
  }
  const affine = sigmoidOfAffine(node);
  const op = customVjp(
    `activation(${expr})`,
    (x: Tensor) => {
      const out = empty(x.shape);
      if (affine) backend().sigmoidAffine(x.buf, affine.scale, affine.shift, out.buf);
      else f(x.data, null, out.data, x.size);
      return { out, saved: [x] };
    },
    ([x], g) => {
      const dx = empty(x.shape);
      vjpLoop(x.data, g.data, dx.data, x.size);
      return [dx];
    },
    // Forward mode: t ⊙ f'(x), the same diagonal Jacobian.
    {
      jvp: ([t], [x]) => {
        if (!t) return null;
        const dt = empty(x.shape);
        vjpLoop(x.data, t.data, dt.data, x.size);
        return dt;
      },
      pure: true,
    },
  );
  return {
    name: expr,
    fn: (x) => op(x),
    derivative: (x) => {
      const d = empty(x.shape);
      df(x.data, null, d.data, x.size);
      return d;
    },
  };
}

export interface ActivationModule extends Module {
  readonly kind: 'activation';
  readonly activation: Activation;
}

/** An activation as a module (shape-preserving, no parameters). */
export function activationModule(path: string, inShape: readonly number[], act: Activation): ActivationModule {
  const m: ActivationModule = {
    kind: 'activation',
    path,
    inShape,
    outShape: inShape,
    params: {},
    buffers: {},
    children: [],
    activation: act,
    apply: (x) => act.fn(x),
    withChildren: () => m,
  };
  return m;
}

export function isActivation(m: Module): m is ActivationModule {
  return m.kind === 'activation' && 'activation' in m;
}

const isName = (s: string) => /^[A-Za-z]+$/.test(s);

/** A built-in name, or an expression in x (differentiated by mathjs). */
export function resolveActivation(spec: string): Activation {
  return isName(spec) ? activationByName(spec) : activation(spec);
}
