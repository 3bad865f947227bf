// WGSL sources of the WebGPU kernels, one compute shader per kernel and op. Binding 0 holds the
// parameters as u32 words: [0] the invocation count, [1] a NaN's bits, [2] +∞'s bits (WGSL
// rejects NaN and ∞ in constant expressions), then each kernel's own. Every output element is
// written by one invocation that reads its inputs in a fixed order, and the reductions to a
// small result run in one workgroup combining in a fixed tree: no atomics, so a device gives the
// same bits on every run.
import type { BinaryOp, NoiseKind, UnaryOp } from '../backend.ts';
import { STAGE } from '../optim-program.ts';

const { clipValue: STAGE_CLIP, scale: STAGE_SCALE, addDecayed: STAGE_DECAY, momentum: STAGE_MOMENTUM, adam: STAGE_ADAM } = STAGE;

/** Workgroup size of the one-invocation-per-element kernels. */
export const WG = 256;
/** Tile edge of the matmul (TILE×TILE invocations share TILE×TILE blocks of A and B). */
export const TILE = 16;
/** Highest rank the broadcasting and transpose kernels index (more falls back to WASM). */
export const MAX_RANK = 6;

const HEAD = /* wgsl */ `
@group(0) @binding(0) var<storage, read> p: array<u32>;
fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn nan_() -> f32 { return bitcast<f32>(p[1]); }
fn inf_() -> f32 { return bitcast<f32>(p[2]); }
fn pf(i: u32) -> f32 { return bitcast<f32>(p[i]); }
// exp with its overflow and underflow stated, not left to the device.
fn exp_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  if (x > 88.72283) { return inf_(); }
  if (x < -103.97208) { return 0.0; }
  return exp(x);
}
// e^x − 1, accurate near 0 (Kahan's trick: the rounding of e^x cancels out).
fn expm1_(x: f32) -> f32 {
  let u = exp_(x);
  if (u == 1.0) { return x; }
  let um = u - 1.0;
  if (um == -1.0) { return -1.0; }
  return um * x / log(u);
}
// log(1 + u) for u >= 0, accurate for small u (the rounding of 1 + u cancels out).
fn log1p_(u: f32) -> f32 {
  let w = 1.0 + u;
  if (w == 1.0) { return u; }
  return log(w) * (u / (w - 1.0));
}
`;

const ELEMENT = `let i = g.x + g.y * nw.x * ${WG}u;\n  if (i >= p[0]) { return; }`;
const ENTRY = `@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u)`;

const GELU_U = '0.7978845608 * (x + 0.044715 * x * x * x)';
// Each body computes f(x) as the reference does in f64, rearranged where f32 would cancel:
// 1 + tanh(u) = 2σ(2u), 1 − tanh² = 4σ(1 − σ).
const UNARY: Record<UnaryOp, string> = {
  neg: 'return -x;',
  exp: 'return exp_(x);',
  log: 'if (isnan_(x) || x < 0.0) { return nan_(); } if (x == 0.0) { return -inf_(); } if (x == inf_()) { return x; } return log(x);',
  tanh: 'if (isnan_(x)) { return x; } if (abs(x) > 10.0) { return sign(x); } let em = expm1_(-2.0 * abs(x)); let t = -em / (2.0 + em); return select(-t, t, x >= 0.0);',
  sigmoid: 'if (isnan_(x)) { return x; } let e = exp_(-abs(x)); return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);',
  relu: 'return select(0.0, x, x > 0.0);',
  softplus: 'if (isnan_(x)) { return x; } if (x > 0.0) { return x + log1p_(exp_(-x)); } return log1p_(exp_(x));',
  sqrt: 'if (isnan_(x) || x < 0.0) { return nan_(); } if (x == 0.0 || x == inf_()) { return x; } return sqrt(x);',
  square: 'return x * x;',
  abs: 'return bitcast<f32>(bitcast<u32>(x) & 0x7fffffffu);',
  sign: 'return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0);',
  step: 'return select(0.0, 1.0, x > 0.0);',
  gelu: `if (isnan_(x)) { return x; } let u = ${GELU_U}; return x / (1.0 + exp_(-2.0 * u));`,
  geluGrad: `if (isnan_(x)) { return x; } let u = ${GELU_U}; let e = exp_(-2.0 * abs(u)); let d = 1.0 + e;
  let s = select(e / d, 1.0 / d, u >= 0.0);
  return s + 2.0 * x * (e / (d * d)) * 0.7978845608 * (1.0 + 0.134145 * x * x);`,
  reciprocal: 'return 1.0 / x;',
  sin: 'if (isnan_(x) || abs(x) == inf_()) { return nan_(); } return sin(x);',
  cos: 'if (isnan_(x) || abs(x) == inf_()) { return nan_(); } return cos(x);',
};

export function unaryShader(op: UnaryOp): string {
  return `${HEAD}
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
fn f(x: f32) -> f32 { ${UNARY[op]} }
${ENTRY} {
  ${ELEMENT}
  out[i] = f(a[i]);
}`;
}

