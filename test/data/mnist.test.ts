// MNIST and Fashion-MNIST load with the documented sizes, pixel range and label balance.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ClassificationDataset } from '../../src/data/dataset.ts';
import { fashionMnistDir, loadFashionMnist } from '../../src/data/fashion-mnist.ts';
import { loadMnist } from '../../src/data/mnist.ts';

function histogram(ds: ClassificationDataset): number[] {
  const h = new Array<number>(ds.classes).fill(0);
  for (const label of ds.y) h[label]++;
  return h;
}

function pixelRange(ds: ClassificationDataset): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of ds.x) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function checkImageSet(train: ClassificationDataset, test: ClassificationDataset): void {
  expect(train.n).toBe(60000);
  expect(test.n).toBe(10000);
  for (const ds of [train, test]) {
    expect(ds.kind).toBe('classification');
    expect(ds.features).toBe(784);
    expect(ds.shape).toEqual([28, 28]);
    expect(ds.classes).toBe(10);
    expect(ds.x.length).toBe(ds.n * 784);
    expect(ds.y.length).toBe(ds.n);
  }
  // Real images use the whole byte range, so the scaled range is exactly [0, 1].
  expect(pixelRange(train)).toEqual([0, 1]);
  expect(pixelRange(test)).toEqual([0, 1]);
  for (const count of histogram(train)) {
    expect(count).toBeGreaterThanOrEqual(5000);
    expect(count).toBeLessThanOrEqual(7000);
  }
  for (const count of histogram(test)) expect(count).toBeGreaterThan(800);
}

describe('MNIST', () => {
  it('loads 60000 train / 10000 test images in [0, 1] with balanced labels', () => {
    const train = loadMnist('train');
    const test = loadMnist('test');
    checkImageSet(train, test);
    expect(train.y[0]).toBe(5);
    expect(test.y[0]).toBe(7);
  });

  it('caches loaded sets in-process', () => {
    expect(loadMnist('train')).toBe(loadMnist('train'));
  });
});

describe('Fashion-MNIST', () => {
  it('loads 60000 train / 10000 test images in [0, 1] with balanced labels', () => {
    if (!existsSync(fashionMnistDir())) {
      execFileSync('bash', [fileURLToPath(new URL('../../scripts/ensure-fashion-mnist.sh', import.meta.url))], {
        stdio: 'inherit',
      });
    }
    const train = loadFashionMnist('train');
    const test = loadFashionMnist('test');
    checkImageSet(train, test);
    // Fashion-MNIST is exactly balanced: 6000 / 1000 per class.
    expect(histogram(train)).toEqual(new Array(10).fill(6000));
    expect(histogram(test)).toEqual(new Array(10).fill(1000));
    expect(train.y[0]).toBe(9); // ankle boot
    expect(loadFashionMnist('train')).toBe(train);
  });

  it('explains how to install it when the directory is missing', () => {
    const saved = process.env.RULEBENCH_FASHION_MNIST_DIR;
    process.env.RULEBENCH_FASHION_MNIST_DIR = '/nonexistent/rulebench-fashion';
    try {
      expect(() => loadFashionMnist('test')).toThrow(/apt-get install -y dataset-fashion-mnist.*ensure-fashion-mnist\.sh/);
    } finally {
      if (saved === undefined) delete process.env.RULEBENCH_FASHION_MNIST_DIR;
      else process.env.RULEBENCH_FASHION_MNIST_DIR = saved;
    }
  });
});
