// Shape collapsing for the WASM kernels: broadcasts to a strided rank-3 loop, permutations to
// copies or batched 2-D transposes.
import { describe, expect, it } from 'vitest';
import { collapseBroadcast, planPermute } from '../../src/kernels/wasm/layout.ts';

describe('collapseBroadcast', () => {
  it('collapses same-shape operands to one contiguous run', () => {
    expect(collapseBroadcast([2, 3, 4], [2, 3, 4], [2, 3, 4])).toEqual({ dims: [1, 1, 24], sa: [0, 0, 1], sb: [0, 0, 1] });
  });
  it('turns a bias row into a [rows, cols] loop with a zero row stride for b', () => {
    expect(collapseBroadcast([128, 10], [10], [128, 10])).toEqual({ dims: [1, 128, 10], sa: [0, 10, 1], sb: [0, 0, 1] });
  });
  it('handles a column and a scalar', () => {
    expect(collapseBroadcast([9, 17], [9, 1], [9, 17])).toEqual({ dims: [1, 9, 17], sa: [0, 17, 1], sb: [0, 1, 0] });
    expect(collapseBroadcast([3, 4], [], [3, 4])).toEqual({ dims: [1, 1, 12], sa: [0, 0, 1], sb: [0, 0, 0] });
  });
  it('merges adjacent broadcast axes and drops unit axes', () => {
    expect(collapseBroadcast([1, 1, 5], [6, 3, 5], [6, 3, 5])).toEqual({ dims: [1, 18, 5], sa: [0, 0, 1], sb: [0, 5, 1] });
    expect(collapseBroadcast([2, 1, 5], [3, 1], [2, 3, 5])).toEqual({ dims: [2, 3, 5], sa: [5, 0, 1], sb: [0, 1, 0] });
  });
  it('gives up beyond rank 3', () => {
    expect(collapseBroadcast([2, 1, 4, 1], [3, 1, 5], [2, 3, 4, 5])).toBeNull();
  });
});

describe('planPermute', () => {
  it('recognizes copies, 2-D and batched transposes', () => {
    expect(planPermute([3, 4], [0, 1])).toEqual({ kind: 'copy' });
    expect(planPermute([1, 5, 1], [2, 1, 0])).toEqual({ kind: 'copy' });
    expect(planPermute([3, 4], [1, 0])).toEqual({ kind: 'transpose2d', batch: 1, rows: 3, cols: 4 });
    expect(planPermute([2, 3, 4], [1, 2, 0])).toEqual({ kind: 'transpose2d', batch: 1, rows: 2, cols: 12 });
    expect(planPermute([2, 3, 4, 5], [0, 1, 3, 2])).toEqual({ kind: 'transpose2d', batch: 6, rows: 4, cols: 5 });
    expect(planPermute([2, 3, 4], [1, 0, 2])).toEqual({ kind: 'transposeBlocks', batch: 1, rows: 2, cols: 3, block: 4 });
    expect(planPermute([2, 3, 4, 5], [0, 2, 1, 3])).toEqual({ kind: 'transposeBlocks', batch: 2, rows: 3, cols: 4, block: 5 });
    expect(planPermute([2, 3, 4, 5], [2, 0, 1, 3])).toEqual({ kind: 'transposeBlocks', batch: 1, rows: 6, cols: 4, block: 5 });
    expect(planPermute([2, 3, 4, 5], [1, 0, 3, 2])).toEqual({ kind: 'general' });
  });
});
