// Per-layer health of a network during training: gradient norms (vanishing or exploding) and
// the share of dead units behind each activation (a unit — a channel, for feature maps — whose
// output is exactly 0 on every probe input; in a sequence, at every position).
import { noGrad } from '../autograd/functional.ts';
import type { Model } from '../nn/model.ts';
import { wrap, type ForwardOptions } from '../nn/module.ts';
import type { Tensor } from '../tensor/tensor.ts';

/** `<layer>.gradNorm`: L2 norm of each layer's gradient (all its parameters together). */
export function gradientNorms(model: Model, grads: readonly Tensor[]): Record<string, number> {
  const ss = new Map(model.layers.map((l) => [l, 0]));
  grads.forEach((g, i) => {
    let s = 0;
    for (let k = 0; k < g.size; k++) s += g.data[k] * g.data[k];
    ss.set(model.paramOwner[i], ss.get(model.paramOwner[i])! + s);
  });
  return Object.fromEntries(model.layers.map((l) => [`${l}.gradNorm`, Math.sqrt(ss.get(l)!)]));
}

/** `<activation>.deadShare`: for each activation module, the share of its units (channels) that are 0 for every row of x. */
export function deadUnitShare(model: Model, params: readonly Tensor[], x: Tensor, forward: ForwardOptions = {}): Record<string, number> {
  return noGrad(() => {
    const out: Record<string, number> = {};
    const tapped = model.map((m) =>
      m.kind === 'activation' ? wrap(m, { after: (y) => ((out[`${m.path}.deadShare`] = deadShare(y)), y) }) : m,
    );
    tapped.forward(params, x, forward);
    return out;
  });
}

function deadShare(a: Tensor): number {
  // A sequence's activations [n, T, units]: a unit is the last axis, over every sample and position.
  if (a.rank === 3) {
    const units = a.shape[2];
    let dead = 0;
    for (let u = 0; u < units; u++) {
      let alive = false;
      for (let r = u; r < a.size && !alive; r += units) alive = a.data[r] !== 0;
      if (!alive) dead++;
    }
    return dead / units;
  }
  const n = a.shape[0];
  const units = a.shape[1];
  const spatial = a.size / (n * units);
  let dead = 0;
  for (let u = 0; u < units; u++) {
    let alive = false;
    for (let r = 0; r < n && !alive; r++) {
      const base = (r * units + u) * spatial;
      for (let s = 0; s < spatial && !alive; s++) alive = a.data[base + s] !== 0;
    }
    if (!alive) dead++;
  }
  return dead / units;
}
