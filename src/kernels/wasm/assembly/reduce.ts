// Reductions over a middle axis, row softmax / log-softmax, 2-D transposes and the finite check.
// Sums accumulate in f64 like the reference.

import { hi64, lo64 } from './simd';

const R_SUM = 0, R_MAX = 1, R_MEAN = 2;

// f64 accumulators for one chunk of the inner axis (reduce with inner > 1).
const CHUNK: i32 = 512;
// Each softmax row's exp(x - max) in f64, so softmax needs one exp per element; wider rows recompute.
const EXP_COLS: i32 = 4096;
// Both live in host-allocated scratch (static memory.data would ship as zero bytes in the binary).
let acc64: usize = 0;
let exps: usize = 0;

export function reduceScratchBytes(): i32 {
  return (CHUNK + EXP_COLS) * 8;
}

export function setReduceScratch(ptr: usize): void {
  acc64 = ptr;
  exps = ptr + <usize>CHUNK * 8;
}

// acc = v > acc || isNaN(v) ? v : acc, lane-wise (the reference's max, NaN-propagating).
@inline function maxStep(acc: v128, v: v128): v128 {
  return v128.bitselect(v, acc, v128.or(f32x4.gt(v, acc), f32x4.ne(v, v)));
}

@inline function maxScalar(acc: f32, v: f32): f32 {
  return v > acc || isNaN(v) ? v : acc;
}

// Sum of n contiguous f32 values in f64.
function sumRow(p: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const x = v128.load(p + (<usize>i << 2));
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(x));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(f32x4.shuffle(x, x, 2, 3, 2, 3)));
  }
  const s = f64x2.add(s0, s1);
  let t = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) t += <f64>load<f32>(p + (<usize>i << 2));
  return t;
}

function maxRow(p: usize, n: i32): f32 {
  let acc: f32 = -Infinity;
  let i = 0;
  if (n >= 4) {
    let v = f32x4.splat(-Infinity);
    for (; i + 4 <= n; i += 4) v = maxStep(v, v128.load(p + (<usize>i << 2)));
    acc = maxScalar(acc, f32x4.extract_lane(v, 0));
    acc = maxScalar(acc, f32x4.extract_lane(v, 1));
    acc = maxScalar(acc, f32x4.extract_lane(v, 2));
    acc = maxScalar(acc, f32x4.extract_lane(v, 3));
  }
  for (; i < n; i++) acc = maxScalar(acc, load<f32>(p + (<usize>i << 2)));
  return acc;
}

/** Reduce a viewed as [outer, axisLen, inner] over the middle axis into out[outer, inner]. */
export function reduce(op: i32, a: usize, out: usize, outer: i32, axisLen: i32, inner: i32): void {
  const rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const base = a + <usize>o * <usize>axisLen * rowBytes;
    const dst = out + <usize>o * rowBytes;
    if (inner == 1) {
      if (op == R_MAX) store<f32>(dst, maxRow(base, axisLen));
      else {
        const s = sumRow(base, axisLen);
        store<f32>(dst, <f32>(op == R_MEAN ? s / <f64>axisLen : s));
      }
      continue;
    }
    if (op == R_MAX) {
      let j = 0;
      for (; j + 4 <= inner; j += 4) {
        const off = <usize>j << 2;
        let v = f32x4.splat(-Infinity);
        for (let r = 0; r < axisLen; r++) v = maxStep(v, v128.load(base + <usize>r * rowBytes + off));
        v128.store(dst + off, v);
      }
      for (; j < inner; j++) {
        const off = <usize>j << 2;
        let v: f32 = -Infinity;
        for (let r = 0; r < axisLen; r++) v = maxScalar(v, load<f32>(base + <usize>r * rowBytes + off));
        store<f32>(dst + off, v);
      }
      continue;
    }
    for (let j0 = 0; j0 < inner; j0 += CHUNK) {
      const w = min(CHUNK, inner - j0);
      memory.fill(acc64, 0, <usize>w << 3);
      for (let r = 0; r < axisLen; r++) {
        const src = base + <usize>r * rowBytes + (<usize>j0 << 2);
        let j = 0;
        for (; j + 4 <= w; j += 4) {
          const x = v128.load(src + (<usize>j << 2));
          const ap = acc64 + (<usize>j << 3);
          v128.store(ap, f64x2.add(v128.load(ap), f64x2.promote_low_f32x4(x)));
          v128.store(ap, f64x2.add(v128.load(ap, 16), f64x2.promote_low_f32x4(f32x4.shuffle(x, x, 2, 3, 2, 3))), 16);
        }
        for (; j < w; j++) {
          const ap = acc64 + (<usize>j << 3);
          store<f64>(ap, load<f64>(ap) + <f64>load<f32>(src + (<usize>j << 2)));
        }
      }
      const d = dst + (<usize>j0 << 2);
      for (let j = 0; j < w; j++) {
        const s = load<f64>(acc64 + (<usize>j << 3));
        store<f32>(d + (<usize>j << 2), <f32>(op == R_MEAN ? s / <f64>axisLen : s));
      }
    }
  }
}

