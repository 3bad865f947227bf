// The differentiation API: valueAndGrad, grad, vjp (reverse mode), jvp, valueAndJvp (forward
// mode), customVjp, noGrad. Inputs are trees of tensors (a tensor, an array, or a record of
// them); gradients come back in the same structure. Differentiation is first order: a
// valueAndGrad (or jvp) inside another treats the outer values as constants.
import { ShapeError } from '../errors.ts';
import { ledger } from '../tensor/ledger.ts';
import { full, view, withScratch, type Tensor } from '../tensor/tensor.ts';
import { add, reshape } from './ops.ts';
import { currentTangents, runJvpRule, TangentTrace, withTangents } from './forward.ts';
import { backward, record, Trace, withTrace, checkFinite } from './tape.ts';

export type TensorTree = Tensor | readonly TensorTree[] | { readonly [key: string]: TensorTree };

function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && 'data' in x && 'shape' in x && 'entry' in x;
}

/** Leaves of a tree in a fixed order (array order, then record keys in insertion order). */
export function leaves(tree: TensorTree): Tensor[] {
  const out: Tensor[] = [];
  const walk = (t: TensorTree): void => {
    if (isTensor(t)) out.push(t);
    else if (Array.isArray(t)) for (const c of t) walk(c);
    else for (const k of Object.keys(t)) walk((t as Record<string, TensorTree>)[k]);
  };
  walk(tree);
  return out;
}

/** Rebuild `tree`'s structure with leaves mapped by `f`. */
export function mapTree<T extends TensorTree>(tree: T, f: (t: Tensor, i: number) => Tensor): T {
  let i = 0;
  const walk = (t: TensorTree): TensorTree => {
    if (isTensor(t)) return f(t, i++);
    if (Array.isArray(t)) return t.map(walk);
    const o: Record<string, TensorTree> = {};
    for (const k of Object.keys(t)) o[k] = walk((t as Record<string, TensorTree>)[k]);
    return o;
  };
  return walk(tree) as T;
}

export type LossOutput<A> = Tensor | { loss: Tensor; aux: A };

export interface ValueAndGrad<T, A> {
  value: Tensor;
  grads: T;
  aux: A | undefined;
}

function splitLoss<A>(out: LossOutput<A>): { loss: Tensor; aux: A | undefined } {
  return isTensor(out) ? { loss: out, aux: undefined } : { loss: out.loss, aux: out.aux };
}

/**
 * Evaluate f(params, ...rest) and the gradient of its scalar result with respect to every
 * leaf of `params` (zeros where the result does not depend on a leaf). Gradients are
 * counted in the ledger as 'grad'. f may return { loss, aux } to pass extra values out.
 */
export function valueAndGrad<T extends TensorTree, R extends unknown[], A = never>(
  f: (params: T, ...rest: R) => LossOutput<A>,
): (params: T, ...rest: R) => ValueAndGrad<T, A> {
  return (params, ...rest) => {
    const { out, vjpFn, aux } = vjpWithAux(f, params, ...rest);
    if (out.size !== 1) {
      throw new ShapeError(`valueAndGrad: the function must return a scalar loss, got shape [${out.shape.join(', ')}]`);
    }
    const grads = vjpFn(full(out.shape, 1));
    // Gradients are handed to the caller: all of them are live together when we return.
    out.touch();
    for (const g of leaves(grads)) {
      ledger().recategorize(g.entry, 'grad');
      g.touch();
    }
    return { value: out, grads, aux };
  };
}

/** Gradient only. */
export function grad<T extends TensorTree, R extends unknown[]>(f: (params: T, ...rest: R) => LossOutput<unknown>) {
  const vg = valueAndGrad(f);
  return (params: T, ...rest: R): T => vg(params, ...rest).grads;
}

