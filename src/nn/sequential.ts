// Containers: Sequential applies its children in order; Residual adds a shortcut of its input
// (identity, a projection, or He et al.'s option A: subsample and zero-pad channels).
import { avgPool2d } from '../autograd/image-ops.ts';
import { add, concat } from '../autograd/ops.ts';
import { empty, type Shape, type Tensor } from '../tensor/tensor.ts';
import { leaf, run, type ForwardContext, type Module } from './module.ts';

export function sequential(path: string, children: readonly Module[], inShape: Shape): Module {
  const m: Module = {
    kind: 'sequential',
    path,
    inShape,
    outShape: children.length ? children[children.length - 1].outShape : inShape,
    params: {},
    buffers: {},
    children,
    apply(x, ctx) {
      let h = x;
      for (const c of m.children) h = run(c, h, ctx);
      return h;
    },
    withChildren: (kids) => sequential(path, kids, inShape),
  };
  return m;
}

/**
 * act(body(x) + shortcut(x)). Children, in order: the body's layers (applied in sequence), the
 * shortcut module when there is one (a projection; otherwise the identity, or option A when
 * shapes differ), and the activation after the sum when there is one.
 */
export function residual(path: string, body: readonly Module[], shortcut: Module | null, after: Module | null): Module {
  const inShape = body[0].inShape;
  const outShape = body[body.length - 1].outShape;
  const same = inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i]);
  const optionA = !shortcut && !same ? zeroPadShortcut(path, inShape, outShape) : null;
  const k = body.length;
  const m: Module = {
    kind: 'residual',
    path,
    inShape,
    outShape,
    params: {},
    buffers: {},
    children: [...body, ...(shortcut ? [shortcut] : []), ...(after ? [after] : [])],
    apply(x, ctx: ForwardContext) {
      let y = x;
      for (let i = 0; i < k; i++) y = run(m.children[i], y, ctx);
      const s = shortcut ? run(m.children[k], x, ctx) : optionA ? run(optionA, x, ctx) : x;
      const sum = add(y, s);
      return after ? run(m.children[m.children.length - 1], sum, ctx) : sum;
    },
    withChildren: (kids) => residual(path, kids.slice(0, k), shortcut ? kids[k] : null, after ? kids[kids.length - 1] : null),
  };
  return m;
}

/** The strides of He et al.'s option A from `inShape` to `outShape`, or null where it cannot map them. */
export function zeroPadStrides(inShape: Shape, outShape: Shape): [number, number] | null {
  if (inShape.length !== 3 || outShape.length !== 3) return null;
  const [c, h, w] = inShape;
  const [co, ho, wo] = outShape;
  const sh = Math.round(h / ho);
  const sw = Math.round(w / wo);
  return co >= c && sh >= 1 && sw >= 1 && Math.ceil(h / sh) === ho && Math.ceil(w / sw) === wo ? [sh, sw] : null;
}

/** He et al.'s option A: keep every s-th pixel and pad the new channels with zeros (no parameters). */
function zeroPadShortcut(path: string, inShape: Shape, outShape: Shape): Module {
  const [c] = inShape;
  const [co, ho, wo] = outShape;
  const strides = zeroPadStrides(inShape, outShape);
  if (!strides) throw new Error(`residual at "${path}": cannot pad shortcut [${inShape.join(', ')}] to [${outShape.join(', ')}]`);
  const [sh, sw] = strides;
  return leaf({
    kind: 'zeroPadShortcut',
    path: `${path}.shortcut`,
    inShape,
    outShape,
    apply(x: Tensor) {
      // A 1×1 window with stride s keeps every s-th pixel.
      const t = sh > 1 || sw > 1 ? avgPool2d(x, { kernel: 1, stride: [sh, sw] }) : x;
      if (co === c) return t;
      const lo = Math.floor((co - c) / 2);
      const zeros = (k: number) => empty([x.shape[0], k, ho, wo]);
      return concat(lo > 0 ? [zeros(lo), t, zeros(co - c - lo)] : [t, zeros(co - c)], 1);
    },
  });
}
