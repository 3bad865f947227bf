// Packed, register-blocked f32 matmul C = op(A)·op(B) for all four transpose combinations, in
// the Goto/BLIS loop order: a KC×NC block of op(B) packed into NR-column panels, an MC×KC block of
// op(A) into MR-row panels, and an MR×NR micro-kernel over them. Zero-padded panels let one
// kernel serve every tile; edge tiles go through a scratch tile.
//
// Micro-kernel, measured under V8 (Node 20, x64, 2-cycle FMA issue, 5-cycle FMA latency):
// - relaxed SIMD: 5×8 with f32x4.relaxed_madd (FMA). Ten accumulator chains cover the FMA latency;
//   rows 0-2 broadcast by shuffling one A load and rows 3-4 by load-splat, the one mix V8's
//   register allocator keeps within 15 xmm registers without spilling (~90% of peak, 1.6× the
//   4×8 mul+add kernel).
// - baseline SIMD: 4×8 with mul + add (wider tiles spill).
// With FMA each product is rounded once, so the two builds differ in the last bits; each build
// is deterministic, and a thread's share of the output never changes how an element is summed.
//
// Threads: matmul(…, part, parts) computes part `part` of `parts` of the output, split along its
// longer side in whole panels. Every element is computed by the same instructions in the same
// k order whatever the split, so results are bit-identical for any number of parts.

// A compile-time constant: asc builds this file twice, with and without relaxed SIMD.
const RELAXED: bool = ASC_FEATURE_RELAXED_SIMD;
const MR: i32 = RELAXED ? 5 : 4;
const NR: i32 = 8;
// Blocking: the K range splits into equal blocks of at most KC_MAX, so a KC×MR panel of A (10
// KiB) stays in L1 while it sweeps the packed KC×NC block of B.
const KC_MAX: i32 = 512;
const MC: i32 = MR * 26;
const NC: i32 = 1024;

let packA: usize = 0;
let packB: usize = 0;
let tile: usize = 0;

/** Bytes of packing scratch one matmul caller needs (part of the host-allocated scratch). */
export function matmulScratchBytes(): i32 {
  return (MC * KC_MAX + KC_MAX * NC + MR * NR) * 4;
}

export function setMatmulScratch(ptr: usize): void {
  packA = ptr;
  packB = ptr + <usize>(MC * KC_MAX) * 4;
  tile = packB + <usize>(KC_MAX * NC) * 4;
}

// 4×4 transpose of rows r0..r3, stored to dst + q·stride for q = 0..3.
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

// Pack rows [i0, i0+mc) × cols [p0, p0+kc) of op(A) into MR-row panels: panel[p][r].
function packABlock(a: usize, m: i32, k: i32, transA: bool, i0: i32, mc: i32, p0: i32, kc: i32): void {
  let dst = packA;
  const step = <usize>MR * 4;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const i = i0 + ir;
    if (transA) {
      // A stored [k, m]: the MR rows of op(A) are contiguous for each p.
      let src = a + ((<usize>p0 * m + i) << 2);
      const ld = <usize>m << 2;
      if (rows == MR) {
        for (let p = 0; p < kc; p++) {
          v128.store(dst, v128.load(src));
          if (MR == 5) store<f32>(dst, load<f32>(src, 16), 16);
          src += ld;
          dst += step;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let r = 0; r < MR; r++) store<f32>(dst + (r << 2), r < rows ? load<f32>(src + (r << 2)) : 0);
          src += ld;
          dst += step;
        }
      }
    } else {
      // A stored [m, k]: each row is contiguous in p; 4×4 blocks are transposed into the panel.
      const ld = <usize>k << 2;
      const s0 = a + ((<usize>i * k + p0) << 2);
      if (rows == MR) {
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          const off = <usize>p << 2;
          const d = dst + <usize>p * step;
          transpose4Store(v128.load(s0 + off), v128.load(s0 + ld + off), v128.load(s0 + 2 * ld + off), v128.load(s0 + 3 * ld + off), d, step);
          if (MR == 5) {
            const s4 = s0 + 4 * ld + off;
            store<f32>(d, load<f32>(s4), 16);
            store<f32>(d + step, load<f32>(s4, 4), 16);
            store<f32>(d + 2 * step, load<f32>(s4, 8), 16);
            store<f32>(d + 3 * step, load<f32>(s4, 12), 16);
          }
        }
        for (; p < kc; p++) {
          const off = <usize>p << 2;
          const d = dst + <usize>p * step;
          for (let r = 0; r < MR; r++) store<f32>(d + (r << 2), load<f32>(s0 + <usize>r * ld + off));
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const off = <usize>p << 2;
          const d = dst + <usize>p * step;
          for (let r = 0; r < MR; r++) store<f32>(d + (r << 2), r < rows ? load<f32>(s0 + <usize>r * ld + off) : 0);
        }
      }
      dst += <usize>kc * step;
    }
  }
}