function vjpWithAux<T extends TensorTree, R extends unknown[], A>(f: (params: T, ...rest: R) => LossOutput<A>, params: T, ...rest: R) {
  const trace = new Trace();
  // Differentiate through fresh views so the caller's tensors are never marked.
  const inputs = mapTree(params, (p) => {
    const v = view(p, p.shape);
    v.trace = trace;
    return v;
  });
  const { loss, aux } = splitLoss(withTrace(trace, () => f(inputs, ...rest)));
  const inLeaves = leaves(inputs);
  let used = false;
  const vjpFn = (cotangent: Tensor): T => {
    if (used) throw new Error('vjp: the backward function can be called only once (its tape is consumed)');
    used = true;
    if (cotangent.shape.length !== loss.shape.length || cotangent.shape.some((d, i) => d !== loss.shape[i])) {
      throw new ShapeError(`vjp: cotangent shape [${cotangent.shape.join(', ')}] differs from output shape [${loss.shape.join(', ')}]`);
    }
    const gs = loss.trace === trace ? backward(trace, loss, cotangent, inLeaves, add) : inLeaves.map(() => null);
    return mapTree(params, (p, i) => gs[i] ?? full(p.shape, 0));
  };
  return { out: loss, vjpFn, aux };
}

/** Evaluate f and return its output plus a function mapping an output cotangent to input cotangents. */
export function vjp<T extends TensorTree, R extends unknown[]>(
  f: (params: T, ...rest: R) => Tensor,
  params: T,
  ...rest: R
): { out: Tensor; vjpFn: (cotangent: Tensor) => T } {
  const { out, vjpFn } = vjpWithAux(f, params, ...rest);
  return { out, vjpFn };
}

/**
 * Tangents for forward mode: a tree shaped like the primals, or a function giving the tangent
 * of primal leaf `index` (null: zero). A function is called when an op first reads that leaf,
 * so a tangent lives only from its first use to its last (a weight's tangent only while its
 * layer runs), and the caller may regenerate it later instead of keeping it.
 */
export type Tangents<T extends TensorTree> = T | ((primal: Tensor, index: number) => Tensor | null);

export interface ValueAndJvp<A> {
  value: Tensor;
  /** The directional derivative J·t of the value along the tangents (zeros when it does not depend on them). */
  tangent: Tensor;
  aux: A | undefined;
}

function jvpWithAux<T extends TensorTree, R extends unknown[], A>(
  f: (primals: T, ...rest: R) => LossOutput<A>,
  primals: T,
  tangents: Tangents<T>,
  rest: R,
): ValueAndJvp<A> {
  const trace = new TangentTrace();
  // The primals themselves carry the tangents (in this trace only, so nothing outlives the call),
  // which keeps an enclosing reverse-mode tape connected to them; a tensor given twice gets a
  // copy (a recorded reshape) for its second tangent.
  const seen = new Set<Tensor>();
  const inputs = mapTree(primals, (p) => {
    if (!seen.has(p)) {
      seen.add(p);
      return p;
    }
    return reshape(p, p.shape);
  });
  const inLeaves = leaves(inputs);
  if (typeof tangents === 'function') {
    const given = leaves(primals);
    inLeaves.forEach((x, i) => trace.setLazy(x, () => tangents(given[i], i)));
  } else {
    const ts = leaves(tangents);
    if (ts.length !== inLeaves.length)
      throw new ShapeError(`jvp: ${ts.length} tangents for ${inLeaves.length} primals (the trees must have the same structure)`);
    inLeaves.forEach((x, i) => {
      const t = ts[i];
      if (t.shape.length !== x.shape.length || t.shape.some((d, k) => d !== x.shape[k])) {
        throw new ShapeError(`jvp: tangent ${i} has shape [${t.shape.join(', ')}] but its primal has shape [${x.shape.join(', ')}]`);
      }
      trace.set(x, t);
    });
  }
  const { loss, aux } = splitLoss(withTangents(trace, () => f(inputs, ...rest)));
  return { value: loss, tangent: trace.get(loss) ?? full(loss.shape, 0), aux };
}

/**
 * Forward mode: evaluate f(primals, ...rest) and its directional derivative along `tangents`
 * in the same pass — each op's JVP runs right after its forward, so nothing is taped or saved
 * for a backward pass. f may return { loss, aux } to pass extra values out; its value need not
 * be a scalar (the tangent has its shape).
 */