// pow as JavaScript's Math.pow defines the special cases; WGSL's pow only covers x > 0.
const POW = /* wgsl */ `
fn isint(y: f32) -> bool { return abs(y) < 16777216.0 && y == trunc(y); }
fn isodd(y: f32) -> bool { return isint(y) && abs(y) < 16777216.0 && (i32(y) & 1) == 1; }
fn pow_(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (isnan_(x) || isnan_(y)) { return nan_(); }
  let ax = abs(x);
  if (abs(y) == inf_()) {
    if (ax == 1.0) { return nan_(); }
    return select(0.0, inf_(), (ax > 1.0) == (y > 0.0));
  }
  if (x < 0.0 && !isint(y)) { return nan_(); }
  var r: f32;
  if (ax == inf_()) { r = select(0.0, inf_(), y > 0.0); }
  else if (ax == 0.0) { r = select(inf_(), 0.0, y > 0.0); }
  else { r = exp2(y * log2(ax)); }
  // The sign: negative bases (and −0) with odd integer exponents.
  if (bitcast<u32>(x) >= 0x80000000u && isodd(y)) { return -r; }
  return r;
}
`;

const BINARY: Record<BinaryOp, string> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  // The reference's branches: ties and NaN in b take b.
  max: 'select(b, a, a >= b)',
  min: 'select(b, a, a <= b)',
  pow: 'pow_(a, b)',
  gt: 'select(0.0, 1.0, a > b)',
};

/** Broadcasting binary op; params [3..] out shape, then a's and b's strides (0 on broadcast axes), MAX_RANK each. */
export function binaryShader(op: BinaryOp): string {
  const R = MAX_RANK;
  return `${HEAD}${op === 'pow' ? POW : ''}
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
fn f(a: f32, b: f32) -> f32 { return ${BINARY[op]}; }
${ENTRY} {
  ${ELEMENT}
  var rest = i;
  var ia = 0u;
  var ib = 0u;
  for (var d = ${R - 1}; d >= 0; d--) {
    let len = p[3u + u32(d)];
    let idx = rest % len;
    rest = rest / len;
    ia += idx * p[${3 + R}u + u32(d)];
    ib += idx * p[${3 + 2 * R}u + u32(d)];
  }
  out[i] = f(A[ia], B[ib]);
}`;
}

/** Permuted copy; params [3..] out shape, then the input stride of each output axis, MAX_RANK each. */
export function transposeShader(): string {
  const R = MAX_RANK;
  return `${HEAD}
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${ENTRY} {
  ${ELEMENT}
  var rest = i;
  var src = 0u;
  for (var d = ${R - 1}; d >= 0; d--) {
    let len = p[3u + u32(d)];
    src += (rest % len) * p[${3 + R}u + u32(d)];
    rest = rest / len;
  }
  out[i] = a[src];
}`;
}

/** params [3] alpha rounded to f32, [4] the rest of alpha (so alpha·x rounds once, as in f64), [5] grad. */
export function leakyReluShader(): string {
  return `${HEAD}
// x·(hi + lo) rounded once: Dekker's exact product of x·hi, then the small terms, then one rounding.
fn split(a: f32) -> vec2f { let c = 4097.0 * a; let h = c - (c - a); return vec2f(h, a - h); }
fn mul_(x: f32, hi: f32, lo: f32) -> f32 {
  let p = x * hi;
  if (abs(p) > 1e30 || abs(p) < 1e-30) { return p; }
  let xs = split(x); let hs = split(hi);
  let err = ((xs.x * hs.x - p) + xs.x * hs.y + xs.y * hs.x) + xs.y * hs.y;
  return p + (err + x * lo);
}
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${ENTRY} {
  ${ELEMENT}
  let x = a[i];
  if (p[5] == 1u) { out[i] = select(pf(3u), 1.0, x > 0.0); }
  else { out[i] = select(mul_(x, pf(3u), pf(4u)), x, x > 0.0); }
}`;
}

/** out[m, n] = op(A) · op(B), tiled in workgroup memory; params [3..7] m, n, k, transA, transB. */
export function matmulShader(): string {
  const T = TILE;
  return `${HEAD}
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
var<workgroup> ta: array<array<f32, ${T}>, ${T}>;
var<workgroup> tb: array<array<f32, ${T}>, ${T}>;
@compute @workgroup_size(${T}, ${T}) fn main(@builtin(local_invocation_id) l: vec3u, @builtin(workgroup_id) w: vec3u) {
  let m = p[3]; let n = p[4]; let k = p[5];
  let row = w.y * ${T}u + l.y;
  let col = w.x * ${T}u + l.x;
  var acc = 0.0;
  for (var t = 0u; t < k; t += ${T}u) {
    let ak = t + l.x;
    var av = 0.0;
    if (row < m && ak < k) { if (p[6] == 1u) { av = A[ak * m + row]; } else { av = A[row * k + ak]; } }
    ta[l.y][l.x] = av;
    let bk = t + l.y;
    var bv = 0.0;
    if (col < n && bk < k) { if (p[7] == 1u) { bv = B[col * k + bk]; } else { bv = B[bk * n + col]; } }
    tb[l.y][l.x] = bv;
    workgroupBarrier();
    let last = min(${T}u, k - t);
    for (var q = 0u; q < last; q++) { acc = acc + ta[l.y][q] * tb[q][l.x]; }
    workgroupBarrier();
  }
  if (row < m && col < n) { C[row * n + col] = acc; }
}`;
}

