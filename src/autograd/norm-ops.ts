// Batch normalization in training as one primitive. Composed from primitives it kept about five
// full-size intermediates from its forward and a dozen cotangents from its backward alive until
// the step's arena ended; fused, it saves x̂ alone (as PyTorch's kernel does) and its backward is
// the closed form. Statistics accumulate in float64 for every storage precision.
import { ShapeError } from '../errors.ts';
import { empty, fromArray, type Tensor } from '../tensor/tensor.ts';
import { add, broadcastTo, define, mean, mul, reshape, sub } from './ops.ts';

interface BatchNormAttrs {
  /** The batch mean per channel, in the storage precision (as x̂ is computed from it). */
  mu: ArrayLike<number>;
  /** 1/√(σ² + eps) per channel. */
  inv: Float64Array;
}

/** For x viewed as [n, c, s]: calls f(channel, offset, s) for each of its n·c runs of s values. */
function forRuns(shape: readonly number[], f: (c: number, off: number, s: number) => void): void {
  const [n, c] = shape;
  const s = shape.length === 4 ? shape[2] * shape[3] : 1;
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) f(k, (i * c + k) * s, s);
}

const batchNormOp = define<BatchNormAttrs>({
  name: 'batchNorm',
  // x̂ = (x − μ)·inv comes from the wrapper's statistics; y = x̂·gain + shift.
  forward: ([x, gain, shift], { mu, inv }) => {
    const xhat = empty(x.shape);
    const y = empty(x.shape);
    const xd = x.data,
      h = xhat.data,
      yd = y.data,
      gd = gain.data,
      bd = shift.data;
    forRuns(x.shape, (c, off, s) => {
      for (let j = off; j < off + s; j++) {
        const v = (xd[j] - mu[c]) * inv[c];
        h[j] = v;
        yd[j] = v * gd[c] + bd[c];
      }
    });
    return { out: y, saved: [xhat, gain] };
  },
  // dshift = Σg, dgain = Σg·x̂, dx = gain·inv/M · (M·g − dshift − x̂·dgain), M values per channel.
  vjp: (g, [xhat, gain], { inv }, shapes) => {
    const c = shapes[1][0];
    const db = new Float64Array(c);
    const dg = new Float64Array(c);
    const gd = g.data,
      h = xhat.data;
    forRuns(g.shape, (k, off, s) => {
      for (let j = off; j < off + s; j++) {
        db[k] += gd[j];
        dg[k] += gd[j] * h[j];
      }
    });
    const m = g.size / c;
    const dx = empty(g.shape);
    const dxd = dx.data,
      ga = gain.data;
    forRuns(g.shape, (k, off, s) => {
      const scale = (ga[k] * inv[k]) / m;
      for (let j = off; j < off + s; j++) dxd[j] = scale * (m * gd[j] - db[k] - h[j] * dg[k]);
    });
    return [dx, fromArray(dg, [c]), fromArray(db, [c])];
  },
  // ẋ̂ = inv·(ẋ − mean ẋ − x̂·mean(x̂·ẋ)) per channel; ẏ = ẋ̂·gain + x̂·ġain + ṡhift.
  jvp: ([tx, tg, tb], { saved: [xhat, gain] }, { inv }) => {
    const [n, c] = xhat.shape;
    const s = xhat.size / (n * c);
    const per = (t: Tensor) => reshape(t, [1, c, 1]);
    const channelMean = (t: Tensor) => mean(mean(t, 2, true), 0, true);
    const h = reshape(xhat, [n, c, s]);
    let t: Tensor | null = null;
    if (tx) {
      const t3 = reshape(tx, [n, c, s]);
      const centered = sub(sub(t3, channelMean(t3)), mul(h, channelMean(mul(h, t3))));
      t = mul(centered, per(mul(fromArray(inv, [c]), gain)));
    }
    if (tg) t = t ? add(t, mul(h, per(tg))) : mul(h, per(tg));
    if (tb) t = t ? add(t, per(tb)) : broadcastTo(per(tb), [n, c, s]);
    return t && reshape(t, xhat.shape);
  },
});

/**
 * Batch normalization of x [n, c] or [n, c, h, w] with the batch's own statistics (biased
 * variance); returns the output and the batch mean and variance [c].
 */
export function batchNormTraining(x: Tensor, gain: Tensor, shift: Tensor, eps: number): { out: Tensor; mean: Tensor; variance: Tensor } {
  const c = x.shape[1];
  const m = x.size / c;
  if (m < 2) throw new ShapeError(`batchNorm: training needs more than one value per channel, got input [${x.shape.join(', ')}]`);
  const mu = new Float64Array(c);
  const variance = new Float64Array(c);
  const xd = x.data;
  forRuns(x.shape, (k, off, s) => {
    for (let j = off; j < off + s; j++) mu[k] += xd[j];
  });
  for (let k = 0; k < c; k++) mu[k] /= m;
  forRuns(x.shape, (k, off, s) => {
    for (let j = off; j < off + s; j++) variance[k] += (xd[j] - mu[k]) ** 2;
  });
  const inv = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    variance[k] /= m;
    inv[k] = 1 / Math.sqrt(variance[k] + eps);
  }
  const mean = fromArray(mu, [c]);
  return { out: batchNormOp([x, gain, shift], { mu: mean.data, inv }), mean, variance: fromArray(variance, [c]) };
}
