// Elementwise kernels: unary ops, broadcasting binary ops (as a strided rank-3 loop the host
// collapses shapes into), leaky relu and axpby. f32 +,-,*,/,sqrt are correctly rounded, so they
// match the reference's f64-then-round results bit for bit; transcendentals go through f64 Math.

import { hi64, lo64, narrow } from './simd';

// Unary op codes; the host maps UnaryOp names to these (keep in sync with index.ts).
const U_NEG = 0, U_EXP = 1, U_LOG = 2, U_TANH = 3, U_SIGMOID = 4, U_RELU = 5, U_SOFTPLUS = 6,
  U_SQRT = 7, U_SQUARE = 8, U_ABS = 9, U_SIGN = 10, U_STEP = 11, U_GELU = 12, U_GELU_GRAD = 13,
  U_RECIPROCAL = 14, U_SIN = 15, U_COS = 16;

// Binary op codes.
const B_ADD = 0, B_SUB = 1, B_MUL = 2, B_DIV = 3, B_MAX = 4, B_MIN = 5, B_POW = 6, B_GT = 7;

const SQRT_2_OVER_PI: f64 = 0.7978845608028654;

@inline function vecUnary(op: i32, x: v128): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  switch (op) {
    case U_NEG: return f32x4.neg(x);
    case U_RELU: return v128.and(x, f32x4.gt(x, zero));
    case U_SQRT: return f32x4.sqrt(x);
    case U_SQUARE: return f32x4.mul(x, x);
    case U_ABS: return f32x4.abs(x);
    case U_SIGN: return v128.or(v128.and(f32x4.gt(x, zero), one), v128.and(f32x4.lt(x, zero), f32x4.splat(-1)));
    case U_STEP: return v128.and(f32x4.gt(x, zero), one);
    case U_RECIPROCAL: return f32x4.div(one, x);
    default: return x;
  }
}

function scalarUnary(op: i32, xf: f32): f32 {
  const x = <f64>xf;
  switch (op) {
    case U_NEG: return -xf;
    case U_EXP: return <f32>Math.exp(x);
    case U_LOG: return <f32>Math.log(x);
    case U_TANH: return <f32>Math.tanh(x);
    case U_SIGMOID: {
      if (x >= 0) return <f32>(1 / (1 + Math.exp(-x)));
      const e = Math.exp(x);
      return <f32>(e / (1 + e));
    }
    case U_RELU: return xf > 0 ? xf : 0;
    case U_SOFTPLUS: return <f32>(x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
    case U_SQRT: return Mathf.sqrt(xf);
    case U_SQUARE: return xf * xf;
    case U_ABS: return Mathf.abs(xf);
    case U_SIGN: return xf > 0 ? 1 : xf < 0 ? -1 : 0;
    case U_STEP: return xf > 0 ? 1 : 0;
    case U_GELU: return <f32>(0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))));
    case U_GELU_GRAD: {
      const u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
      const t = Math.tanh(u);
      return <f32>(0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x));
    }
    case U_RECIPROCAL: return <f32>1 / xf;
    case U_SIN: return <f32>Math.sin(x);
    case U_COS: return <f32>Math.cos(x);
    default: return xf;
  }
}

@inline function isVectorUnary(op: i32): bool {
  return op == U_NEG || op == U_RELU || op == U_SQRT || op == U_SQUARE || op == U_ABS || op == U_SIGN || op == U_STEP || op == U_RECIPROCAL;
}

export function unary(op: i32, a: usize, out: usize, n: i32): void {
  let i = 0;
  if (isVectorUnary(op)) {
    // One loop per op so the switch is hoisted out of the hot loop.
    switch (op) {
      case U_NEG: for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), vecUnary(U_NEG, v128.load(a + (<usize>i << 2)))); break;
      case U_RELU: for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), vecUnary(U_RELU, v128.load(a + (<usize>i << 2)))); break;
      case U_SQRT: for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), vecUnary(U_SQRT, v128.load(a + (<usize>i << 2)))); break;
      case U_SQUARE: for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), vecUnary(U_SQUARE, v128.load(a + (<usize>i << 2)))); break;
      case U_ABS: for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), vecUnary(U_ABS, v128.load(a + (<usize>i << 2)))); break;
      case U_SIGN: for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), vecUnary(U_SIGN, v128.load(a + (<usize>i << 2)))); break;
      case U_STEP: for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), vecUnary(U_STEP, v128.load(a + (<usize>i << 2)))); break;
      case U_RECIPROCAL: for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), vecUnary(U_RECIPROCAL, v128.load(a + (<usize>i << 2)))); break;
    }
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), scalarUnary(op, load<f32>(a + (<usize>i << 2))));
}

@inline function vecBinary(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case B_ADD: return f32x4.add(x, y);
    case B_SUB: return f32x4.sub(x, y);
    case B_MUL: return f32x4.mul(x, y);
    case B_DIV: return f32x4.div(x, y);
    // a >= b ? a : b exactly as the reference (NaN and signed-zero behaviour included).
    case B_MAX: return v128.bitselect(x, y, f32x4.ge(x, y));
    case B_MIN: return v128.bitselect(x, y, f32x4.le(x, y));
    case B_GT: return v128.and(f32x4.gt(x, y), f32x4.splat(1));
    default: return x;
  }
}

@inline function scalarBinary(op: i32, x: f32, y: f32): f32 {
  switch (op) {
    case B_ADD: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return x * y;
    case B_DIV: return x / y;
    case B_MAX: return x >= y ? x : y;
    case B_MIN: return x <= y ? x : y;
    case B_POW: return <f32>Math.pow(<f64>x, <f64>y);
    case B_GT: return x > y ? 1 : 0;
    default: return x;
  }
}