// Row max exactly as the reference: mx starts at -Infinity and only moves on x > mx.
function rowMaxNoNaN(p: usize, n: i32): f32 {
  let mx: f32 = -Infinity;
  let i = 0;
  if (n >= 4) {
    let v = f32x4.splat(-Infinity);
    for (; i + 4 <= n; i += 4) {
      const x = v128.load(p + (<usize>i << 2));
      v = v128.bitselect(x, v, f32x4.gt(x, v));
    }
    for (let l = 0; l < 4; l++) {
      const x = f32x4.extract_lane(v, <u8>0);
      if (x > mx) mx = x;
      v = f32x4.shuffle(v, v, 1, 2, 3, 0);
    }
  }
  for (; i < n; i++) {
    const x = load<f32>(p + (<usize>i << 2));
    if (x > mx) mx = x;
  }
  return mx;
}

/** Row softmax (log = 0) or log-softmax (log = 1), in f64 like the reference. */
export function softmax(a: usize, out: usize, rows: i32, cols: i32, log: i32): void {
  const keep = !log && cols <= EXP_COLS;
  for (let r = 0; r < rows; r++) {
    const src = a + ((<usize>r * cols) << 2);
    const dst = out + ((<usize>r * cols) << 2);
    const mx = <f64>rowMaxNoNaN(src, cols);
    let sum: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(<f64>load<f32>(src + (<usize>j << 2)) - mx);
      if (keep) store<f64>(exps + (<usize>j << 3), e);
      sum += e;
    }
    const l = mx + Math.log(sum);
    if (log) {
      for (let j = 0; j < cols; j++) {
        const o = <usize>j << 2;
        store<f32>(dst + o, <f32>(<f64>load<f32>(src + o) - l));
      }
    } else if (keep) {
      for (let j = 0; j < cols; j++) store<f32>(dst + (<usize>j << 2), <f32>(load<f64>(exps + (<usize>j << 3)) / sum));
    } else {
      for (let j = 0; j < cols; j++) {
        const o = <usize>j << 2;
        store<f32>(dst + o, <f32>(Math.exp(<f64>load<f32>(src + o) - mx) / sum));
      }
    }
  }
}

/** out[batch][c][r] = a[batch][r][c]: batched 2-D transpose, 4x4 SIMD blocks inside 32x32 tiles. */
export function transpose2d(a: usize, out: usize, batch: i32, rows: i32, cols: i32): void {
  const T = 32;
  const lda = <usize>cols << 2;
  const ldo = <usize>rows << 2;
  const plane = <usize>rows * <usize>cols * 4;
  for (let bi = 0; bi < batch; bi++) {
    const src = a + <usize>bi * plane;
    const dst = out + <usize>bi * plane;
    for (let r0 = 0; r0 < rows; r0 += T) {
      const r1 = min(rows, r0 + T);
      for (let c0 = 0; c0 < cols; c0 += T) {
        const c1 = min(cols, c0 + T);
        let r = r0;
        for (; r + 4 <= r1; r += 4) {
          let c = c0;
          for (; c + 4 <= c1; c += 4) {
            const s = src + <usize>r * lda + (<usize>c << 2);
            const x0 = v128.load(s), x1 = v128.load(s + lda), x2 = v128.load(s + 2 * lda), x3 = v128.load(s + 3 * lda);
            const t0 = f32x4.shuffle(x0, x1, 0, 4, 1, 5);
            const t1 = f32x4.shuffle(x0, x1, 2, 6, 3, 7);
            const t2 = f32x4.shuffle(x2, x3, 0, 4, 1, 5);
            const t3 = f32x4.shuffle(x2, x3, 2, 6, 3, 7);
            const d = dst + <usize>c * ldo + (<usize>r << 2);
            v128.store(d, f32x4.shuffle(t0, t2, 0, 1, 4, 5));
            v128.store(d + ldo, f32x4.shuffle(t0, t2, 2, 3, 6, 7));
            v128.store(d + 2 * ldo, f32x4.shuffle(t1, t3, 0, 1, 4, 5));
            v128.store(d + 3 * ldo, f32x4.shuffle(t1, t3, 2, 3, 6, 7));
          }
          for (; c < c1; c++) {
            for (let q = 0; q < 4; q++) {
              store<f32>(dst + <usize>c * ldo + (<usize>(r + q) << 2), load<f32>(src + <usize>(r + q) * lda + (<usize>c << 2)));
            }
          }
        }
        for (; r < r1; r++) {
          for (let c = c0; c < c1; c++) {
            store<f32>(dst + <usize>c * ldo + (<usize>r << 2), load<f32>(src + <usize>r * lda + (<usize>c << 2)));
          }
        }
      }
    }
  }
}

