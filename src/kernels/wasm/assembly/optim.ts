// The optimizer kernel: one pass over a parameter range running a program of stages (format and
// reference interpreter in ../../optim-program.ts). Each block of updates is widened to f64 in
// scratch, every stage runs over the block, then the parameter is written once. All arithmetic
// is f64 (+, *, /, sqrt are correctly rounded, so SIMD and scalar lanes match the reference).

import { hi64, lo64, narrow } from './simd';

const OP_CLIP_VALUE = 1, OP_SCALE = 2, OP_ADD_DECAYED = 3, OP_MOMENTUM = 4, OP_ADAM = 5;
const WORDS: i32 = 10;
const BLOCK: i32 = 256;
const MAX_STAGES: i32 = 16;
const MAX_SLOTS: i32 = 16;

// Scratch (host-allocated): the f64 update block, the program, the slot pointer table.
let ublk: usize = 0;
let prog: usize = 0;
let slotTable: usize = 0;

export function optimScratchBytes(): i32 {
  return BLOCK * 8 + MAX_STAGES * WORDS * 8 + MAX_SLOTS * 4;
}

export function setOptimScratch(ptr: usize): void {
  ublk = ptr;
  prog = ptr + <usize>BLOCK * 8;
  slotTable = prog + <usize>(MAX_STAGES * WORDS) * 8;
}

/** Where the host writes the program (f64 words) before calling optimizerStep. */
export function optimProgram(): usize {
  return prog;
}

/** Where the host writes the slot base pointers (i32 byte offsets) for this call. */
export function optimSlots(): usize {
  return slotTable;
}

@inline function word(s: i32, k: i32): f64 {
  return load<f64>(prog + <usize>(s * WORDS + k) * 8);
}

@inline function slot(s: i32, k: i32): usize {
  return <usize>load<i32>(slotTable + (<usize><i32>word(s, k) << 2));
}

// Each stage over the block [0, len) of ublk; `off` is the block's first element (bytes of f32
// state are at base + off*4). len4 = len & ~3 elements go four at a time.

function clipBlock(len: i32, c: f64): bool {
  const vc = f64x2.splat(c), vn = f64x2.splat(-c);
  let hit = v128.splat<i64>(0);
  const len2 = len & ~1;
  let i = 0;
  for (; i < len2; i += 2) {
    const q = ublk + (<usize>i << 3);
    let x = v128.load(q);
    const gt = f64x2.gt(x, vc);
    const lt = f64x2.lt(x, vn);
    x = v128.bitselect(vc, x, gt);
    x = v128.bitselect(vn, x, lt);
    hit = v128.or(hit, v128.or(gt, lt));
    v128.store(q, x);
  }
  let any = v128.any_true(hit);
  for (; i < len; i++) {
    const q = ublk + (<usize>i << 3);
    const x = load<f64>(q);
    if (x > c) { store<f64>(q, c); any = true; } else if (x < -c) { store<f64>(q, -c); any = true; }
  }
  return any;
}

function scaleBlock(len: i32, s: f64): void {
  const vs = f64x2.splat(s);
  const len2 = len & ~1;
  let i = 0;
  for (; i < len2; i += 2) {
    const q = ublk + (<usize>i << 3);
    v128.store(q, f64x2.mul(v128.load(q), vs));
  }
  for (; i < len; i++) {
    const q = ublk + (<usize>i << 3);
    store<f64>(q, load<f64>(q) * s);
  }
}

function addDecayedBlock(len: i32, wd: f64, p: usize): void {
  const vw = f64x2.splat(wd);
  const len4 = len & ~3;
  let i = 0;
  for (; i < len4; i += 4) {
    const q = ublk + (<usize>i << 3);
    const pv = v128.load(p + (<usize>i << 2));
    v128.store(q, f64x2.add(v128.load(q), f64x2.mul(vw, lo64(pv))));
    v128.store(q, f64x2.add(v128.load(q, 16), f64x2.mul(vw, hi64(pv))), 16);
  }
  for (; i < len; i++) {
    const q = ublk + (<usize>i << 3);
    store<f64>(q, load<f64>(q) + wd * <f64>load<f32>(p + (<usize>i << 2)));
  }
}