// Knuth's two-sum: a + b exactly as the rounded sum and its error (both f32).
const TWO_SUM_EXACT = /* wgsl */ `
fn twoSum(a: f32, b: f32) -> vec2f { let s = a + b; let bp = s - a; return vec2f(s, (a - (s - bp)) + (b - bp)); }
`;

// Compensated accumulation: the f32 sum of a row comes out as the reference's f64 sum rounded, to
// within an ulp or so, and always in index order (each term's rounding error is carried in c).
const TWO_SUM = /* wgsl */ `${TWO_SUM_EXACT}
struct Acc { s: f32, c: f32 }
fn add_(acc: Acc, v: f32) -> Acc {
  let r = twoSum(acc.s, v);
  return Acc(r.x, acc.c + r.y);
}
fn total(acc: Acc) -> f32 {
  // Past ±∞ the correction is NaN (∞ − ∞); the sum itself is the answer.
  if (isnan_(acc.s) || abs(acc.s) == inf_()) { return acc.s; }
  return acc.s + acc.c;
}
`;

/** a as [outer, axisLen, inner] reduced over the middle axis; params [3..5] outer, axisLen, inner. */
export function reduceShader(op: 'sum' | 'max' | 'mean'): string {
  const body =
    op === 'max'
      ? `var acc = -inf_();
  for (var r = 0u; r < len; r++) { let v = a[base + r * inner]; if (v > acc || isnan_(v)) { acc = v; } }
  out[i] = acc;`
      : `var acc = Acc(0.0, 0.0);
  for (var r = 0u; r < len; r++) { acc = add_(acc, a[base + r * inner]); }
  out[i] = ${op === 'mean' ? 'total(acc) / f32(len)' : 'total(acc)'};`;
  return `${HEAD}${TWO_SUM}
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${ENTRY} {
  ${ELEMENT}
  let len = p[4]; let inner = p[5];
  let base = (i / inner) * len * inner + i % inner;
  ${body}
}`;
}

/** Softmax or log-softmax of each row; one invocation per row; params [3] cols. */
export function softmaxShader(log: boolean): string {
  return `${HEAD}${TWO_SUM}
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${ENTRY} {
  ${ELEMENT}
  let cols = p[3];
  let off = i * cols;
  var mx = -inf_();
  for (var j = 0u; j < cols; j++) { if (a[off + j] > mx) { mx = a[off + j]; } }
  var acc = Acc(0.0, 0.0);
  for (var j = 0u; j < cols; j++) { acc = add_(acc, exp_(a[off + j] - mx)); }
  let sum = total(acc);
  ${
    log
      ? 'let ls = log(sum);\n  for (var j = 0u; j < cols; j++) { out[off + j] = (a[off + j] - mx) - ls; }'
      : 'for (var j = 0u; j < cols; j++) { out[off + j] = exp_(a[off + j] - mx) / sum; }'
  }
}`;
}

// The window geometry as params [3..14]: n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow.
const GEOMETRY = /* wgsl */ `
fn gi(k: u32) -> i32 { return i32(p[3u + k]); }
`;

/** cols[(c·kh + i)·kw + j, (b·oh + y)·ow + x] = x[b, c, y·sh − ph + i, x·sw − pw + j], 0 outside. */
export function im2colShader(): string {
  return `${HEAD}${GEOMETRY}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> cols: array<f32>;
${ENTRY} {
  ${ELEMENT}
  let c = gi(1); let h = gi(2); let w = gi(3); let kh = gi(4); let kw = gi(5);
  let oh = gi(10); let ow = gi(11);
  let width = u32(gi(0) * oh * ow);
  let row = i32(i / width); let col = i32(i % width);
  let ch = row / (kh * kw); let ki = (row / kw) % kh; let kj = row % kw;
  let b = col / (oh * ow); let y = (col / ow) % oh; let xx = col % ow;
  let iy = y * gi(6) - gi(8) + ki;
  let ix = xx * gi(7) - gi(9) + kj;
  var v = 0.0;
  if (iy >= 0 && iy < h && ix >= 0 && ix < w) { v = x[u32(((b * c + ch) * h + iy) * w + ix)]; }
  cols[i] = v;
}`;
}