// Pack rows [p0, p0+kc) × cols [j0, j0+nc) of op(B) into NR-column panels: panel[p][c].
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
      // B stored [n, k]: each column of op(B) is contiguous in p; 4×4 blocks are transposed.
      const ld = <usize>k << 2;
      const s0 = b + ((<usize>j * k + p0) << 2);
      if (cols == NR) {
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          const off = <usize>p << 2;
          const d = dst + <usize>p * NR * 4;
          transpose4Store(v128.load(s0 + off), v128.load(s0 + ld + off), v128.load(s0 + 2 * ld + off), v128.load(s0 + 3 * ld + off), d, NR * 4);
          const s4 = s0 + 4 * ld;
          transpose4Store(v128.load(s4 + off), v128.load(s4 + ld + off), v128.load(s4 + 2 * ld + off), v128.load(s4 + 3 * ld + off), d + 16, NR * 4);
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

// C tile ← acc (first K block) or C tile + acc.
@inline function put(cp: usize, acc: v128, first: bool): void {
  v128.store(cp, first ? acc : f32x4.add(v128.load(cp), acc));
}

// The relaxed-SIMD micro-kernel: a 5×8 tile over one K block (see the header for the layout).
@inline function kernel5x8(kc: i32, ap: usize, bp: usize, cp: usize, ldc: usize, first: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  const end = ap + <usize>kc * 20;
  while (ap < end) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const av = v128.load(ap);
    const a0 = i32x4.shuffle(av, av, 0, 0, 0, 0);
    c00 = f32x4.relaxed_madd(a0, b0, c00);
    c01 = f32x4.relaxed_madd(a0, b1, c01);
    const a1 = i32x4.shuffle(av, av, 1, 1, 1, 1);
    c10 = f32x4.relaxed_madd(a1, b0, c10);
    c11 = f32x4.relaxed_madd(a1, b1, c11);
    const a2 = i32x4.shuffle(av, av, 2, 2, 2, 2);
    c20 = f32x4.relaxed_madd(a2, b0, c20);
    c21 = f32x4.relaxed_madd(a2, b1, c21);
    const a3 = v128.load32_splat(ap, 12);
    c30 = f32x4.relaxed_madd(a3, b0, c30);
    c31 = f32x4.relaxed_madd(a3, b1, c31);
    const a4 = v128.load32_splat(ap, 16);
    c40 = f32x4.relaxed_madd(a4, b0, c40);
    c41 = f32x4.relaxed_madd(a4, b1, c41);
    ap += 20;
    bp += 32;
  }
  put(cp, c00, first);
  put(cp + 16, c01, first);
  put(cp + ldc, c10, first);
  put(cp + ldc + 16, c11, first);
  put(cp + 2 * ldc, c20, first);
  put(cp + 2 * ldc + 16, c21, first);
  put(cp + 3 * ldc, c30, first);
  put(cp + 3 * ldc + 16, c31, first);
  put(cp + 4 * ldc, c40, first);
  put(cp + 4 * ldc + 16, c41, first);
}

// The baseline-SIMD micro-kernel: a 4×8 tile with separate multiply and add.
@inline function kernel4x8(kc: i32, ap: usize, bp: usize, cp: usize, ldc: usize, first: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const end = ap + <usize>kc * 16;
  while (ap < end) {
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
    ap += 16;
    bp += 32;
  }
  put(cp, c00, first);
  put(cp + 16, c01, first);
  put(cp + ldc, c10, first);
  put(cp + ldc + 16, c11, first);
  put(cp + 2 * ldc, c20, first);
  put(cp + 2 * ldc + 16, c21, first);
  put(cp + 3 * ldc, c30, first);
  put(cp + 3 * ldc + 16, c31, first);
}