function momentumBlock(len: i32, mu: f64, nesterov: bool, vel: usize, commit: bool): void {
  const vm = f64x2.splat(mu);
  const len4 = len & ~3;
  let i = 0;
  for (; i < len4; i += 4) {
    const q = ublk + (<usize>i << 3);
    const vp = vel + (<usize>i << 2);
    const old = v128.load(vp);
    const x0 = v128.load(q), x1 = v128.load(q, 16);
    const v0 = f64x2.add(f64x2.mul(vm, lo64(old)), x0);
    const v1 = f64x2.add(f64x2.mul(vm, hi64(old)), x1);
    if (commit) v128.store(vp, narrow(v0, v1));
    if (nesterov) {
      v128.store(q, f64x2.add(x0, f64x2.mul(vm, v0)));
      v128.store(q, f64x2.add(x1, f64x2.mul(vm, v1)), 16);
    } else {
      v128.store(q, v0);
      v128.store(q, v1, 16);
    }
  }
  for (; i < len; i++) {
    const q = ublk + (<usize>i << 3);
    const vp = vel + (<usize>i << 2);
    const x = load<f64>(q);
    const v = mu * <f64>load<f32>(vp) + x;
    if (commit) store<f32>(vp, <f32>v);
    store<f64>(q, nesterov ? x + mu * v : v);
  }
}

function adamBlock(len: i32, s: i32, mBuf: usize, vBuf: usize, commit: bool): void {
  const b1 = word(s, 3), c1 = word(s, 4), b2 = word(s, 5), c2 = word(s, 6), eps = word(s, 7), bc1 = word(s, 8), bc2 = word(s, 9);
  const vb1 = f64x2.splat(b1), vc1 = f64x2.splat(c1), vb2 = f64x2.splat(b2), vc2 = f64x2.splat(c2);
  const ve = f64x2.splat(eps), vbc1 = f64x2.splat(bc1), vbc2 = f64x2.splat(bc2);
  const len4 = len & ~3;
  let i = 0;
  for (; i < len4; i += 4) {
    const q = ublk + (<usize>i << 3);
    const mp = mBuf + (<usize>i << 2);
    const vp = vBuf + (<usize>i << 2);
    const mo = v128.load(mp), vo = v128.load(vp);
    const x0 = v128.load(q), x1 = v128.load(q, 16);
    const m0 = f64x2.add(f64x2.mul(vb1, lo64(mo)), f64x2.mul(vc1, x0));
    const m1 = f64x2.add(f64x2.mul(vb1, hi64(mo)), f64x2.mul(vc1, x1));
    const v0 = f64x2.add(f64x2.mul(vb2, lo64(vo)), f64x2.mul(f64x2.mul(vc2, x0), x0));
    const v1 = f64x2.add(f64x2.mul(vb2, hi64(vo)), f64x2.mul(f64x2.mul(vc2, x1), x1));
    if (commit) {
      v128.store(mp, narrow(m0, m1));
      v128.store(vp, narrow(v0, v1));
    }
    v128.store(q, f64x2.div(f64x2.div(m0, vbc1), f64x2.add(f64x2.sqrt(f64x2.div(v0, vbc2)), ve)));
    v128.store(q, f64x2.div(f64x2.div(m1, vbc1), f64x2.add(f64x2.sqrt(f64x2.div(v1, vbc2)), ve)), 16);
  }
  for (; i < len; i++) {
    const q = ublk + (<usize>i << 3);
    const mp = mBuf + (<usize>i << 2);
    const vp = vBuf + (<usize>i << 2);
    const x = load<f64>(q);
    const m = b1 * <f64>load<f32>(mp) + c1 * x;
    const v = b2 * <f64>load<f32>(vp) + c2 * x * x;
    if (commit) {
      store<f32>(mp, <f32>m);
      store<f32>(vp, <f32>v);
    }
    store<f64>(q, m / bc1 / (Math.sqrt(v / bc2) + eps));
  }
}