/** The adjoint of im2col: each input element sums the column entries read from it, window offsets in order. */
export function col2imShader(): string {
  return `${HEAD}${GEOMETRY}
@group(0) @binding(1) var<storage, read> cols: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
${ENTRY} {
  ${ELEMENT}
  let c = gi(1); let h = gi(2); let w = gi(3); let kh = gi(4); let kw = gi(5);
  let sh = gi(6); let sw = gi(7); let ph = gi(8); let pw = gi(9); let oh = gi(10); let ow = gi(11);
  let e = i32(i);
  let ix = e % w; let iy = (e / w) % h; let ch = (e / (w * h)) % c; let b = e / (w * h * c);
  let width = gi(0) * oh * ow;
  var acc = 0.0;
  for (var ki = 0; ki < kh; ki++) {
    let ty = iy + ph - ki;
    if (ty < 0 || ty % sh != 0 || ty / sh >= oh) { continue; }
    for (var kj = 0; kj < kw; kj++) {
      let tx = ix + pw - kj;
      if (tx < 0 || tx % sw != 0 || tx / sw >= ow) { continue; }
      acc = acc + cols[u32(((ch * kh + ki) * kw + kj) * width + (b * oh + ty / sh) * ow + tx / sw)];
    }
  }
  dx[i] = acc;
}`;
}

/** Window maxima and the winner's offset in its plane (first maximum, NaN wins; −1 with no winner). */
export function maxPoolShader(): string {
  return `${HEAD}${GEOMETRY}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> arg: array<f32>;
${ENTRY} {
  ${ELEMENT}
  let h = gi(2); let w = gi(3); let kh = gi(4); let kw = gi(5);
  let oh = gi(10); let ow = gi(11);
  let e = i32(i);
  let xx = e % ow; let y = (e / ow) % oh; let plane = e / (ow * oh);
  let src = plane * h * w;
  var best = -inf_();
  var at = -1;
  for (var ki = 0; ki < kh; ki++) {
    let iy = y * gi(6) - gi(8) + ki;
    if (iy < 0 || iy >= h) { continue; }
    for (var kj = 0; kj < kw; kj++) {
      let ix = xx * gi(7) - gi(9) + kj;
      if (ix < 0 || ix >= w) { continue; }
      let v = x[u32(src + iy * w + ix)];
      if (v > best || at < 0 || isnan_(v)) { best = v; at = iy * w + ix; }
    }
  }
  out[i] = best;
  arg[i] = f32(at);
}`;
}

/** dx of max pooling: each input element sums the cotangents of the windows it won, in output order. */
export function maxPoolBackwardShader(): string {
  return `${HEAD}${GEOMETRY}
@group(0) @binding(1) var<storage, read> gout: array<f32>;
@group(0) @binding(2) var<storage, read> arg: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
${ENTRY} {
  ${ELEMENT}
  let h = gi(2); let w = gi(3); let kh = gi(4); let kw = gi(5);
  let sh = gi(6); let sw = gi(7); let ph = gi(8); let pw = gi(9); let oh = gi(10); let ow = gi(11);
  let e = i32(i);
  let off = e % (h * w); let ix = off % w; let iy = off / w; let plane = e / (h * w);
  // Windows that can hold (iy, ix): y·sh − ph ≤ iy ≤ y·sh − ph + kh − 1.
  let y0 = max(0, (iy + ph - kh + sh) / sh); let y1 = min(oh - 1, (iy + ph) / sh);
  let x0 = max(0, (ix + pw - kw + sw) / sw); let x1 = min(ow - 1, (ix + pw) / sw);
  var acc = 0.0;
  for (var y = y0; y <= y1; y++) {
    for (var xx = x0; xx <= x1; xx++) {
      let k = u32((plane * oh + y) * ow + xx);
      if (arg[k] == f32(off)) { acc = acc + gout[k]; }
    }
  }
  dx[i] = acc;
}`;
}

/** avgPool2d: each window's sum in (row, column) order, compensated, over kh·kw (padding counts as zeros). */
export function avgPoolShader(): string {
  return `${HEAD}${GEOMETRY}${TWO_SUM}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${ENTRY} {
  ${ELEMENT}
  let h = gi(2); let w = gi(3); let kh = gi(4); let kw = gi(5);
  let oh = gi(10); let ow = gi(11);
  let e = i32(i);
  let xx = e % ow; let y = (e / ow) % oh; let plane = e / (ow * oh);
  let src = plane * h * w;
  var acc = Acc(0.0, 0.0);
  for (var ki = 0; ki < kh; ki++) {
    let iy = y * gi(6) - gi(8) + ki;
    if (iy < 0 || iy >= h) { continue; }
    for (var kj = 0; kj < kw; kj++) {
      let ix = xx * gi(7) - gi(9) + kj;
      if (ix >= 0 && ix < w) { acc = add_(acc, x[u32(src + iy * w + ix)]); }
    }
  }
  out[i] = total(acc) / f32(kh * kw);
}`;
}

