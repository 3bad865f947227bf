// Gradient checks: central finite differences in float64 on small inputs, a random-direction
// VJP check (one directional derivative) that scales to large inputs, and a JVP check (forward
// mode against finite differences and against the VJP by transposition).
import { withFloat64 } from '../kernels/index.ts';
import { Rng } from '../random.ts';
import { empty, fromArray, type Tensor } from '../tensor/tensor.ts';
import { jvp, noGrad, valueAndGrad, vjp } from './functional.ts';
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
    const vs = xs.map((x) =>
      fromArray(
        Array.from({ length: x.size }, () => dir.normal()),
        x.shape,
      ),
    );
    let analytic = 0;
    xs.forEach((_, i) => {
      for (let k = 0; k < vs[i].size; k++) analytic += g[i].data[k] * vs[i].data[k];
    });
    const shifted = (s: number) =>
      noGrad(() =>
        L(
          xs.map((x, i) =>
            fromArray(
              x.data.map((v, k) => v + s * vs[i].data[k]),
              x.shape,
            ),
          ),
        ).item(),
      );
    const numeric = (shifted(eps) - shifted(-eps)) / (2 * eps);
    const relError = Math.abs(analytic - numeric) / Math.max(Math.abs(numeric), 1e-12);
    return { ok: relError <= rtol, analytic, numeric, relError };
  });
}

export interface JvpCheckResult {
  ok: boolean;
  /** Worst |J·v − (f(x+εv) − f(x−εv))/2ε| over the output's elements. */
  maxAbsError: number;
  /** ⟨J·v, u⟩ and ⟨v, Jᵀ·u⟩ for a random output direction u: equal up to rounding when the JVP is the VJP's transpose. */
  forward: number;
  reverse: number;
  transposeError: number;
}

export interface JvpCheckOptions extends GradcheckOptions {
  /** Relative tolerance of the transposition identity (default 1e-9, in float64). */
  transposeRtol?: number;
  /** Give a tangent to this input only (the others none). */
  only?: number;
}

/**
 * Forward mode at `inputs` along one random tangent per input, in float64: J·v against central
 * differences of f, elementwise over its output, and ⟨J·v, u⟩ against ⟨v, Jᵀ·u⟩ (the VJP).
 */
export function jvpCheck(f: Fn, inputs: readonly Tensor[], opts: JvpCheckOptions = {}): JvpCheckResult {
  const { eps = 1e-6, atol = 1e-6, rtol = 1e-5, seed = 0, transposeRtol = 1e-9, only } = opts;
  return withFloat64(() => {
    const rng = new Rng(seed);
    const xs = toF64(inputs);
    const dir = rng.child('tangent');
    const active = (i: number) => only === undefined || only === i;
    const vs = xs.map((x, i) =>
      fromArray(
        Array.from({ length: x.size }, () => (active(i) ? dir.normal() : 0)),
        x.shape,
      ),
    );
    const g = (p: Tensor[]) => f(...p);
    // With `only`, the other inputs get no tangent at all (null), the case every JVP rule must handle.
    const { out, tangent } = jvp(g, xs, only === undefined ? vs : (_p, i) => (active(i) ? vs[i] : null));
    const shifted = (s: number) =>
      noGrad(() =>
        f(
          ...xs.map((x, i) =>
            fromArray(
              x.data.map((v, k) => v + s * vs[i].data[k]),
              x.shape,
            ),
          ),
        ),
      );
    const up = shifted(eps);
    const down = shifted(-eps);
    let ok = tangent.shape.join() === out.shape.join();
    let maxAbsError = 0;
    for (let k = 0; k < out.size; k++) {
      const numeric = (up.data[k] - down.data[k]) / (2 * eps);
      const err = Math.abs(tangent.data[k] - numeric);
      if (!(err <= atol + rtol * Math.abs(numeric))) ok = false;
      if (err > maxAbsError || Number.isNaN(err)) maxAbsError = err;
    }
    const udir = rng.child('cotangent');
    const u = fromArray(
      Array.from({ length: out.size }, () => udir.normal()),
      out.shape,
    );
    let forward = 0;
    for (let k = 0; k < out.size; k++) forward += tangent.data[k] * u.data[k];
    const cot = vjp(g, xs).vjpFn(u);
    let reverse = 0;
    xs.forEach((_, i) => {
      for (let k = 0; k < vs[i].size; k++) reverse += vs[i].data[k] * cot[i].data[k];
    });
    const transposeError = Math.abs(forward - reverse) / Math.max(Math.abs(forward), Math.abs(reverse), 1e-12);
    if (!(transposeError <= transposeRtol)) ok = false;
    return { ok, maxAbsError, forward, reverse, transposeError };
  });
}
