// loadDataset: dispatch by name, train/test sharing structure for synthetic sets, clear errors.
import { describe, expect, it } from 'vitest';
import { rng } from '../../src/random.ts';
import { SpecError } from '../../src/errors.ts';
import { DATASET_NAMES, loadDataset, type DatasetName } from '../../src/data/index.ts';

describe('loadDataset', () => {
  it('loads an MNIST slice', () => {
    const { train, test } = loadDataset('mnist', { train: 1000, test: 200 });
    expect([train.n, test.n, train.features]).toEqual([1000, 200, 784]);
    expect(train.y[0]).toBe(5);
  });

  it('generates synthetic train and test sets from one seeded draw', () => {
    const { train, test } = loadDataset('blobs', { rng: rng(1), train: 30, test: 12, classes: 4, features: 3 });
    expect([train.n, test.n, train.classes, train.features]).toEqual([30, 12, 4, 3]);
    const again = loadDataset('blobs', { rng: rng(1), train: 30, test: 12, classes: 4, features: 3 });
    expect(again.test.x).toEqual(test.x);
    expect(test.x).not.toEqual(train.x.subarray(0, test.x.length));
    const ts = loadDataset('teacher-student', { rng: rng(2), train: 20, test: 5 });
    expect(ts.train.kind).toBe('regression');
    expect(loadDataset('spirals', { rng: rng(3), train: 10, test: 10 }).train.n).toBe(10);
    expect(loadDataset('xor').train.n).toBe(4);
  });

  it('requires an rng for random synthetic sets', () => {
    expect(() => loadDataset('spirals')).toThrow(/opts\.rng is required/);
  });

  it('lists accepted names for an unknown name', () => {
    expect(() => loadDataset('cifar' as DatasetName)).toThrow(SpecError);
    expect(() => loadDataset('cifar' as DatasetName)).toThrow(new RegExp(DATASET_NAMES.join(', ')));
  });
});