/** dx of average pooling: each input element sums the cotangents of the windows that hold it, in output order, over kh·kw. */
export function avgPoolBackwardShader(): string {
  return `${HEAD}${GEOMETRY}${TWO_SUM}
@group(0) @binding(1) var<storage, read> gout: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
${ENTRY} {
  ${ELEMENT}
  let h = gi(2); let w = gi(3); let kh = gi(4); let kw = gi(5);
  let sh = gi(6); let sw = gi(7); let ph = gi(8); let pw = gi(9); let oh = gi(10); let ow = gi(11);
  let e = i32(i);
  let off = e % (h * w); let ix = off % w; let iy = off / w; let plane = e / (h * w);
  // The windows that hold (iy, ix): y·sh − ph ≤ iy ≤ y·sh − ph + kh − 1.
  let y0 = max(0, (iy + ph - kh + sh) / sh); let y1 = min(oh - 1, (iy + ph) / sh);
  let x0 = max(0, (ix + pw - kw + sw) / sw); let x1 = min(ow - 1, (ix + pw) / sw);
  var acc = Acc(0.0, 0.0);
  for (var y = y0; y <= y1; y++) {
    for (var xx = x0; xx <= x1; xx++) { acc = add_(acc, gout[u32((plane * oh + y) * ow + xx)]); }
  }
  dx[i] = total(acc) / f32(kh * kw);
}`;
}

// The counter-based noise of kernels/noise.ts in WGSL. The hash and the words are u32 work, bit
// for bit the reference's; what the words become (uniforms, logarithms, Box–Muller, σ) is f32
// with polynomials of our own in + − × ÷ √ (WGSL leaves exp/log/sin accuracy to the device), so
// the values are within the tolerances docs/webgpu.md states and the same on every run of a device.
// Integers go to f32 as two exactly representable parts and one correctly rounded sum, since
// WGSL lets a device round a plain u32 → f32 conversion either way.
const NOISE = /* wgsl */ `
fn hash32(x0: u32) -> u32 {
  var x = x0;
  x ^= x >> 16u;
  x *= 0x21f0aaadu;
  x ^= x >> 15u;
  x *= 0x735a2d97u;
  x ^= x >> 15u;
  return x;
}
fn wordA(j: u32, k0: u32, k1: u32) -> u32 { return hash32(hash32(j ^ k0) + k1); }
fn wordB(j: u32, k0: u32, k1: u32) -> u32 { return hash32(hash32(j ^ k1 ^ 0x9e3779b9u) + k0); }
fn u2f(x: u32) -> f32 { return f32(x & 0xffffff00u) + f32(x & 0xffu); }
// ln 2 in two parts (fdlibm's expf): k·LN2_HI is exact for |k| < 256.
const LN2_HI = 6.9314575195e-01;
const LN2_LO = 1.4286067653e-06;
// 2 atanh(s) = ln((1 + s)/(1 − s)) for |s| ≤ 1/3, its series to s¹⁷.
fn atanh2(s: f32) -> f32 {
  let w = s * s;
  return 2.0 * s * (1.0 + w * (0.33333334 + w * (0.2 + w * (0.14285715 + w * (0.11111111 + w * (0.09090909
    + w * (0.07692308 + w * (0.06666667 + w * 0.05882353))))))));
}
// ln((a + ½)/2³²): below ½ from m·2^e (m in (√½, √2]), above it as ln(1 − v) with v = (~a + ½)/2³²
// exact to an ulp, so that ln u keeps its relative accuracy next to 1 too.
fn lnUniform(a: u32) -> f32 {
  if (a >= 0x80000000u) {
    let v = ldexp(u2f(2u * ~a + 1u), -33);
    return atanh2(-v / (2.0 - v));
  }
  let x = 2u * a + 1u;
  var e = 31 - i32(countLeadingZeros(x));
  var m = ldexp(u2f(x), -e);
  if (m > 1.4142135) { m = m * 0.5; e = e + 1; }
  let k = f32(e - 33);
  return (k * LN2_HI + atanh2((m - 1.0) / (m + 1.0))) + k * LN2_LO;
}
// e^x for x ≤ 0: 2^k·e^r, |r| ≤ ln2/2, Taylor to r⁷; 0 below −87 (where f32 turns subnormal).
fn expNeg(x: f32) -> f32 {
  if (x < -87.0) { return 0.0; }
  let k = floor(x * 1.442695 + 0.5);
  let r = (x - k * LN2_HI) - k * LN2_LO;
  let poly = 1.0 + r * (1.0 + r * (0.5 + r * (0.16666667 + r * (0.041666668 + r * (0.008333334 + r * (0.0013888889 + r * 0.0001984127))))));
  return ldexp(poly, i32(k));
}
// The Gaussian draw i: r·cos θ (even i) or r·sin θ (odd i) of Box–Muller pair i/2, θ by octant as the reference.
fn gaussianAt(i: u32, k0: u32, k1: u32) -> f32 {
  let j = i >> 1u;
  let r = sqrt(-2.0 * lnUniform(wordA(j, k0, k1)));
  let b = wordB(j, k0, k1);
  let o = b >> 29u;
  var q = b & 0x1fffffffu;
  if ((o & 1u) == 1u) { q = 0x20000000u - q; }
  let phi = ldexp(u2f(q), -29) * 0.78539816;
  let w = phi * phi;
  let sp = phi * (1.0 + w * (-0.16666667 + w * (0.008333334 + w * (-0.0001984127 + w * (0.0000027557319 + w * -2.5052108e-8)))));
  let cp = 1.0 + w * (-0.5 + w * (0.041666668 + w * (-0.0013888889 + w * (0.0000248015873 + w * (-2.7557319e-7 + w * 2.0876757e-9)))));
  let odd = (o & 1u) == 1u;
  let s = select(sp, cp, odd);
  let c = select(cp, sp, odd);
  let quad = o >> 1u;
  var sn: f32; var cs: f32;
  if (quad == 0u) { sn = s; cs = c; } else if (quad == 1u) { sn = c; cs = -s; } else if (quad == 2u) { sn = -s; cs = -c; } else { sn = -c; cs = s; }
  return r * select(cs, sn, (i & 1u) == 1u);
}
fn rademacherAt(i: u32, k0: u32, k1: u32) -> f32 { return select(-1.0, 1.0, (wordA(i, k0, k1) >> 31u) == 1u); }
fn logisticAt(i: u32, k0: u32, k1: u32) -> f32 {
  let w = wordA(i, k0, k1);
  return lnUniform(w) - lnUniform(~w);
}
// Whether uniform draw i, u = (w + ½)/2³², is below s in [0, 1], decided exactly: h = (w >> 8)/2²⁴
// is exact, and where s − h is below 2⁻²⁴ it is exact too (Sterbenz), so the low 8 bits decide.
fn below(w: u32, s: f32) -> bool {
  let hi = ldexp(f32(w >> 8u), -24);
  let d = s - hi;
  if (d <= 0.0) { return false; }
  if (d >= 5.9604645e-8) { return true; }
  return ldexp(f32(w & 0xffu) + 0.5, -32) < d;
}
`;

