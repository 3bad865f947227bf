// Adam (L2 weight decay folded into the gradient, as torch.optim.Adam) and AdamW (decay
// decoupled from the adaptive scaling: p ← p − lr·(m̂/(√v̂ + ε) + wd·p), as torch.optim.AdamW).
import { checkNumber, clamp, makeOptimizer, nonNegative, positive, unitInterval, type CommonOptions, type Optimizer } from './optimizer.ts';

export interface AdamOptions extends CommonOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
}

function adamFamily(name: 'adam' | 'adamw', opts: AdamOptions, decoupled: boolean): Optimizer {
  const b1 = checkNumber(name, 'beta1', opts.beta1 ?? 0.9, unitInterval, 'in [0, 1)');
  const b2 = checkNumber(name, 'beta2', opts.beta2 ?? 0.999, unitInterval, 'in [0, 1)');
  const eps = checkNumber(name, 'eps', opts.eps ?? 1e-8, positive, 'a positive number');
  const wd = checkNumber(name, 'weightDecay', opts.weightDecay ?? (decoupled ? 0.01 : 0), nonNegative, 'a non-negative number');
  const l2 = decoupled ? 0 : wd;
  const decay = decoupled ? wd : 0;
  return makeOptimizer(name, ['m', 'v'], opts, (p, u, { m, v }, lr, step, scale, clip) => {
    // step is 0-based; the bias correction counts updates from 1.
    const bc1 = 1 - b1 ** (step + 1);
    const bc2 = 1 - b2 ** (step + 1);
    for (let i = 0; i < p.length; i++) {
      const g = clamp(u[i], clip) * scale + l2 * p[i];
      const mi = b1 * m[i] + (1 - b1) * g;
      const vi = b2 * v[i] + (1 - b2) * g * g;
      m[i] = mi;
      v[i] = vi;
      p[i] -= lr * (mi / bc1 / (Math.sqrt(vi / bc2) + eps) + decay * p[i]);
    }
  });
}

/** Adam; default betas (0.9, 0.999), eps 1e-8, no weight decay. */
export const adam = (opts: AdamOptions): Optimizer => adamFamily('adam', opts, false);
/** AdamW; weightDecay defaults to 0.01 (PyTorch). */
export const adamw = (opts: AdamOptions): Optimizer => adamFamily('adamw', opts, true);