/** out[b][c][r][:] = a[b][r][c][:] for blocks of `block` f32 values. */
export function transposeBlocks(a: usize, out: usize, batch: i32, rows: i32, cols: i32, block: i32): void {
  const bytes = <usize>block << 2;
  const plane = <usize>rows * cols * bytes;
  for (let bi = 0; bi < batch; bi++) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        memory.copy(out + <usize>bi * plane + (<usize>c * rows + r) * bytes, a + <usize>bi * plane + (<usize>r * cols + c) * bytes, bytes);
      }
    }
  }
}

/** 1 if every one of the n f32 values is finite, else 0 (x − x is 0 exactly when x is finite). */
export function allFinite(a: usize, n: i32): i32 {
  let bad = v128.splat<i32>(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = a + (<usize>i << 2);
    const x0 = v128.load(p), x1 = v128.load(p, 16), x2 = v128.load(p, 32), x3 = v128.load(p, 48);
    const d = v128.or(v128.or(f32x4.ne(f32x4.sub(x0, x0), f32x4.splat(0)), f32x4.ne(f32x4.sub(x1, x1), f32x4.splat(0))),
      v128.or(f32x4.ne(f32x4.sub(x2, x2), f32x4.splat(0)), f32x4.ne(f32x4.sub(x3, x3), f32x4.splat(0))));
    bad = v128.or(bad, d);
    // Stop early once something is found (also bounds the work on a diverged run).
    if ((i & 1023) == 0 && v128.any_true(bad)) return 0;
  }
  if (v128.any_true(bad)) return 0;
  for (; i < n; i++) {
    const x = load<f32>(a + (<usize>i << 2));
    if (x - x != 0) return 0;
  }
  return 1;
}

/** Sums of |x| and x² of the last fingerprint call (its hash is the return value). */
export let fingerprintAbs: f64 = 0;
export let fingerprintSquares: f64 = 0;

/**
 * The fingerprint of n f32 values (backend.ts, the reference in reference.ts): four lanes, lane l
 * taking the elements i ≡ l (mod 4) in order, each with a hash h ← 31h + bits(x) and f64 sums of
 * |x| and x² (exact products), the lanes combined in order at the end.
 */
export function fingerprint(a: usize, n: i32): i32 {
  let h = i32x4.splat(0);
  let abs01 = f64x2.splat(0), abs23 = f64x2.splat(0), sq01 = f64x2.splat(0), sq23 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const x = v128.load(a + (<usize>i << 2));
    h = i32x4.add(i32x4.mul(h, i32x4.splat(31)), x);
    const lo = lo64(x);
    const hi = hi64(x);
    abs01 = f64x2.add(abs01, f64x2.abs(lo));
    abs23 = f64x2.add(abs23, f64x2.abs(hi));
    sq01 = f64x2.add(sq01, f64x2.mul(lo, lo));
    sq23 = f64x2.add(sq23, f64x2.mul(hi, hi));
  }
  let h0 = i32x4.extract_lane(h, 0), h1 = i32x4.extract_lane(h, 1), h2 = i32x4.extract_lane(h, 2), h3 = i32x4.extract_lane(h, 3);
  let a0 = f64x2.extract_lane(abs01, 0), a1 = f64x2.extract_lane(abs01, 1), a2 = f64x2.extract_lane(abs23, 0), a3 = f64x2.extract_lane(abs23, 1);
  let s0 = f64x2.extract_lane(sq01, 0), s1 = f64x2.extract_lane(sq01, 1), s2 = f64x2.extract_lane(sq23, 0), s3 = f64x2.extract_lane(sq23, 1);
  // The tail (fewer than four) into lanes 0, 1, 2 in order.
  for (let l = 0; i < n; i++, l++) {
    const x = <f64>load<f32>(a + (<usize>i << 2));
    const bits = load<i32>(a + (<usize>i << 2));
    if (l == 0) { h0 = h0 * 31 + bits; a0 += abs(x); s0 += x * x; }
    else if (l == 1) { h1 = h1 * 31 + bits; a1 += abs(x); s1 += x * x; }
    else { h2 = h2 * 31 + bits; a2 += abs(x); s2 += x * x; }
  }
  fingerprintAbs = a0 + a1 + (a2 + a3);
  fingerprintSquares = s0 + s1 + (s2 + s3);
  return ((h0 * 31 + h1) * 31 + h2) * 31 + h3;
}