const NOISE_DRAW: Record<NoiseKind, string> = { gaussian: 'gaussianAt', rademacher: 'rademacherAt', logistic: 'logisticAt' };

/** out[k] += scale · s[k] · z(key, offset + k); params [3..7] k0, k1, offset, scale's f32 bits, whether s is bound. */
export function addNoiseShader(kind: NoiseKind): string {
  return `${HEAD}${NOISE}
@group(0) @binding(1) var<storage, read> es: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${ENTRY} {
  ${ELEMENT}
  var coef = pf(6u);
  if (p[7] == 1u) { coef = coef * es[i]; }
  out[i] = out[i] + coef * ${NOISE_DRAW[kind]}(p[5] + i, p[3], p[4]);
}`;
}

// σ(x) = 1/(1 + e) or e/(1 + e) with e = e^−|x|, its complement the other one, and σ(1 − σ) = e/(1 + e)²:
// each formed without 1 − σ, which f32 would cancel.
const SIGMA = /* wgsl */ `
struct Sigma { e: f32, s: f32, c: f32, slope: f32 }
fn sigma(x: f32) -> Sigma {
  let e = expNeg(-abs(x));
  let d = 1.0 + e;
  let pos = x >= 0.0;
  return Sigma(e, select(e, 1.0, pos) / d, select(1.0, e, pos) / d, e / (d * d));
}
`;

/** h = [u_i < σ(a)], aux (params [5]: 0 none, 1 slope, 2 score) and log p(h | a) (params [6]: 1 to write); params [3..4] the key. */
export function bernoulliSigmoidShader(): string {
  return `${HEAD}${NOISE}${SIGMA}
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> h: array<f32>;
@group(0) @binding(3) var<storage, read_write> aux: array<f32>;
@group(0) @binding(4) var<storage, read_write> lp: array<f32>;
${ENTRY} {
  ${ELEMENT}
  let x = a[i];
  let sg = sigma(x);
  let one = below(wordA(i, p[3], p[4]), sg.s);
  h[i] = select(0.0, 1.0, one);
  // The score h − σ: 1 − σ is the complement, formed directly.
  if (p[5] == 1u) { aux[i] = sg.slope; } else if (p[5] == 2u) { aux[i] = select(-sg.s, sg.c, one); }
  // log p = h·x − softplus(x), as (h·x − max(x, 0)) (exact) − ln(1 + e).
  if (p[6] == 1u) { lp[i] = (select(0.0, x, one) - max(x, 0.0)) - atanh2(sg.e / (2.0 + sg.e)); }
}`;
}

/** y = σ((a + l_i)/τ), slope = y(1 − y)/τ; params [3..5] the key, τ's f32 bits. */
export function binaryConcreteShader(): string {
  return `${HEAD}${NOISE}${SIGMA}
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> slope: array<f32>;
${ENTRY} {
  ${ELEMENT}
  let t = pf(5u);
  let sg = sigma((a[i] + logisticAt(i, p[3], p[4])) / t);
  y[i] = sg.s;
  slope[i] = sg.slope / t;
}`;
}