@inline function kernelFull(kc: i32, ap: usize, bp: usize, cp: usize, ldc: usize, first: bool): void {
  if (RELAXED) kernel5x8(kc, ap, bp, cp, ldc, first);
  else kernel4x8(kc, ap, bp, cp, ldc, first);
}

// Edge tile (rows < MR or cols < NR): the padded tile goes to scratch, then its valid part is
// stored or added with the same arithmetic as put().
function kernelEdge(kc: i32, ap: usize, bp: usize, cp: usize, ldc: usize, rows: i32, cols: i32, first: bool): void {
  kernelFull(kc, ap, bp, tile, NR * 4, true);
  for (let r = 0; r < rows; r++) {
    const src = tile + <usize>(r * NR) * 4;
    const dst = cp + <usize>r * ldc;
    for (let c = 0; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(dst + o, first ? load<f32>(src + o) : load<f32>(dst + o) + load<f32>(src + o));
    }
  }
}

/** Whether the output is split by columns (else by rows) among parts: along its longer side. */
@inline function splitColumns(m: i32, n: i32): bool {
  return <i64>((n + NR - 1) / NR) * NR >= <i64>((m + MR - 1) / MR) * MR;
}

/**
 * out[m,n] = op(A)·op(B), part `part` of `parts` (0 of 1 for the whole product). A is [m,k] or
 * [k,m] (transA), B is [k,n] or [n,k] (transB). The part's share of out is fully overwritten.
 */
export function matmul(a: usize, b: usize, out: usize, m: i32, n: i32, k: i32, transA: i32, transB: i32, part: i32, parts: i32): void {
  if (m <= 0 || n <= 0) return;
  const ldc = <usize>n << 2;
  const byCols = splitColumns(m, n);
  const units = byCols ? (n + NR - 1) / NR : (m + MR - 1) / MR;
  const u0 = <i32>(<i64>units * part / parts);
  const u1 = <i32>(<i64>units * (part + 1) / parts);
  if (u0 >= u1) return;
  const unit = byCols ? NR : MR;
  const lo = u0 * unit;
  const hi = min(u1 * unit, byCols ? n : m);
  const i0 = byCols ? 0 : lo, i1 = byCols ? m : hi;
  const j0 = byCols ? lo : 0, j1 = byCols ? hi : n;
  if (k <= 0) {
    for (let i = i0; i < i1; i++) memory.fill(out + <usize>i * ldc + (<usize>j0 << 2), 0, <usize>(j1 - j0) << 2);
    return;
  }
  // Equal K blocks: the split depends on k only, never on the part.
  const kBlocks = (k + KC_MAX - 1) / KC_MAX;
  const kcFull = (k + kBlocks - 1) / kBlocks;
  for (let jc = j0; jc < j1; jc += NC) {
    const nc = min(NC, j1 - jc);
    for (let pc = 0; pc < k; pc += kcFull) {
      const kc = min(kcFull, k - pc);
      const first = pc == 0;
      packBBlock(b, n, k, transB != 0, pc, kc, jc, nc);
      for (let ic = i0; ic < i1; ic += MC) {
        const mc = min(MC, i1 - ic);
        packABlock(a, m, k, transA != 0, ic, mc, pc, kc);
        // A panel outer, B panel inner: consecutive tiles are neighbours in C (a column of
        // tiles would touch a new page of C per row: measured 25% slower at 256×784×128).
        for (let ir = 0; ir < mc; ir += MR) {
          const rows = min(MR, mc - ir);
          const ap = packA + <usize>ir * kc * 4;
          for (let jr = 0; jr < nc; jr += NR) {
            const cols = min(NR, nc - jr);
            const bp = packB + <usize>jr * kc * 4;
            const cp = out + <usize>(ic + ir) * ldc + (<usize>(jc + jr) << 2);
            if (rows == MR && cols == NR) kernelFull(kc, ap, bp, cp, ldc, first);
            else kernelEdge(kc, ap, bp, cp, ldc, rows, cols, first);
          }
        }
      }
    }
  }
}
