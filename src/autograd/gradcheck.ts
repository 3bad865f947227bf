// Gradient checks: central finite differences in float64 on small inputs, and a
// random-direction VJP check (one directional derivative) that scales to large inputs.
import { withFloat64 } from '../kernels/index.ts';
import { Rng } from '../random.ts';
import { empty, fromArray, type Tensor } from '../tensor/tensor.ts';
import { noGrad, valueAndGrad } from './functional.ts';
import { mul, sum } from './ops.ts';

export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6 in float64). */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of the random output projection and direction. */
  seed?: number | string;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  /** Where the worst mismatch was: input index and flat element. */
  worst: { input: number; element: number; analytic: number; numeric: number } | null;
}

type Fn = (...xs: Tensor[]) => Tensor;

/** Reduce f's output to a scalar with a fixed random projection so every output element matters. */
function projected(f: Fn, rng: Rng): (xs: Tensor[]) => Tensor {
  let w: Tensor | null = null;
  return (xs) => {
    const y = f(...xs);
    if (!w) {
      w = empty(y.shape);
      for (let i = 0; i < w.size; i++) w.data[i] = rng.range(0.5, 1.5) * (rng.uniform() < 0.5 ? -1 : 1);
    }
    return sum(mul(y, w));
  };
}

function toF64(xs: readonly Tensor[]): Tensor[] {
  return xs.map((x) => fromArray(x.data, x.shape));
}

/** Compare analytic gradients of f at `inputs` with central differences, in float64. */
export function gradcheck(f: Fn, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const { eps = 1e-6, atol = 1e-6, rtol = 1e-5, seed = 0 } = opts;
  return withFloat64(() => {
    const xs = toF64(inputs);
    const L = projected(f, new Rng(seed));
    const analytic = valueAndGrad((p: Tensor[]) => L(p))(xs).grads;
    let maxAbsError = 0;
    let maxRelError = 0;
    let worst: GradcheckResult['worst'] = null;
    let ok = true;
    noGrad(() => {
      xs.forEach((x, i) => {
        for (let k = 0; k < x.size; k++) {
          const orig = x.data[k];
          x.data[k] = orig + eps;
          const up = L(xs).item();
          x.data[k] = orig - eps;
          const down = L(xs).item();
          x.data[k] = orig;
          const numeric = (up - down) / (2 * eps);
          const a = analytic[i].data[k];
          const err = Math.abs(a - numeric);
          const rel = err / Math.max(Math.abs(numeric), Math.abs(a), 1e-12);
          if (!(err <= atol + rtol * Math.abs(numeric))) ok = false;
          if (err > maxAbsError || Number.isNaN(err)) {
            maxAbsError = err;
            worst = { input: i, element: k, analytic: a, numeric };
          }
          if (rel > maxRelError) maxRelError = rel;
        }
      });
    });
    return { ok, maxAbsError, maxRelError, worst };
  });
}

export interface VjpCheckResult {
  ok: boolean;
  analytic: number;
  numeric: number;
  relError: number;
}

/** One random direction v: ⟨∇L, v⟩ against (L(x+εv) − L(x−εv)) / 2ε, in float64. */
export function vjpCheck(f: Fn, inputs: readonly Tensor[], opts: GradcheckOptions = {}): VjpCheckResult {
  const { eps = 1e-6, rtol = 1e-6, seed = 0 } = opts;
  return withFloat64(() => {
    const rng = new Rng(seed);
    const xs = toF64(inputs);
    const L = projected(f, rng.child('projection'));
    const g = valueAndGrad((p: Tensor[]) => L(p))(xs).grads;
    const dir = rng.child('direction');
    const vs = xs.map((x) => fromArray(Array.from({ length: x.size }, () => dir.normal()), x.shape));
    let analytic = 0;
    xs.forEach((_, i) => {
      for (let k = 0; k < vs[i].size; k++) analytic += g[i].data[k] * vs[i].data[k];
    });
    const shifted = (s: number) =>
      noGrad(() => L(xs.map((x, i) => fromArray(x.data.map((v, k) => v + s * vs[i].data[k]), x.shape))).item());
    const numeric = (shifted(eps) - shifted(-eps)) / (2 * eps);
    const relError = Math.abs(analytic - numeric) / Math.max(Math.abs(numeric), 1e-12);
    return { ok: relError <= rtol, analytic, numeric, relError };
  });
}
