// validateDataset: size checks, non-finite features and targets, out-of-range labels.
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.ts';
import { classificationDataset, regressionDataset, validateDataset, type ClassificationDataset } from '../../src/data/dataset.ts';

function tiny(): ClassificationDataset {
  return classificationDataset('tiny', new Float32Array([0, 0.5, 1, 0.25, 0.75, 1]), new Int32Array([0, 1, 2]), [2], 3);
}

describe('validateDataset', () => {
  it('accepts a consistent dataset and fills n / features', () => {
    const ds = tiny();
    expect(ds.n).toBe(3);
    expect(ds.features).toBe(2);
    expect(validateDataset(ds)).toBe(ds);
  });

  it('names the dataset, sample and offset of a NaN pixel', () => {
    const ds = tiny();
    ds.x[5] = NaN;
    expect(() => validateDataset(ds)).toThrow(DataError);
    expect(() => validateDataset(ds)).toThrow(/"tiny".*sample 2 feature 1 is NaN \(x offset 5\)/);
  });

  it('catches infinite features', () => {
    const ds = tiny();
    ds.x[2] = -Infinity;
    expect(() => validateDataset(ds)).toThrow(/sample 1 feature 0 is -Infinity/);
  });

  it('names the sample with an out-of-range label', () => {
    const ds = tiny();
    ds.y[1] = 3;
    expect(() => validateDataset(ds)).toThrow(DataError);
    expect(() => validateDataset(ds)).toThrow(/"tiny".*sample 1 has label 3, outside \[0, 3\)/);
  });

  it('rejects mismatched sizes', () => {
    expect(() => classificationDataset('bad', new Float32Array(5), new Int32Array(3), [2], 3)).toThrow(/x has 5 values/);
    expect(() => regressionDataset('bad', new Float32Array(4), new Float32Array(3), [2], 2)).toThrow(DataError);
  });

  it('checks regression targets are finite', () => {
    const ds = regressionDataset('reg', new Float32Array(4), new Float32Array([1, 2, 3, 4]), [2], 2);
    expect(ds.n).toBe(2);
    expect(ds.classes).toBe(0);
    ds.y[3] = Infinity;
    expect(() => validateDataset(ds)).toThrow(/"reg".*sample 1 target 1 is Infinity/);
  });
});
