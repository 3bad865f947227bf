// The worked example from the backprop literature, computed by the core's autograd:
// x -w1-> z1 -σ-> h -w2-> z2 -σ-> ŷ,  L = ½(ŷ − y)²,  x = 1, w1 = 0.5, w2 = −0.3, y = 1.
// `npx tsx experiments/worked-example.ts` prints it; the playground's guided page shows it.
import { mul, scalar, sigmoid, square, sub, valueAndGrad, type Tensor } from '../src/core.ts';

export interface WorkedExample {
  /** The forward pass, left to right. */
  forward: { x: number; w1: number; z1: number; h: number; w2: number; z2: number; yHat: number; y: number };
  /** δ = ∂L/∂z at each pre-activation: each weight's gradient over the input it multiplies (h for w2, x for w1). */
  deltas: { z2: number; z1: number };
  loss: number;
  dLdw1: number;
  dLdw2: number;
  w1After: number;
  w2After: number;
}

/** The figures as the literature prints them (intermediates rounded to 3 digits), by field. */
export const PUBLISHED: Array<{ label: string; key: 'loss' | 'dLdw2' | 'dLdw1' | 'w2After' | 'w1After'; value: string }> = [
  { label: 'L', key: 'loss', value: '0.150' },
  { label: '∂L/∂w2', key: 'dLdw2', value: '-0.0840' },
  { label: '∂L/∂w1', key: 'dLdw1', value: '0.00952' },
  { label: 'w2 after one SGD step (η=1)', key: 'w2After', value: '-0.216' },
  { label: 'w1 after one SGD step (η=1)', key: 'w1After', value: '0.490' },
];

export function workedExample(lr = 1): WorkedExample {
  const x = scalar(1);
  const y = scalar(1);
  const params = { w1: scalar(0.5), w2: scalar(-0.3) };
  const net = (p: { w1: Tensor; w2: Tensor }) => {
    const z1 = mul(p.w1, x);
    const h = sigmoid(z1);
    const z2 = mul(p.w2, h);
    return { z1, h, z2, yHat: sigmoid(z2) };
  };
  const loss = (p: { w1: Tensor; w2: Tensor }) => mul(scalar(0.5), square(sub(net(p).yHat, y)));
  const { value, grads } = valueAndGrad(loss)(params);
  const f = net(params);
  const forward = {
    x: x.item(),
    w1: params.w1.item(),
    z1: f.z1.item(),
    h: f.h.item(),
    w2: params.w2.item(),
    z2: f.z2.item(),
    yHat: f.yHat.item(),
    y: y.item(),
  };
  // One plain SGD step, applied by hand: gradients and updates stay separate.
  const dLdw1 = grads.w1.item();
  const dLdw2 = grads.w2.item();
  return {
    forward,
    deltas: { z2: dLdw2 / forward.h, z1: dLdw1 / forward.x },
    loss: value.item(),
    dLdw1,
    dLdw2,
    w1After: params.w1.item() - lr * dLdw1,
    w2After: params.w2.item() - lr * dLdw2,
  };
}

function main(): void {
  const r = workedExample();
  console.log('Worked example: x=1, w1=0.5, w2=-0.3, y=1, L=½(ŷ−y)²\n');
  console.log(`${'quantity'.padEnd(30)}${'rulebench'.padStart(12)}${'literature'.padStart(12)}`);
  for (const p of PUBLISHED) console.log(`${p.label.padEnd(30)}${r[p.key].toPrecision(3).padStart(12)}${p.value.padStart(12)}`);
  console.log('\nThe published column rounds intermediate values to 3 digits; rulebench carries them exactly.');
}

// Run as a script (Node); imported by the playground's worker, where there is no process.
if (typeof process !== 'undefined' && process.argv[1] === decodeURIComponent(new URL(import.meta.url).pathname)) main();
