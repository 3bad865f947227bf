// Packed, register-tiled f32 matmul: C = op(A)·op(B) [+ bias row] [relu], for all four transpose
// combinations. Operands are packed into zero-padded MR/NR panels so one 4x8 micro-kernel
// (8 f32x4 accumulators: 4x8 measured ~2x faster than 6x8 under V8, which spills beyond 12 xmm)
// serves every case without ever materializing a transpose.

const MR: i32 = 4;
const NR: i32 = 8;
// Blocking: an MC x KC block of A (128 KiB) stays in L2 while each KC x NR micro-panel of B
// (8 KiB) stays in L1; NC is wide enough that the MLP's layers need a single B block.
const KC: i32 = 256;
const MC: i32 = 128;
const NC: i32 = 1024;

let packA: usize = 0;
let packB: usize = 0;
let tile: usize = 0;

/** Bytes of packing scratch the matmul needs (part of the host-allocated scratch). */
export function matmulScratchBytes(): i32 {
  return (MC * KC + KC * NC + MR * NR) * 4;
}

export function setMatmulScratch(ptr: usize): void {
  packA = ptr;
  packB = ptr + <usize>(MC * KC) * 4;
  tile = packB + <usize>(KC * NC) * 4;
}

// 4x4 transpose of rows r0..r3 stored to dst, dst+stride, dst+2*stride, dst+3*stride.
@inline function transpose4Store(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, stride: usize): void {
  const t0 = f32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = f32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = f32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = f32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, f32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + stride, f32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, f32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, f32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

// Pack rows [i0, i0+mc) x cols [p0, p0+kc) of op(A) into MR-row panels: panel[p][r].
function packABlock(a: usize, m: i32, k: i32, transA: bool, i0: i32, mc: i32, p0: i32, kc: i32): void {
  let dst = packA;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const i = i0 + ir;
    if (transA) {
      // A stored [k, m]: MR consecutive rows of op(A) are contiguous for each p.
      let src = a + ((<usize>p0 * m + i) << 2);
      const ld = <usize>m << 2;
      if (rows == MR) {
        for (let p = 0; p < kc; p++) {
          v128.store(dst, v128.load(src));
          src += ld;
          dst += MR * 4;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let r = 0; r < MR; r++) store<f32>(dst + (r << 2), r < rows ? load<f32>(src + (r << 2)) : 0);
          src += ld;
          dst += MR * 4;
        }
      }
    } else {
      // A stored [m, k]: each row is contiguous in p; transpose 4x4 blocks into the panel.
      const ld = <usize>k << 2;
      const s0 = a + ((<usize>i * k + p0) << 2);
      if (rows == MR) {
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          const off = <usize>p << 2;
          transpose4Store(
            v128.load(s0 + off), v128.load(s0 + ld + off), v128.load(s0 + 2 * ld + off), v128.load(s0 + 3 * ld + off),
            dst + <usize>p * MR * 4, MR * 4,
          );
        }
        for (; p < kc; p++) {
          const off = <usize>p << 2;
          const d = dst + <usize>p * MR * 4;
          for (let r = 0; r < MR; r++) store<f32>(d + (r << 2), load<f32>(s0 + <usize>r * ld + off));
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const off = <usize>p << 2;
          const d = dst + <usize>p * MR * 4;
          for (let r = 0; r < MR; r++) store<f32>(d + (r << 2), r < rows ? load<f32>(s0 + <usize>r * ld + off) : 0);
        }
      }
      dst += <usize>kc * MR * 4;
    }
  }
}

// Pack rows [p0, p0+kc) x cols [j0, j0+nc) of op(B) into NR-column panels: panel[p][c].
function packBBlock(b: usize, n: i32, k: i32, transB: bool, p0: i32, kc: i32, j0: i32, nc: i32): void {
  let dst = packB;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const j = j0 + jr;
    if (!transB) {
      // B stored [k, n]: NR consecutive columns are contiguous for each p.
      let src = b + ((<usize>p0 * n + j) << 2);
      const ld = <usize>n << 2;
      if (cols == NR) {
        for (let p = 0; p < kc; p++) {
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
          src += ld;
          dst += NR * 4;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let c = 0; c < NR; c++) store<f32>(dst + (c << 2), c < cols ? load<f32>(src + (c << 2)) : 0);
          src += ld;
          dst += NR * 4;
        }
      }
    } else {
      // B stored [n, k]: each column of op(B) is contiguous in p; transpose 4x4 blocks.
      const ld = <usize>k << 2;
      const s0 = b + ((<usize>j * k + p0) << 2);
      if (cols == NR) {
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          const off = <usize>p << 2;
          const d = dst + <usize>p * NR * 4;
          transpose4Store(
            v128.load(s0 + off), v128.load(s0 + ld + off), v128.load(s0 + 2 * ld + off), v128.load(s0 + 3 * ld + off),
            d, NR * 4,
          );
          const s4 = s0 + 4 * ld;
          transpose4Store(
            v128.load(s4 + off), v128.load(s4 + ld + off), v128.load(s4 + 2 * ld + off), v128.load(s4 + 3 * ld + off),
            d + 16, NR * 4,
          );
        }
        for (; p < kc; p++) {
          const off = <usize>p << 2;
          const d = dst + <usize>p * NR * 4;
          for (let c = 0; c < NR; c++) store<f32>(d + (c << 2), load<f32>(s0 + <usize>c * ld + off));
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const off = <usize>p << 2;
          const d = dst + <usize>p * NR * 4;
          for (let c = 0; c < NR; c++) store<f32>(d + (c << 2), c < cols ? load<f32>(s0 + <usize>c * ld + off) : 0);
        }
      }
      dst += <usize>kc * NR * 4;
    }
  }
}