// One contiguous run of n outputs; sa/sb are the inputs' element strides along it (0 or 1 are
// the vectorized cases).
@inline function binaryRun(op: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, n: i32): void {
  let i = 0;
  if (op != B_POW) {
    if (sa == 1 && sb == 1) {
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(out + o, vecBinary(op, v128.load(a + o), v128.load(b + o)));
      }
    } else if (sa == 1 && sb == 0) {
      const y = v128.load32_splat(b);
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(out + o, vecBinary(op, v128.load(a + o), y));
      }
    } else if (sa == 0 && sb == 1) {
      const x = v128.load32_splat(a);
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(out + o, vecBinary(op, x, v128.load(b + o)));
      }
    }
  }
  for (; i < n; i++) {
    store<f32>(out + (<usize>i << 2), scalarBinary(op, load<f32>(a + ((<usize>i * sa) << 2)), load<f32>(b + ((<usize>i * sb) << 2))));
  }
}

@inline function binaryOp(op: i32, a: usize, b: usize, out: usize, d0: i32, d1: i32, d2: i32, sa0: i32, sa1: i32, sa2: i32, sb0: i32, sb1: i32, sb2: i32): void {
  let o = out;
  for (let i0 = 0; i0 < d0; i0++) {
    const a0 = a + ((<usize>i0 * sa0) << 2);
    const b0 = b + ((<usize>i0 * sb0) << 2);
    for (let i1 = 0; i1 < d1; i1++) {
      binaryRun(op, a0 + ((<usize>i1 * sa1) << 2), sa2, b0 + ((<usize>i1 * sb1) << 2), sb2, o, d2);
      o += <usize>d2 << 2;
    }
  }
}

/**
 * out[i0,i1,i2] = op(a[i0*sa0 + i1*sa1 + i2*sa2], b[...sb...]) over a contiguous [d0,d1,d2] out.
 * Every broadcast the host sees collapses to this form (strides in elements, 0 = broadcast).
 */
export function binary(op: i32, a: usize, b: usize, out: usize, d0: i32, d1: i32, d2: i32, sa0: i32, sa1: i32, sa2: i32, sb0: i32, sb1: i32, sb2: i32): void {
  // Instantiate the loop per op so each inner loop has a constant op.
  switch (op) {
    case B_ADD: binaryOp(B_ADD, a, b, out, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2); break;
    case B_SUB: binaryOp(B_SUB, a, b, out, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2); break;
    case B_MUL: binaryOp(B_MUL, a, b, out, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2); break;
    case B_DIV: binaryOp(B_DIV, a, b, out, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2); break;
    case B_MAX: binaryOp(B_MAX, a, b, out, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2); break;
    case B_MIN: binaryOp(B_MIN, a, b, out, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2); break;
    case B_POW: binaryOp(B_POW, a, b, out, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2); break;
    case B_GT: binaryOp(B_GT, a, b, out, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2); break;
  }
}

/** out = a > 0 ? a : alpha * a (alpha * a in f64, as the reference), or its derivative if grad. */
export function leakyRelu(a: usize, out: usize, n: i32, alpha: f64, grad: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  if (grad) {
    const one = f32x4.splat(1);
    const al = f32x4.splat(<f32>alpha);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, v128.bitselect(one, al, f32x4.gt(v128.load(a + o), zero)));
    }
    for (; i < n; i++) store<f32>(out + (<usize>i << 2), load<f32>(a + (<usize>i << 2)) > 0 ? 1 : <f32>alpha);
  } else {
    const al = f64x2.splat(alpha);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const x = v128.load(a + o);
      const neg = narrow(f64x2.mul(al, lo64(x)), f64x2.mul(al, hi64(x)));
      v128.store(out + o, v128.bitselect(x, neg, f32x4.gt(x, zero)));
    }
    for (; i < n; i++) {
      const x = load<f32>(a + (<usize>i << 2));
      store<f32>(out + (<usize>i << 2), x > 0 ? x : <f32>(alpha * <f64>x));
    }
  }
}

/** out = a*scale + b*bScale, computed in f64 like the reference so results match bit for bit. */
/** axpby with b in f64 (a and out f32): the same f64 arithmetic, b read at full width. */
export function axpbyWide(a: usize, scale: f64, b: usize, bScale: f64, out: usize, n: i32): void {
  const s = f64x2.splat(scale);
  const t = f64x2.splat(bScale);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(a + o);
    const lo = f64x2.add(f64x2.mul(lo64(x), s), f64x2.mul(v128.load(b + (o << 1)), t));
    const hi = f64x2.add(f64x2.mul(hi64(x), s), f64x2.mul(v128.load(b + (o << 1) + 16), t));
    v128.store(out + o, narrow(lo, hi));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, <f32>(<f64>load<f32>(a + o) * scale + load<f64>(b + (o << 1)) * bScale));
  }
}

export function axpby(a: usize, scale: f64, b: usize, bScale: f64, out: usize, n: i32): void {
  const s = f64x2.splat(scale);
  const t = f64x2.splat(bScale);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(a + o);
    const y = v128.load(b + o);
    const lo = f64x2.add(f64x2.mul(lo64(x), s), f64x2.mul(lo64(y), t));
    const hi = f64x2.add(f64x2.mul(hi64(x), s), f64x2.mul(hi64(y), t));
    v128.store(out + o, narrow(lo, hi));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, <f32>(<f64>load<f32>(a + o) * scale + <f64>load<f32>(b + o) * bScale));
  }
}
