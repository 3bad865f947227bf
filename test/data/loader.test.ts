// Loader, split and subset: coverage per epoch, seeded order, buffer reuse, disjoint splits.
import { describe, expect, it } from 'vitest';
import { rng } from '../../src/random.ts';
import { SpecError } from '../../src/errors.ts';
import { classificationDataset, type ClassificationDataset } from '../../src/data/dataset.ts';
import { Loader, split, subset } from '../../src/data/loader.ts';
import { teacherStudent } from '../../src/data/synthetic.ts';

/** Sample i has features [i, i + 0.5] and label i % 7, so rows can be traced through batches. */
function indexed(n: number): ClassificationDataset {
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = i + 0.5;
    y[i] = i % 7;
  }
  return classificationDataset('indexed', x, y, [2], 7);
}

function epochOrder(loader: Loader, e: number): number[] {
  const seen: number[] = [];
  for (const b of loader.epoch(e)) seen.push(...b.indices.subarray(0, b.size));
  return seen;
}

describe('Loader', () => {
  const ds = indexed(103);

  it('covers every sample exactly once per epoch, with matching x and y rows', () => {
    const loader = new Loader(ds, { batchSize: 10, shuffle: true, rng: rng(1) });
    expect(loader.batches).toBe(11);
    const sizes: number[] = [];
    const seen: number[] = [];
    for (const b of loader.epoch(0)) {
      sizes.push(b.size);
      expect(b.x.length).toBe(b.size * 2);
      expect(b.y.length).toBe(b.size);
      for (let r = 0; r < b.size; r++) {
        const i = b.indices[r];
        seen.push(i);
        expect(b.x[2 * r]).toBe(i);
        expect(b.x[2 * r + 1]).toBe(i + 0.5);
        expect(b.y[r]).toBe(i % 7);
      }
    }
    expect(sizes).toEqual([...new Array(10).fill(10), 3]);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, i) => i));
  });

  it('gives the same order for the same seed and different orders for different epochs', () => {
    const a = new Loader(ds, { batchSize: 16, shuffle: true, rng: rng('seed') });
    const b = new Loader(ds, { batchSize: 16, shuffle: true, rng: rng('seed') });
    const c = new Loader(ds, { batchSize: 16, shuffle: true, rng: rng('other') });
    const a0 = epochOrder(a, 0);
    expect(epochOrder(b, 0)).toEqual(a0);
    expect(epochOrder(c, 0)).not.toEqual(a0);
    expect(epochOrder(a, 1)).not.toEqual(a0);
    expect(a0).not.toEqual(Array.from({ length: 103 }, (_, i) => i));
  });

  it("makes epoch e's order independent of earlier epochs being iterated", () => {
    const a = new Loader(ds, { batchSize: 16, shuffle: true, rng: rng(7) });
    const b = new Loader(ds, { batchSize: 16, shuffle: true, rng: rng(7) });
    epochOrder(a, 0);
    epochOrder(a, 1);
    expect(epochOrder(a, 2)).toEqual(epochOrder(b, 2));
  });

  it('reuses preallocated buffers across batches and epochs', () => {
    const loader = new Loader(ds, { batchSize: 10, shuffle: true, rng: rng(2) });
    const xs = new Set<Float32Array>();
    const ys = new Set<Int32Array>();
    const memory = new Set<ArrayBufferLike>();
    for (const e of [0, 1]) {
      for (const b of loader.epoch(e)) {
        if (b.size === 10) {
          xs.add(b.x);
          ys.add(b.y);
        }
        memory.add(b.x.buffer);
      }
    }
    expect(xs.size).toBe(1);
    expect(ys.size).toBe(1);
    expect(memory.size).toBe(1);
  });

  it('keeps dataset order without shuffle and drops the partial batch with dropLast', () => {
    const loader = new Loader(ds, { batchSize: 10, shuffle: false, dropLast: true });
    expect(loader.batches).toBe(10);
    expect(epochOrder(loader, 0)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('handles a batch larger than the dataset and regression targets', () => {
    const reg = teacherStudent(5, 3, 4, 2, rng(0));
    const loader = new Loader(reg, { batchSize: 8, shuffle: true, rng: rng(0) });
    const batches = [...loader.epoch(0)];
    expect(batches).toHaveLength(1);
    const b = batches[0];
    expect(b.size).toBe(5);
    expect(b.y).toBeInstanceOf(Float32Array);
    for (let r = 0; r < 5; r++) {
      const i = b.indices[r];
      expect(Array.from(b.y.subarray(2 * r, 2 * r + 2))).toEqual(Array.from(reg.y.subarray(2 * i, 2 * i + 2)));
    }
  });

  it('rejects bad options', () => {
    expect(() => new Loader(ds, { batchSize: 0, shuffle: false })).toThrow(SpecError);
    expect(() => new Loader(ds, { batchSize: 4, shuffle: true })).toThrow(/shuffle needs an rng/);
  });
});

describe('split', () => {
  const ds = indexed(50);

  it('is disjoint, complete and deterministic by seed', () => {
    const { train, validation } = split(ds, 0.2, rng(4));
    expect(validation.n).toBe(10);
    expect(train.n).toBe(40);
    const held = Array.from({ length: validation.n }, (_, r) => validation.x[2 * r]);
    const kept = Array.from({ length: train.n }, (_, r) => train.x[2 * r]);
    expect(held.filter((i) => kept.includes(i))).toEqual([]);
    expect([...held, ...kept].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // Labels travel with their rows.
    for (let r = 0; r < validation.n; r++) expect(validation.y[r]).toBe(held[r] % 7);
    const again = split(ds, 0.2, rng(4));
    expect(again.validation.x).toEqual(validation.x);
    expect(split(ds, 0.2, rng(5)).validation.x).not.toEqual(validation.x);
  });

  it('accepts a count and rejects impossible sizes', () => {
    expect(split(ds, 7, rng(0)).validation.n).toBe(7);
    expect(() => split(ds, 50, rng(0))).toThrow(SpecError);
    expect(() => split(ds, 0, rng(0))).toThrow(SpecError);
    expect(() => split(ds, 2.5, rng(0))).toThrow(SpecError);
  });
});

describe('subset', () => {
  const ds = indexed(40);

  it('takes the first n without rng and a seeded sample with rng', () => {
    const first = subset(ds, 5);
    expect(Array.from(first.x)).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5]);
    const a = subset(ds, 5, rng(1));
    expect(a.x).toEqual(subset(ds, 5, rng(1)).x);
    expect(a.x).not.toEqual(first.x);
    expect(new Set(Array.from({ length: 5 }, (_, r) => a.x[2 * r])).size).toBe(5);
    expect(() => subset(ds, 41)).toThrow(SpecError);
  });
});