// Final value of one output vector: accumulate into C unless this is the first K block, then
// on the last K block add the bias and apply relu (relu as x > 0 ? x : 0, so NaN -> 0 like the
// reference).
@inline function finish(acc: v128, cp: usize, first: bool, last: bool, bp: usize, relu: bool): v128 {
  let v = first ? acc : f32x4.add(v128.load(cp), acc);
  if (last) {
    if (bp != 0) v = f32x4.add(v, v128.load(bp));
    if (relu) v = v128.and(v, f32x4.gt(v, f32x4.splat(0)));
  }
  return v;
}

// The 4x8 micro-kernel over one K block. Writes a full tile to C (ldc bytes per row); bias
// is the address of the tile's first bias element or 0.
@inline function kernelFull(kc: i32, ap: usize, bp: usize, cp: usize, ldc: usize, first: bool, last: bool, bias: usize, relu: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const a0 = v128.load32_splat(ap);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0));
    c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(ap, 4);
    c10 = f32x4.add(c10, f32x4.mul(a1, b0));
    c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(ap, 8);
    c20 = f32x4.add(c20, f32x4.mul(a2, b0));
    c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(ap, 12);
    c30 = f32x4.add(c30, f32x4.mul(a3, b0));
    c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    ap += MR * 4;
    bp += NR * 4;
  }
  const b1p: usize = bias == 0 ? 0 : bias + 16;
  let r = cp;
  v128.store(r, finish(c00, r, first, last, bias, relu));
  v128.store(r + 16, finish(c01, r + 16, first, last, b1p, relu));
  r += ldc;
  v128.store(r, finish(c10, r, first, last, bias, relu));
  v128.store(r + 16, finish(c11, r + 16, first, last, b1p, relu));
  r += ldc;
  v128.store(r, finish(c20, r, first, last, bias, relu));
  v128.store(r + 16, finish(c21, r + 16, first, last, b1p, relu));
  r += ldc;
  v128.store(r, finish(c30, r, first, last, bias, relu));
  v128.store(r + 16, finish(c31, r + 16, first, last, b1p, relu));
}

// Edge tile (rows < MR or cols < NR): compute the padded tile into scratch, then merge the
// valid part with the same semantics as finish().
function kernelEdge(kc: i32, ap: usize, bp: usize, cp: usize, ldc: usize, rows: i32, cols: i32, first: bool, last: bool, bias: usize, relu: bool): void {
  kernelFull(kc, ap, bp, tile, NR * 4, true, false, 0, false);
  for (let r = 0; r < rows; r++) {
    const src = tile + <usize>(r * NR) * 4;
    const dst = cp + <usize>r * ldc;
    for (let c = 0; c < cols; c++) {
      const o = <usize>c << 2;
      let v = load<f32>(src + o);
      if (!first) v += load<f32>(dst + o);
      if (last) {
        if (bias != 0) v += load<f32>(bias + o);
        if (relu) v = v > 0 ? v : 0;
      }
      store<f32>(dst + o, v);
    }
  }
}

/**
 * out[m,n] = op(A)·op(B) (+ bias[n]) (relu). A is [m,k] or [k,m] (transA), B is [k,n] or [n,k]
 * (transB). bias = 0 means none. out is fully overwritten.
 */
export function matmul(a: usize, b: usize, out: usize, m: i32, n: i32, k: i32, transA: i32, transB: i32, bias: usize, relu: i32): void {
  if (m <= 0 || n <= 0) return;
  const ldc = <usize>n << 2;
  if (k <= 0) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let v: f32 = bias != 0 ? load<f32>(bias + (<usize>j << 2)) : 0;
        if (relu) v = v > 0 ? v : 0;
        store<f32>(out + <usize>i * ldc + (<usize>j << 2), v);
      }
    }
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const first = pc == 0;
      const last = pc + kc >= k;
      packBBlock(b, n, k, transB != 0, pc, kc, jc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packABlock(a, m, k, transA != 0, ic, mc, pc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const bp = packB + <usize>jr * kc * 4;
          const bb: usize = bias == 0 ? 0 : bias + (<usize>(jc + jr) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const ap = packA + <usize>ir * kc * 4;
            const cp = out + <usize>(ic + ir) * ldc + (<usize>(jc + jr) << 2);
            if (rows == MR && cols == NR) kernelFull(kc, ap, bp, cp, ldc, first, last, bb, relu != 0);
            else kernelEdge(kc, ap, bp, cp, ldc, rows, cols, first, last, bb, relu != 0);
          }
        }
      }
    }
  }
}
