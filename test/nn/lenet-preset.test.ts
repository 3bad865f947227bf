// The lenet5 preset's two forms of its 120-unit layer: a dense layer, or LeCun's C5 convolution
// (BioTorch's LeNetMNIST). Same function for the same weights; Xavier draws them at different scales.
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/nn/model.ts';
import { rng } from '../../src/random.ts';
import { fromArray } from '../../src/tensor/tensor.ts';
import { SpecError } from '../../src/errors.ts';

const build = (c5?: 'dense' | 'conv') =>
  buildModel({ preset: 'lenet5', init: 'xavierUniform', ...(c5 ? { c5 } : {}) }, { sampleShape: [1, 32, 32], outputs: 10 });
const std = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, x) => s + x * x, 0) / a.length);

describe('lenet5 preset, c5', () => {
  it('conv form: conv3 [120, 16, 5, 5] in place of fc1 [120, 400], the same outputs for the same weights', () => {
    const dense = build();
    const conv = build('conv');
    expect(dense.paramNames).toEqual([
      'conv1.weight',
      'conv1.bias',
      'conv2.weight',
      'conv2.bias',
      'fc1.weight',
      'fc1.bias',
      'fc2.weight',
      'fc2.bias',
      'fc3.weight',
      'fc3.bias',
    ]);
    expect(conv.paramNames).toEqual([
      'conv1.weight',
      'conv1.bias',
      'conv2.weight',
      'conv2.bias',
      'conv3.weight',
      'conv3.bias',
      'fc1.weight',
      'fc1.bias',
      'fc2.weight',
      'fc2.bias',
    ]);
    expect(conv.paramShapes()[4]).toEqual([120, 16, 5, 5]);
    const p = conv.init(rng(3));
    // The dense layer sees the flattened [16, 5, 5] maps in the same (c, h, w) order as the kernel.
    const q = p.map((t, i) => (i === 4 ? fromArray(t.data, [120, 400]) : t));
    const r = rng('x');
    const x = fromArray(
      Float32Array.from({ length: 2 * 1024 }, () => r.normal()),
      [2, 1, 32, 32],
    );
    const a = conv.forward(p, x).data;
    const b = dense.forward(q, x).data;
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
  });

  it('Xavier counts the kernel in the fans: conv3 is drawn with std √(2 / (400 + 3000)), fc1 with √(2 / (400 + 120))', () => {
    const conv = build('conv').init(rng(1))[4].data;
    const dense = build().init(rng(1))[4].data;
    expect(std(conv)).toBeCloseTo(Math.sqrt(2 / 3400), 3);
    expect(std(dense)).toBeCloseTo(Math.sqrt(2 / 520), 3);
  });

  it('a bad c5 is refused by name', () => {
    expect(() => buildModel({ preset: 'lenet5', c5: 'sparse' } as never, { sampleShape: [1, 32, 32], outputs: 10 })).toThrow(SpecError);
    expect(() => buildModel({ preset: 'lenet5', c5: 'sparse' } as never, { sampleShape: [1, 32, 32], outputs: 10 })).toThrow(
      /^model\.c5: expected "dense" or "conv", got "sparse"/,
    );
  });
});