// Plain SGD (one scale stage, committed) in a single pass: the same f64 arithmetic as the
// block path — p = f32(f64(p) + f64(u) · s) — without the round trip through the f64 block.
function sgdStep(p: usize, u: usize, n: i32, s: f64): void {
  const vs = f64x2.splat(s);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const pp = p + (<usize>i << 2);
    const uv = v128.load(u + (<usize>i << 2));
    const pv = v128.load(pp);
    v128.store(pp, narrow(f64x2.add(lo64(pv), f64x2.mul(lo64(uv), vs)), f64x2.add(hi64(pv), f64x2.mul(hi64(uv), vs))));
  }
  for (; i < n; i++) {
    const pp = p + (<usize>i << 2);
    store<f32>(pp, <f32>(<f64>load<f32>(pp) + <f64>load<f32>(u + (<usize>i << 2)) * s));
  }
}

/**
 * Run the program's `stages` over n elements: param p (f32), update u (f32, read only), state
 * slots from the slot table. mode < 0: store state and p = f32(p + u), return the bitmask of
 * clipValue stages that clamped; mode = s >= 0: dry run of stages [0, s), return Σ u².
 */
export function optimizerStep(stages: i32, p: usize, u: usize, n: i32, mode: i32): f64 {
  const commit = mode < 0;
  if (commit && stages == 1 && <i32>word(0, 0) == OP_SCALE) {
    sgdStep(p, u, n, word(0, 3));
    return 0;
  }
  const upto = commit ? stages : mode;
  let flags: i32 = 0;
  let acc0 = f64x2.splat(0), acc1 = f64x2.splat(0);
  const n4 = n & ~3;
  for (let b0 = 0; b0 < n; b0 += BLOCK) {
    const len = min(BLOCK, n - b0);
    const len4 = len & ~3;
    const off = <usize>b0 << 2;
    let i = 0;
    for (; i < len4; i += 4) {
      const x = v128.load(u + off + (<usize>i << 2));
      const q = ublk + (<usize>i << 3);
      v128.store(q, lo64(x));
      v128.store(q, hi64(x), 16);
    }
    for (; i < len; i++) store<f64>(ublk + (<usize>i << 3), <f64>load<f32>(u + off + (<usize>i << 2)));
    for (let s = 0; s < upto; s++) {
      const op = <i32>word(s, 0);
      if (op == OP_CLIP_VALUE) {
        if (clipBlock(len, word(s, 3))) flags |= 1 << s;
      } else if (op == OP_SCALE) scaleBlock(len, word(s, 3));
      else if (op == OP_ADD_DECAYED) addDecayedBlock(len, word(s, 3), p + off);
      else if (op == OP_MOMENTUM) momentumBlock(len, word(s, 3), word(s, 4) != 0, slot(s, 1) + off, commit);
      else if (op == OP_ADAM) adamBlock(len, s, slot(s, 1) + off, slot(s, 2) + off, commit);
    }
    i = 0;
    if (commit) {
      for (; i < len4; i += 4) {
        const pp = p + off + (<usize>i << 2);
        const q = ublk + (<usize>i << 3);
        const pv = v128.load(pp);
        v128.store(pp, narrow(f64x2.add(lo64(pv), v128.load(q)), f64x2.add(hi64(pv), v128.load(q, 16))));
      }
      for (; i < len; i++) {
        const pp = p + off + (<usize>i << 2);
        store<f32>(pp, <f32>(<f64>load<f32>(pp) + load<f64>(ublk + (<usize>i << 3))));
      }
    } else {
      // Elements below n4 go to four interleaved partial sums; the n mod 4 tail is added last.
      for (; i < len4; i += 4) {
        const q = ublk + (<usize>i << 3);
        const x0 = v128.load(q), x1 = v128.load(q, 16);
        acc0 = f64x2.add(acc0, f64x2.mul(x0, x0));
        acc1 = f64x2.add(acc1, f64x2.mul(x1, x1));
      }
      // Only the last block has a tail (blocks are multiples of 4 long); its squares stay in
      // the scratch and are added after the partial sums.
      for (; i < len; i++) {
        const q = ublk + (<usize>i << 3);
        const x = load<f64>(q);
        store<f64>(q, x * x);
      }
    }
  }
  if (commit) return <f64>flags;
  const s = f64x2.add(acc0, acc1);
  let total = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  const rest = n - n4;
  const at = n4 % BLOCK;
  for (let i = 0; i < rest; i++) total += load<f64>(ublk + (<usize>(at + i) << 3));
  return total;
}
