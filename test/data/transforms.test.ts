// Dataset transforms: bilinear resize (as torch's interpolate with align_corners=False), zero
// padding, per-channel normalization; and MNIST at 32×32 for BioTorch's LeNet.
import { describe, expect, it } from 'vitest';
import { applyTransforms, classificationDataset, loadDataset, SpecError } from '../../src/index.ts';

const img = (values: number[], shape: number[]) => classificationDataset('t', Float32Array.from(values), new Int32Array([0]), shape, 1);

describe('transforms', () => {
  it('resizes bilinearly with pixel centres aligned (2×2 → 4×4)', () => {
    const out = applyTransforms(img([0, 1, 2, 3], [2, 2]), { resize: 4 });
    expect(out.shape).toEqual([1, 4, 4]);
    // torch.nn.functional.interpolate(x, size=4, mode='bilinear', align_corners=False)
    expect(Array.from(out.x)).toEqual([0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
  });

  it('pads with zeros and normalizes per channel', () => {
    const padded = applyTransforms(img([1, 2, 3, 4], [2, 2]), { pad: 1 });
    expect(padded.shape).toEqual([1, 4, 4]);
    expect(Array.from(padded.x)).toEqual([0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0]);
    const two = img([1, 1, 3, 3], [2, 1, 2]);
    expect(Array.from(applyTransforms(two, { normalize: { mean: [1, 2], std: [1, 0.5] } }).x)).toEqual([0, 0, 2, 2]);
    expect(() => applyTransforms(two, { normalize: { mean: [1], std: [1] } })).toThrow(
      /data\.normalize: mean and std need one value per channel \(2\)/,
    );
    expect(() => applyTransforms(img([1], [1]), { pad: 1 })).toThrow(SpecError);
  });

  it('MNIST resized to 32×32 keeps its count and labels, with values in [0, 1]', () => {
    const { train, test } = loadDataset('mnist', { train: 50, test: 20, resize: 32 });
    expect(train.shape).toEqual([1, 32, 32]);
    expect(train.features).toBe(1024);
    expect([train.n, test.n]).toEqual([50, 20]);
    expect(Math.min(...train.x)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...train.x)).toBeLessThanOrEqual(1);
  });
});
