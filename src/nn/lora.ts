// A LoRA-adapted dense layer (Hu et al. 2021): y = x·W₀ᵀ + b₀ + s·(x·Aᵀ)·Bᵀ, s = alpha / rank,
// with W₀ and b₀ frozen (held by the layer, not parameters) and only A [rank, in] and B [out, rank]
// trained. It stays a weight layer whose weight is derived (W = W₀ + s·BA), so the feedback-alignment
// family replaces its input VJP as it does a plain dense layer's while A and B get their local gradients.
import { customVjp, noGrad } from '../autograd/functional.ts';
import { add, matmul, mul, reshape } from '../autograd/ops.ts';
import { scalar, view, type Tensor } from '../tensor/tensor.ts';
import { linear } from './layers.ts';
import { leaf, type Slot } from './module.ts';
import type { DerivedWeight, WeightLayer } from './weight-layer.ts';

export interface LoraParts {
  /** The frozen weight [out, in] and bias [out] (or null), and the base weight's slot in the base model. */
  base: { weight: Tensor; bias: Tensor | null; slot: Slot };
  /** The adapter slots in the adapted model's parameter list: A [rank, in], B [out, rank]. */
  a: Slot;
  b: Slot;
  /** alpha / rank. */
  scale: number;
}

/**
 * A weight layer of the base left frozen: the same map at W₀ and b₀, no parameters, still a weight
 * layer (its weight derived: constant), so rules that find their layers by kind see the network they
 * would without adapters (the feedback family sends errors below it through its feedback tensor).
 */
export function frozenWeightLayer(layer: WeightLayer, w: Tensor, b: Tensor | null): WeightLayer {
  const derived: DerivedWeight = {
    base: layer.params.weight,
    weight: () => w,
    withInputVjp(inputCotangent, name) {
      const op = customVjp(
        `${name}.frozen`,
        (xi: Tensor) => ({ out: layer.map(xi, w, b), saved: [xi] }),
        ([xs], g) => [inputCotangent(g, xs)],
        { pure: true },
      );
      return leaf({ kind: layer.kind, path: layer.path, inShape: layer.inShape, outShape: layer.outShape, apply: (x) => op(x) });
    },
  };
  const frozen: WeightLayer = { ...layer, params: {}, derived, apply: (x) => layer.map(x, w, b), withChildren: () => frozen };
  return frozen;
}

/** `t` [n, ...] as rows of `width`: a tape reshape when `tape`, else a view. */
const rows = (t: Tensor, width: number, tape: boolean): Tensor =>
  t.rank === 2 && t.shape[1] === width ? t : tape ? reshape(t, [t.size / width, width]) : view(t, [t.size / width, width]);

/** `layer` (a dense layer of the base model) with its weight frozen and a rank-r adapter trained beside it. */
export function loraDense(layer: WeightLayer, p: LoraParts): WeightLayer {
  const [out, features] = p.base.weight.shape;
  const s = scalar(p.scale);
  const shaped = (y: Tensor, x: Tensor, tape: boolean) => {
    const shape = [...x.shape.slice(0, x.rank - layer.inShape.length), ...layer.outShape];
    if (y.rank === shape.length && y.shape.every((d, i) => d === shape[i])) return y;
    return tape ? reshape(y, shape) : view(y, shape);
  };
  /** The low-rank path's output rows s·(x·Aᵀ)·Bᵀ and its hidden rows x·Aᵀ. */
  const lowRank = (x2: Tensor, a: Tensor, b: Tensor) => {
    const h = matmul(x2, a, false, true);
    return { h, y: mul(matmul(h, b, false, true), s) };
  };
  const derived: DerivedWeight = {
    base: p.base.slot,
    weight: (params) => noGrad(() => add(p.base.weight, mul(matmul(params[p.b.index], params[p.a.index]), s))),
    withInputVjp(inputCotangent, name) {
      return leaf({
        kind: layer.kind,
        path: layer.path,
        inShape: layer.inShape,
        outShape: layer.outShape,
        params: layer.params,
        apply(x, ctx) {
          const op = customVjp(
            `${name}.lora`,
            (xi: Tensor, a: Tensor, b: Tensor) => {
              const x2 = rows(xi, features, false);
              const low = lowRank(x2, a, b);
              return { out: shaped(add(linear(x2, p.base.weight, p.base.bias), low.y), xi, false), saved: [xi, low.h] };
            },
            ([xs, h], g, [, , b]) => {
              // Local gradients of A and B for the cotangent g at the output; the input cotangent is the rule's.
              const g2 = rows(g, out, false);
              const gb = mul(matmul(g2, h, true, false), s);
              const ga = mul(matmul(matmul(g2, b), rows(xs, features, false), true, false), s);
              return [inputCotangent(g, xs), ga, gb];
            },
            { pure: true },
          );
          return op(x, ctx.params[p.a.index], ctx.params[p.b.index]);
        },
      });
    },
  };
  const adapted: WeightLayer = {
    kind: layer.kind,
    role: 'weight',
    path: layer.path,
    inShape: layer.inShape,
    outShape: layer.outShape,
    params: { loraA: p.a, loraB: p.b },
    buffers: {},
    children: [],
    withChildren: () => adapted,
    map: layer.map,
    inputVjp: layer.inputVjp,
    paramVjp: layer.paramVjp,
    derived,
    apply(x, ctx) {
      const x2 = rows(x, features, true);
      const y = add(linear(x2, p.base.weight, p.base.bias), lowRank(x2, ctx.params[p.a.index], ctx.params[p.b.index]).y);
      return shaped(y, x, true);
    },
  };
  return adapted;
}
