// Plain SGD and heavy-ball momentum (optionally Nesterov), with L2 weight decay added to the
// update, PyTorch conventions (velocity v ← μv + g, no dampening).
import { checkNumber, clamp, makeOptimizer, nonNegative, unitInterval, type CommonOptions, type Optimizer } from './optimizer.ts';

export function sgd(opts: CommonOptions): Optimizer {
  const wd = checkNumber('sgd', 'weightDecay', opts.weightDecay ?? 0, nonNegative, 'a non-negative number');
  return makeOptimizer('sgd', [], opts, (p, u, _slots, lr, _step, scale, clip) => {
    for (let i = 0; i < p.length; i++) p[i] -= lr * (clamp(u[i], clip) * scale + wd * p[i]);
  });
}

export interface MomentumOptions extends CommonOptions {
  /** μ in [0, 1); default 0.9. */
  momentum?: number;
  /** Look ahead: step along g + μv instead of v. */
  nesterov?: boolean;
}

export function momentum(opts: MomentumOptions): Optimizer {
  const name = 'momentum';
  const wd = checkNumber(name, 'weightDecay', opts.weightDecay ?? 0, nonNegative, 'a non-negative number');
  const mu = checkNumber(name, 'momentum', opts.momentum ?? 0.9, unitInterval, 'in [0, 1)');
  const nesterov = opts.nesterov ?? false;
  return makeOptimizer(name, ['velocity'], opts, (p, u, { velocity: v }, lr, _step, scale, clip) => {
    for (let i = 0; i < p.length; i++) {
      const g = clamp(u[i], clip) * scale + wd * p[i];
      const vi = mu * v[i] + g;
      v[i] = vi;
      p[i] -= lr * (nesterov ? g + mu * vi : vi);
    }
  });
}
