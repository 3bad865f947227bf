// Shape bookkeeping for the WASM kernels: collapse a broadcast or a permutation to the few
// low-rank forms the kernels implement (merging axes that stay contiguous), or say it cannot.

export interface Broadcast3 {
  /** Output extents [d0, d1, d2] (row-major, contiguous). */
  dims: [number, number, number];
  /** Element strides of a and b along each output axis (0 = broadcast). */
  sa: [number, number, number];
  sb: [number, number, number];
}

function inputStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1, o = outShape.length - 1; i >= 0 && o >= 0; i--, o--) {
    strides[o] = shape[i] === 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}

/** The broadcast a ⊕ b -> out as a strided rank-3 loop, or null if it needs more than 3 axes. */
export function collapseBroadcast(aShape: readonly number[], bShape: readonly number[], outShape: readonly number[]): Broadcast3 | null {
  const sa = inputStrides(aShape, outShape);
  const sb = inputStrides(bShape, outShape);
  const dims: number[] = [];
  const ca: number[] = [];
  const cb: number[] = [];
  for (let o = 0; o < outShape.length; o++) {
    const d = outShape[o];
    if (d === 1) continue;
    const last = dims.length - 1;
    // Axis o folds into the previous kept axis when both inputs step through them contiguously
    // (or both broadcast along them).
    if (last >= 0 && ca[last] === sa[o] * d && cb[last] === sb[o] * d) {
      dims[last] *= d;
      ca[last] = sa[o];
      cb[last] = sb[o];
    } else {
      dims.push(d);
      ca.push(sa[o]);
      cb.push(sb[o]);
    }
  }
  if (dims.length > 3) return null;
  while (dims.length < 3) {
    dims.unshift(1);
    ca.unshift(0);
    cb.unshift(0);
  }
  return { dims: dims as [number, number, number], sa: ca as [number, number, number], sb: cb as [number, number, number] };
}

export type PermutePlan =
  | { kind: 'copy' }
  /** out[b][c][r] = a[b][r][c] */
  | { kind: 'transpose2d'; batch: number; rows: number; cols: number }
  /** out[b][c][r][:] = a[b][r][c][:], contiguous blocks of `block` elements (block > 1) */
  | { kind: 'transposeBlocks'; batch: number; rows: number; cols: number; block: number }
  | { kind: 'general' };

/** Reduce a permutation to a copy or a batched 2-D transpose (of elements or blocks) when possible. */
export function planPermute(shape: readonly number[], perm: readonly number[]): PermutePlan {
  // Drop unit axes: they do not move any data.
  const keptAxes = perm.filter((p) => shape[p] !== 1);
  const sortedKept = [...keptAxes].sort((x, y) => x - y);
  const compact = keptAxes.map((p) => sortedKept.indexOf(p));
  const sizes = sortedKept.map((p) => shape[p]);
  // Merge runs of input axes that stay adjacent and in order in the output.
  const groups: { start: number; size: number }[] = [];
  for (let j = 0; j < compact.length; j++) {
    const g = groups[groups.length - 1];
    if (g && j > 0 && compact[j] === compact[j - 1] + 1) g.size *= sizes[compact[j]];
    else groups.push({ start: compact[j], size: sizes[compact[j]] });
  }
  if (groups.length <= 1) return { kind: 'copy' };
  const inOrder = [...groups].sort((x, y) => x.start - y.start);
  const gperm = groups.map((g) => inOrder.indexOf(g));
  const gshape = inOrder.map((g) => g.size);
  if (gperm.length === 2) return { kind: 'transpose2d', batch: 1, rows: gshape[0], cols: gshape[1] };
  if (gperm.length === 3 && gperm[0] === 0 && gperm[1] === 2 && gperm[2] === 1) {
    return { kind: 'transpose2d', batch: gshape[0], rows: gshape[1], cols: gshape[2] };
  }
  // Swapping two outer axes moves whole rows (NCHW ↔ CNHW in a convolution).
  if (gperm.length === 3 && gperm[0] === 1 && gperm[1] === 0 && gperm[2] === 2) {
    return { kind: 'transposeBlocks', batch: 1, rows: gshape[0], cols: gshape[1], block: gshape[2] };
  }
  if (gperm.length === 4 && gperm[0] === 0 && gperm[1] === 2 && gperm[2] === 1 && gperm[3] === 3) {
    return { kind: 'transposeBlocks', batch: gshape[0], rows: gshape[1], cols: gshape[2], block: gshape[3] };
  }
  return { kind: 'general' };
}
