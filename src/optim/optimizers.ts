// The named optimizers as chains of transforms, with PyTorch's conventions: clipping first
// (by value, then by global norm), weight decay as L2 (sgd, momentum, adam) or decoupled (adamw),
// then the method's scaling and the learning rate.
import type { Schedule } from './schedules.ts';
import { chain, type Optimizer } from './chain.ts';
import {
  addDecayedWeights,
  checkNumber,
  clipByGlobalNorm,
  clipByValue,
  nonNegative,
  positive,
  scaleByAdam,
  scaleByLearningRate,
  scaleByRms,
  traceMomentum,
  unitInterval,
  type Transform,
} from './transforms.ts';

export interface CommonOptions {
  /** A fixed rate or a schedule (a pure function of step). */
  lr: number | Schedule;
  /** sgd/momentum/adam: L2 (wd·param added to the update); adamw: decoupled decay. */
  weightDecay?: number;
  /** Clamp each update element to [−clipValue, clipValue] (applied first). */
  clipValue?: number;
  /** Rescale all updates together so their global L2 norm is at most clipNorm (eager path only). */
  clipNorm?: number;
}

export interface MomentumOptions extends CommonOptions {
  /** μ in [0, 1); default 0.9. */
  momentum?: number;
  /** Look ahead: step along g + μv instead of v. */
  nesterov?: boolean;
}

export interface RmspropOptions extends CommonOptions {
  /** Decay of the mean square; default 0.99. */
  alpha?: number;
  eps?: number;
}

export interface AdamOptions extends CommonOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/** The clipping transforms and the validated rate, named after the optimizer in any error. */
function common(name: string, opts: CommonOptions): { clips: Transform[]; lr: Transform; wd: (fallback: number) => number } {
  const clips: Transform[] = [];
  if (opts.clipValue !== undefined)
    clips.push(clipByValue(checkNumber(`optimizer ${name}`, 'clipValue', opts.clipValue, positive, 'a positive number')));
  if (opts.clipNorm !== undefined)
    clips.push(clipByGlobalNorm(checkNumber(`optimizer ${name}`, 'clipNorm', opts.clipNorm, positive, 'a positive number')));
  const lr = scaleByLearningRate(
    typeof opts.lr === 'function' ? opts.lr : checkNumber(`optimizer ${name}`, 'lr', opts.lr, nonNegative, 'a non-negative number'),
  );
  const wd = (fallback: number) =>
    checkNumber(`optimizer ${name}`, 'weightDecay', opts.weightDecay ?? fallback, nonNegative, 'a non-negative number');
  return { clips, lr, wd };
}

/** Identity transforms (zero decay) are left out, so they cost nothing. */
const decay = (wd: number): Transform[] => (wd > 0 ? [addDecayedWeights(wd)] : []);

/** Plain SGD: p ← p − lr·(u + wd·p). */
export function sgd(opts: CommonOptions): Optimizer {
  const { clips, lr, wd } = common('sgd', opts);
  return chain('sgd', ...clips, ...decay(wd(0)), lr);
}

/** Heavy-ball momentum (optionally Nesterov), weight decay entering the velocity. */
export function momentum(opts: MomentumOptions): Optimizer {
  const name = 'momentum';
  const { clips, lr, wd } = common(name, opts);
  const mu = checkNumber(`optimizer ${name}`, 'momentum', opts.momentum ?? 0.9, unitInterval, 'in [0, 1)');
  return chain(name, ...clips, ...decay(wd(0)), traceMomentum(mu, opts.nesterov ?? false), lr);
}

/** RMSprop (no momentum, not centred); defaults alpha 0.99, eps 1e-8 (torch.optim.RMSprop); weight decay is L2. */
export function rmsprop(opts: RmspropOptions): Optimizer {
  const name = 'rmsprop';
  const { clips, lr, wd } = common(name, opts);
  const alpha = checkNumber(`optimizer ${name}`, 'alpha', opts.alpha ?? 0.99, unitInterval, 'in [0, 1)');
  const eps = checkNumber(`optimizer ${name}`, 'eps', opts.eps ?? 1e-8, positive, 'a positive number');
  return chain(name, ...clips, ...decay(wd(0)), scaleByRms(alpha, eps), lr);
}

function adamScaling(name: string, opts: AdamOptions): Transform {
  const b1 = checkNumber(`optimizer ${name}`, 'beta1', opts.beta1 ?? 0.9, unitInterval, 'in [0, 1)');
  const b2 = checkNumber(`optimizer ${name}`, 'beta2', opts.beta2 ?? 0.999, unitInterval, 'in [0, 1)');
  const eps = checkNumber(`optimizer ${name}`, 'eps', opts.eps ?? 1e-8, positive, 'a positive number');
  return scaleByAdam(b1, b2, eps);
}

/** Adam; default betas (0.9, 0.999), eps 1e-8; weight decay is L2, inside the moments (torch.optim.Adam). */
export function adam(opts: AdamOptions): Optimizer {
  const { clips, lr, wd } = common('adam', opts);
  return chain('adam', ...clips, ...decay(wd(0)), adamScaling('adam', opts), lr);
}

/** AdamW: p ← p − lr·(m̂/(√v̂ + ε) + wd·p), decay decoupled; weightDecay defaults to 0.01 (PyTorch). */
export function adamw(opts: AdamOptions): Optimizer {
  const { clips, lr, wd } = common('adamw', opts);
  return chain('adamw', ...clips, adamScaling('adamw', opts), ...decay(wd(0.01)), lr);
}
