// Fused in-place optimizer updates. Arithmetic runs in f64x2 in exactly the order of the plain-TS
// reference (src/kernels/fused.ts), so both give the same float32 results.

import { hi64, lo64, narrow } from './simd';

/** param -= lr * grad */
export function sgdUpdate(param: usize, grad: usize, n: i32, lr: f64): void {
  const l = f64x2.splat(lr);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(param + o);
    const g = v128.load(grad + o);
    v128.store(param + o, narrow(
      f64x2.sub(lo64(p), f64x2.mul(l, lo64(g))),
      f64x2.sub(hi64(p), f64x2.mul(l, hi64(g))),
    ));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(param + o, <f32>(<f64>load<f32>(param + o) - lr * <f64>load<f32>(grad + o)));
  }
}

/** velocity = momentum * velocity + grad; param -= lr * velocity */
export function momentumUpdate(param: usize, grad: usize, vel: usize, n: i32, lr: f64, momentum: f64): void {
  const l = f64x2.splat(lr);
  const mu = f64x2.splat(momentum);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(param + o);
    const g = v128.load(grad + o);
    const v = v128.load(vel + o);
    const vlo = f64x2.add(f64x2.mul(mu, lo64(v)), lo64(g));
    const vhi = f64x2.add(f64x2.mul(mu, hi64(v)), hi64(g));
    v128.store(vel + o, narrow(vlo, vhi));
    v128.store(param + o, narrow(f64x2.sub(lo64(p), f64x2.mul(l, vlo)), f64x2.sub(hi64(p), f64x2.mul(l, vhi))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const vi = momentum * <f64>load<f32>(vel + o) + <f64>load<f32>(grad + o);
    store<f32>(vel + o, <f32>vi);
    store<f32>(param + o, <f32>(<f64>load<f32>(param + o) - lr * vi));
  }
}

/**
 * Adam(W) in PyTorch's form: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * param = param * decay - stepSize * m / (sqrt(v) * invSqrtBc2 + eps), where the host computes
 * decay = 1 - lr * weightDecay, stepSize = lr / (1 - b1^t), invSqrtBc2 = 1 / sqrt(1 - b2^t).
 * One division and one square root per element.
 */
export function adamUpdate(param: usize, grad: usize, mBuf: usize, vBuf: usize, n: i32, beta1: f64, beta2: f64,
  eps: f64, stepSize: f64, invSqrtBc2: f64, decay: f64): void {
  const c1s = 1 - beta1;
  const c2s = 1 - beta2;
  const b1 = f64x2.splat(beta1), c1 = f64x2.splat(c1s), b2 = f64x2.splat(beta2), c2 = f64x2.splat(c2s);
  const ve = f64x2.splat(eps), vs = f64x2.splat(stepSize), vi2 = f64x2.splat(invSqrtBc2), vd = f64x2.splat(decay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(param + o);
    const g = v128.load(grad + o);
    const m = v128.load(mBuf + o);
    const v = v128.load(vBuf + o);
    const glo = lo64(g), ghi = hi64(g);
    const mlo = f64x2.add(f64x2.mul(b1, lo64(m)), f64x2.mul(c1, glo));
    const mhi = f64x2.add(f64x2.mul(b1, hi64(m)), f64x2.mul(c1, ghi));
    const vlo = f64x2.add(f64x2.mul(b2, lo64(v)), f64x2.mul(f64x2.mul(c2, glo), glo));
    const vhi = f64x2.add(f64x2.mul(b2, hi64(v)), f64x2.mul(f64x2.mul(c2, ghi), ghi));
    v128.store(mBuf + o, narrow(mlo, mhi));
    v128.store(vBuf + o, narrow(vlo, vhi));
    const dlo = f64x2.add(f64x2.mul(f64x2.sqrt(vlo), vi2), ve);
    const dhi = f64x2.add(f64x2.mul(f64x2.sqrt(vhi), vi2), ve);
    v128.store(param + o, narrow(
      f64x2.sub(f64x2.mul(lo64(p), vd), f64x2.mul(vs, f64x2.div(mlo, dlo))),
      f64x2.sub(f64x2.mul(hi64(p), vd), f64x2.mul(vs, f64x2.div(mhi, dhi))),
    ));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = <f64>load<f32>(grad + o);
    const mi = beta1 * <f64>load<f32>(mBuf + o) + c1s * g;
    const vi = beta2 * <f64>load<f32>(vBuf + o) + c2s * g * g;
    store<f32>(mBuf + o, <f32>mi);
    store<f32>(vBuf + o, <f32>vi);
    const denom = Math.sqrt(vi) * invSqrtBc2 + eps;
    store<f32>(param + o, <f32>(<f64>load<f32>(param + o) * decay - stepSize * (mi / denom)));
  }
}
