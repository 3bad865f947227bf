// Per-layer health of a network during training: gradient norms (vanishing or exploding) and
// the share of dead hidden units (a unit whose activation is exactly 0 on every probe input).
import { noGrad } from '../autograd/functional.ts';
import type { Model } from '../nn/model.ts';
import type { Tensor } from '../tensor/tensor.ts';

/** `<layer>.gradNorm`: L2 norm of each layer's gradient (weights and biases together). */
export function gradientNorms(model: Model, grads: readonly Tensor[]): Record<string, number> {
  const ss = model.blocks.map(() => 0);
  grads.forEach((g, i) => {
    let s = 0;
    for (let k = 0; k < g.size; k++) s += g.data[k] * g.data[k];
    ss[model.paramBlock[i]] += s;
  });
  return Object.fromEntries(model.blocks.map((b, i) => [`${b.name}.gradNorm`, Math.sqrt(ss[i])]));
}

/** `<layer>.deadShare`: for each hidden block, the share of units that are 0 for every row of x. */
export function deadUnitShare(model: Model, params: readonly Tensor[], x: Tensor): Record<string, number> {
  return noGrad(() => {
    const { post } = model.forward(params, x);
    const out: Record<string, number> = {};
    model.blocks.forEach((b, i) => {
      if (!b.hidden) return;
      const a = post[i];
      const [n, units] = a.shape;
      let dead = 0;
      for (let u = 0; u < units; u++) {
        let alive = false;
        for (let r = 0; r < n && !alive; r++) alive = a.data[r * units + u] !== 0;
        if (!alive) dead++;
      }
      out[`${b.name}.deadShare`] = dead / units;
    });
    return out;
  });
}