// Error-free transformations: a sum of f32 terms carried as an unevaluated pair hi + lo (about
// 48 bits), so a long sum loses nothing to f32 rounding (Knuth's two-sum, Dekker's product).
const DOUBLE_FLOAT = /* wgsl */ `${TWO_SUM_EXACT}fn split(a: f32) -> vec2f { let c = 4097.0 * a; let h = c - (c - a); return vec2f(h, a - h); }
// a·b exactly as hi + lo; past the range where the split is exact (huge or tiny) just the product.
fn twoProd(a: f32, b: f32) -> vec2f {
  let q = a * b;
  if (abs(q) > 1e30 || abs(q) < 1e-30) { return vec2f(q, 0.0); }
  let as_ = split(a); let bs = split(b);
  return vec2f(q, ((as_.x * bs.x - q) + as_.x * bs.y + as_.y * bs.x) + as_.y * bs.y);
}
fn ddAdd(a: vec2f, b: vec2f) -> vec2f {
  let s = twoSum(a.x, b.x);
  let t = twoSum(a.y, b.y);
  let u = twoSum(s.x, s.y + t.x);
  return twoSum(u.x, u.y + t.y);
}
`;

/** Reductions run as one workgroup: each invocation strides over the input, then a tree in workgroup memory, always the same order. */
const REDUCE_ENTRY = `@compute @workgroup_size(${WG}) fn main(@builtin(local_invocation_index) l: u32)`;
const tree = (combine: (a: string, b: string) => string): string => `
  red[l] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (l < s) { red[l] = ${combine('red[l]', 'red[l + s]')}; }
    workgroupBarrier();
  }`;

/** out[0] = 1 if any of the p[0] elements is NaN or ±∞, else 0. */
export function allFiniteShader(): string {
  return `${HEAD}
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
var<workgroup> red: array<u32, ${WG}>;
${REDUCE_ENTRY} {
  var acc = 0u;
  for (var i = l; i < p[0]; i += ${WG}u) { acc |= u32((bitcast<u32>(a[i]) & 0x7f800000u) == 0x7f800000u); }
  ${tree((x, y) => `${x} | ${y}`)}
  if (l == 0u) { out[0] = red[0]; }
}`;
}

/**
 * The fingerprint of p[0] elements: out[0] the reference's bit hash exactly (its per-lane Horner
 * sums h = 31·h + word are sums of word·31^e mod 2³², which any order gives alike), out[1..2] Σ|x|
 * and out[3..4] Σx² as hi + lo pairs (Σx² of products that are exact, summed without rounding loss).
 */
export function fingerprintShader(): string {
  return `${HEAD}${DOUBLE_FLOAT}
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
struct Fp { h: u32, abs_: vec2f, sq: vec2f }
var<workgroup> red: array<Fp, ${WG}>;
fn pow31(e: u32) -> u32 {
  var r = 1u; var b = 31u; var k = e;
  loop { if (k == 0u) { break; } if ((k & 1u) == 1u) { r *= b; } b *= b; k >>= 1u; }
  return r;
}
fn join(x: Fp, y: Fp) -> Fp { return Fp(x.h + y.h, ddAdd(x.abs_, y.abs_), ddAdd(x.sq, y.sq)); }
${REDUCE_ENTRY} {
  let n = p[0];
  var acc = Fp(0u, vec2f(0.0), vec2f(0.0));
  // Element i's power of 31: its place from the end of its lane, then the lanes' own combination.
  // This invocation's elements keep one lane and step 64 places in it, so each next power is the
  // last times 31^−64 (p[3]; 31 is odd, so it has an inverse mod 2³²).
  let lane = l & 3u;
  var w = 0u;
  if (l < n) { w = pow31(((n - lane + 3u) / 4u - 1u - (l >> 2u)) + (3u - lane)); }
  for (var i = l; i < n; i += ${WG}u) {
    let x = a[i];
    acc.h += bitcast<u32>(x) * w;
    w *= p[3];
    acc.abs_ = ddAdd(acc.abs_, vec2f(abs(x), 0.0));
    acc.sq = ddAdd(acc.sq, twoProd(x, x));
  }
  ${tree((x, y) => `join(${x}, ${y})`)}
  if (l == 0u) {
    out[0] = bitcast<f32>(red[0].h);
    out[1] = red[0].abs_.x; out[2] = red[0].abs_.y;
    out[3] = red[0].sq.x; out[4] = red[0].sq.y;
  }
}`;
}

/**
 * out = a·scale + b·bScale rounded once, as the reference's f64 arithmetic rounds it (to within
 * rare double-rounding ties): each scale as f32 hi + lo (params [3..6]), the products exact by
 * Dekker's method, summed as hi + lo pairs.
 */
