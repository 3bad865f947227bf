// The worked example from the backprop literature, computed by the core's autograd:
// x -w1-> z1 -σ-> h -w2-> z2 -σ-> ŷ,  L = ½(ŷ − y)²,  x = 1, w1 = 0.5, w2 = −0.3, y = 1.
import { fileURLToPath } from 'node:url';
import { mul, scalar, sigmoid, square, sub, valueAndGrad, type Tensor } from '../src/index.ts';

export interface WorkedExample {
  loss: number;
  dLdw1: number;
  dLdw2: number;
  w1After: number;
  w2After: number;
}

export function workedExample(lr = 1): WorkedExample {
  const x = scalar(1);
  const y = scalar(1);
  const params = { w1: scalar(0.5), w2: scalar(-0.3) };
  const loss = (p: { w1: Tensor; w2: Tensor }) => {
    const h = sigmoid(mul(p.w1, x));
    const yHat = sigmoid(mul(p.w2, h));
    return mul(scalar(0.5), square(sub(yHat, y)));
  };
  const { value, grads } = valueAndGrad(loss)(params);
  // One plain SGD step, applied by hand: gradients and updates stay separate.
  const dLdw1 = grads.w1.item();
  const dLdw2 = grads.w2.item();
  return {
    loss: value.item(),
    dLdw1,
    dLdw2,
    w1After: params.w1.item() - lr * dLdw1,
    w2After: params.w2.item() - lr * dLdw2,
  };
}

function main(): void {
  const r = workedExample();
  const rows: Array<[string, number, string]> = [
    ['L', r.loss, '0.150'],
    ['∂L/∂w2', r.dLdw2, '-0.0840'],
    ['∂L/∂w1', r.dLdw1, '0.00952'],
    ['w2 after one SGD step (η=1)', r.w2After, '-0.216'],
    ['w1 after one SGD step (η=1)', r.w1After, '0.490'],
  ];
  console.log('Worked example: x=1, w1=0.5, w2=-0.3, y=1, L=½(ŷ−y)²\n');
  console.log(`${'quantity'.padEnd(30)}${'rulebench'.padStart(12)}${'literature'.padStart(12)}`);
  for (const [name, v, ref] of rows) console.log(`${name.padEnd(30)}${v.toPrecision(3).padStart(12)}${ref.padStart(12)}`);
  console.log('\nThe published column rounds intermediate values to 3 digits; rulebench carries them exactly.');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