export function valueAndJvp<T extends TensorTree, R extends unknown[], A = never>(
  f: (primals: T, ...rest: R) => LossOutput<A>,
): (primals: T, tangents: Tangents<T>, ...rest: R) => ValueAndJvp<A> {
  return (primals, tangents, ...rest) => jvpWithAux(f, primals, tangents, rest);
}

/** Evaluate f and its Jacobian-vector product along `tangents`: JAX's jvp. */
export function jvp<T extends TensorTree, R extends unknown[]>(
  f: (primals: T, ...rest: R) => Tensor,
  primals: T,
  tangents: Tangents<T>,
  ...rest: R
): { out: Tensor; tangent: Tensor } {
  const { value, tangent } = jvpWithAux(f, primals, tangents, rest);
  return { out: value, tangent };
}

/** Run fn with nothing recorded on any tape (inference, parameter updates). */
export function noGrad<T>(fn: () => T): T {
  return withTrace(null, fn);
}

export interface CustomVjpOptions<X extends Tensor[]> {
  /**
   * The backward keeps no reference to its cotangent g, to what it returns or to anything else
   * it makes (it may copy them), so the pass frees them once used, as it does a primitive's.
   * Default false: a rule's backward may keep g (as DFA keeps the output error).
   */
  pure?: boolean;
  /**
   * The output tangent from one tangent per input (null: zero), for forward mode. It runs in
   * every forward-mode pass, also when no input carries a tangent, so an op may be a source of
   * tangents (a perturbation injected at an activity). Without it, forward mode through the op
   * is an error naming it: its backward says nothing about J·t.
   */
  jvp?: (tangents: ReadonlyArray<Tensor | null>, inputs: X, out: Tensor, saved: readonly Tensor[]) => Tensor | null;
}

/**
 * An op with a user-defined backward, JAX style: `forward` returns the output and the
 * residuals it wants to keep; `backward(residuals, g)` returns one cotangent (or null) per
 * input. Feedback alignment, straight-through and synthetic gradients are built on it.
 */
export function customVjp<X extends Tensor[]>(
  name: string,
  forward: (...inputs: X) => { out: Tensor; saved?: Tensor[] },
  backwardFn: (saved: readonly Tensor[], g: Tensor, inputs: X) => ReadonlyArray<Tensor | null>,
  options: CustomVjpOptions<X> = {},
): (...inputs: X) => Tensor {
  return (...inputs: X): Tensor => {
    // The forward's own ops carry no tangents: the op's tangent is its JVP's, or an error.
    const { out: raw, saved = [] } = noGrad(() => withTangents(null, () => forward(...inputs)));
    for (const x of inputs) x.touch();
    // A fresh node output, so a forward that returns an input (or a view) stays well defined.
    const out = raw.trace === null && !inputs.includes(raw) ? raw : view(raw, raw.shape);
    checkFinite(name, out, inputs, 'forward');
    const pure = options.pure ?? false;
    // A pure backward's temporaries die with it, as a primitive's do.
    const back = pure
      ? (g: Tensor) =>
          withScratch(
            () => backwardFn(saved, g, inputs),
            (r) => r,
          )
      : (g: Tensor) => backwardFn(saved, g, inputs);
    record(name, inputs, out, saved, back, pure);
    const tangents = currentTangents();
    const ts = tangents ? inputs.map((x) => tangents.get(x)) : [];
    if (tangents && !options.jvp && ts.some((t) => t !== null)) {
      throw new Error(
        `jvp: op "${name}" was defined with customVjp and has no JVP; forward mode cannot pass through it (give customVjp a jvp option, or keep it out of forward-mode passes)`,
      );
    }
    if (tangents && options.jvp) {
      const t = runJvpRule(() => options.jvp!(ts, inputs, out, saved));
      for (const ti of ts) ti?.touch();
      if (t && (t.shape.length !== out.shape.length || t.shape.some((d, i) => d !== out.shape[i]))) {
        throw new ShapeError(
          `jvp of op "${name}": tangent has shape [${t.shape.join(', ')}] but the output has shape [${out.shape.join(', ')}]`,
        );
      }
      if (t) tangents.set(out, t);
    }
    return out;
  };
}