export function axpbyShader(): string {
  return `${HEAD}${DOUBLE_FLOAT}
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
fn scaled(x: f32, hi: f32, lo: f32) -> vec2f {
  let q = twoProd(x, hi);
  let r = twoSum(q.x, q.y + x * lo);
  return r;
}
${ENTRY} {
  ${ELEMENT}
  let s = ddAdd(scaled(A[i], pf(3u), pf(4u)), scaled(B[i], pf(5u), pf(6u)));
  // Past ±∞ (or with NaN) the low parts are NaN; the plain sum is the answer.
  let plain = A[i] * pf(3u) + B[i] * pf(5u);
  if (isnan_(s.x) || abs(s.x) == inf_() || isnan_(s.y)) { out[i] = plain; } else { out[i] = s.x + s.y; }
}`;
}

/** The structure of an optimizer program that its shader is made for (the values come as params). */
export interface OptimizerLayout {
  /** Stage op codes (optim-program.ts STAGE), the stages run. */
  ops: readonly number[];
  /** Per stage, the bindings (indices into `slots` below) of its slots A and B, or −1. */
  slotA: readonly number[];
  slotB: readonly number[];
  /** How many slot buffers are bound. */
  slots: number;
  /** Whether the parameter is bound (stored to, or read by a decay stage). */
  param: boolean;
  /** Run every stage and store state and the parameter (else a dry run that stores nothing). */
  store: boolean;
  /** What one workgroup reduces into out: the clip stages' flags (a full run), Σu² (a dry run), or nothing. */
  reduce: 'flags' | 'squares' | null;
}

/**
 * One pass of an optimizer program (optim-program.ts) per element, in f32: WGSL has no f64, so
 * each stage rounds to f32 where the reference rounds only when storing (tolerances in
 * docs/webgpu.md). Params [3 + 7s …] stage s's x0..x6 as f32. With a reduction it runs as one
 * workgroup striding over the elements, else one invocation per element.
 */
export function optimizerShader(layout: OptimizerLayout): string {
  const { ops, slotA, slotB, store, reduce } = layout;
  const x = (s: number, j: number): string => `pf(${3 + 7 * s + j}u)`;
  const slot = (k: number): string => `S${k}`;
  const body = ops
    .map((op, s) => {
      const A = slot(slotA[s]);
      const B = slot(slotB[s]);
      switch (op) {
        case STAGE_CLIP:
          return `{ let c = ${x(s, 0)}; if (x > c) { x = c; fl |= ${1 << s}u; } else if (x < -c) { x = -c; fl |= ${1 << s}u; } }`;
        case STAGE_SCALE:
          return `x = x * ${x(s, 0)};`;
        case STAGE_DECAY:
          return `x = x + ${x(s, 0)} * P[i];`;
        case STAGE_MOMENTUM:
          return `{ let mu = ${x(s, 0)}; let v = mu * ${A}[i] + x;${store ? ` ${A}[i] = v;` : ''} x = select(v, x + mu * v, ${x(s, 1)} != 0.0); }`;
        case STAGE_ADAM:
          return (
            `{ let m = ${x(s, 0)} * ${A}[i] + ${x(s, 1)} * x; let v = ${x(s, 2)} * ${B}[i] + (${x(s, 3)} * x) * x;` +
            `${store ? ` ${A}[i] = m; ${B}[i] = v;` : ''} x = m / ${x(s, 5)} / (sqrt(v / ${x(s, 6)}) + ${x(s, 4)}); }`
          );
        default:
          throw new RangeError(`optimizer program: unknown stage op ${op} at stage ${s}`);
      }
    })
    .join('\n    ');
  const access = store ? 'read_write' : 'read';
  // Bindings in this order, numbered from 1 (the backend binds them in the same order).
  const vars = [
    ...(layout.param ? [`${access}> P`] : []),
    'read> U',
    ...Array.from({ length: layout.slots }, (_, k) => `${access}> ${slot(k)}`),
    ...(reduce ? ['read_write> out'] : []),
  ];
  const decls = vars.map((v, k) => `@group(0) @binding(${k + 1}) var<storage, ${v}: array<f32>;`).join('\n');
  const element = `var x = U[i];
    ${body}
    ${store ? 'P[i] = P[i] + x;' : ''}${reduce === 'squares' ? 'acc = ddAdd(acc, twoProd(x, x));' : ''}`;
  if (!reduce) {
    return `${HEAD}
${decls}
${ENTRY} {
  ${ELEMENT}
  var fl = 0u;
  ${element}
}`;
  }
  const flags = reduce === 'flags';
  return `${HEAD}${DOUBLE_FLOAT}
${decls}
var<workgroup> red: array<${flags ? 'u32' : 'vec2f'}, ${WG}>;
${REDUCE_ENTRY} {
  var fl = 0u;
  var acc = ${flags ? '0u' : 'vec2f(0.0)'};
  for (var i = l; i < p[0]; i += ${WG}u) {
    ${element}
  }
  ${flags ? 'acc = fl;' : ''}
  ${tree(flags ? (a, b) => `${a} | ${b}` : (a, b) => `ddAdd(${a}, ${b})`)}
  if (l == 0u) { ${flags ? 'out[0] = bitcast<f32>(red[0]);' : 'out[0] = red[0].x; out[1] = red[0].y;'} }
}`;
}
