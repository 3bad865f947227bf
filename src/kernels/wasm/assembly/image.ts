// Image kernels on NCHW storage: im2col / col2im (convolution as a GEMM) and max / average pooling
// with their backward passes, bit-identical to the reference loops (../../conv-reference.ts): each
// output element is computed with the reference's operations in the reference's order.
// im2col and col2im take (part, parts) and split their output into fixed shares for threads.

// Geometry: input [n, c, h, w], window kh×kw, stride sh×sw, padding ph×pw, output oh×ow.

@inline function shareLo(units: i32, part: i32, parts: i32): i32 {
  return <i32>(<i64>units * part / parts);
}

// dst[0, len) = src[0, len) (f32), four at a time.
@inline function copyRun(dst: usize, src: usize, len: i32): void {
  let x = 0;
  for (; x + 4 <= len; x += 4) v128.store(dst + (<usize>x << 2), v128.load(src + (<usize>x << 2)));
  for (; x < len; x++) store<f32>(dst + (<usize>x << 2), load<f32>(src + (<usize>x << 2)));
}

/**
 * cols[(ch·kh + i)·kw + j, (b·oh + y)·ow + x] = x[b, ch, y·sh − ph + i, x·sw − pw + j] (0 outside).
 * Shares: rows of cols.
 */
export function im2col(xp: usize, cols: usize, n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  ph: i32, pw: i32, oh: i32, ow: i32, part: i32, parts: i32): void {
  const rows = c * kh * kw;
  const plane = oh * ow;
  const width = <usize>n * plane;
  const r0 = shareLo(rows, part, parts), r1 = shareLo(rows, part + 1, parts);
  for (let row = r0; row < r1; row++) {
    const j = row % kw;
    const i = (row / kw) % kh;
    const ch = row / (kw * kh);
    // The valid output columns of this kernel column j: ix = x·sw − pw + j in [0, w).
    let xlo = 0;
    while (xlo < ow && xlo * sw - pw + j < 0) xlo++;
    let xhi = ow;
    while (xhi > xlo && (xhi - 1) * sw - pw + j >= w) xhi--;
    for (let b = 0; b < n; b++) {
      const src = xp + ((<usize>(b * c + ch) * h * w) << 2);
      let dst = cols + ((<usize>row * width + <usize>b * plane) << 2);
      for (let y = 0; y < oh; y++) {
        const iy = y * sh - ph + i;
        if (iy < 0 || iy >= h) {
          memory.fill(dst, 0, <usize>ow << 2);
        } else {
          const srow = src + ((<usize>iy * w) << 2);
          for (let x = 0; x < xlo; x++) store<f32>(dst + (<usize>x << 2), 0);
          if (sw == 1) copyRun(dst + (<usize>xlo << 2), srow + (<usize>(xlo - pw + j) << 2), xhi - xlo);
          else for (let x = xlo; x < xhi; x++) store<f32>(dst + (<usize>x << 2), load<f32>(srow + (<usize>(x * sw - pw + j) << 2)));
          for (let x = xhi; x < ow; x++) store<f32>(dst + (<usize>x << 2), 0);
        }
        dst += <usize>ow << 2;
      }
    }
  }
}

/**
 * The adjoint of im2col: dx = 0, then each column entry is added where it was read, kernel
 * offsets (i, j) in increasing order as the reference adds them. Shares: (image, channel) planes.
 */
export function col2im(cols: usize, dx: usize, n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  ph: i32, pw: i32, oh: i32, ow: i32, part: i32, parts: i32): void {
  const units = n * c;
  const plane = oh * ow;
  const width = <usize>n * plane;
  const u0 = shareLo(units, part, parts), u1 = shareLo(units, part + 1, parts);
  for (let u = u0; u < u1; u++) {
    const b = u / c;
    const ch = u % c;
    const dst = dx + ((<usize>u * h * w) << 2);
    memory.fill(dst, 0, (<usize>h * w) << 2);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        let xlo = 0;
        while (xlo < ow && xlo * sw - pw + j < 0) xlo++;
        let xhi = ow;
        while (xhi > xlo && (xhi - 1) * sw - pw + j >= w) xhi--;
        const row = (ch * kh + i) * kw + j;
        const src = cols + ((<usize>row * width + <usize>b * plane) << 2);
        for (let y = 0; y < oh; y++) {
          const iy = y * sh - ph + i;
          if (iy < 0 || iy >= h) continue;
          const drow = dst + ((<usize>iy * w) << 2);
          const o = src + ((<usize>y * ow) << 2);
          if (sw == 1) {
            const d = drow + (<usize>(xlo - pw + j) << 2);
            const s = o + (<usize>xlo << 2);
            const len = xhi - xlo;
            let x = 0;
            for (; x + 4 <= len; x += 4) {
              const q = <usize>x << 2;
              v128.store(d + q, f32x4.add(v128.load(d + q), v128.load(s + q)));
            }
            for (; x < len; x++) {
              const q = <usize>x << 2;
              store<f32>(d + q, load<f32>(d + q) + load<f32>(s + q));
            }
          } else {
            for (let x = xlo; x < xhi; x++) {
              const q = drow + (<usize>(x * sw - pw + j) << 2);
              store<f32>(q, load<f32>(q) + load<f32>(o + (<usize>x << 2)));
            }
          }
        }
      }
    }
  }
}

/**
 * Window maxima and each winner's offset within its plane (as f32): padding never wins, the
 * first maximum wins ties, a NaN wins (the last NaN of the window), as in the reference.
 */
export function maxPool2d(xp: usize, out: usize, argmax: usize, n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, oh: i32, ow: i32): void {
  const planes = n * c;
  const fast = kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && oh * 2 <= h && ow * 2 <= w;
  for (let p = 0; p < planes; p++) {
    const src = xp + ((<usize>p * h * w) << 2);
    const dst = <usize>p * oh * ow;
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let best: f32 = -Infinity;
        let at: i32 = -1;
        if (fast) {
          // 2×2, stride 2, no padding: the four candidates in the reference's scan order.
          const o = (y * 2) * w + x * 2;
          const q = src + (<usize>o << 2);
          const v0 = load<f32>(q), v1 = load<f32>(q, 4), v2 = load<f32>(q + (<usize>w << 2)), v3 = load<f32>(q + (<usize>w << 2), 4);
          best = v0;
          at = o;
          if (v1 > best || isNaN(v1)) { best = v1; at = o + 1; }
          if (v2 > best || isNaN(v2)) { best = v2; at = o + w; }
          if (v3 > best || isNaN(v3)) { best = v3; at = o + w + 1; }
        } else {
          for (let i = 0; i < kh; i++) {
            const iy = y * sh - ph + i;
            if (iy < 0 || iy >= h) continue;
            for (let j = 0; j < kw; j++) {
              const ix = x * sw - pw + j;
              if (ix < 0 || ix >= w) continue;
              const v = load<f32>(src + (<usize>(iy * w + ix) << 2));
              if (v > best || at < 0 || isNaN(v)) {
                best = v;
                at = iy * w + ix;
              }
            }
          }
        }
        const k = (dst + <usize>(y * ow + x)) << 2;
        store<f32>(out + k, best);
        store<f32>(argmax + k, <f32>at);
      }
    }
  }
}

/** dx = 0, then each output cotangent is added at its window's winner, in output order. */
export function maxPool2dBackward(gOut: usize, argmax: usize, dx: usize, n: i32, c: i32, h: i32, w: i32, oh: i32, ow: i32): void {
  const planes = n * c;
  const po = oh * ow;
  memory.fill(dx, 0, (<usize>planes * h * w) << 2);
  for (let p = 0; p < planes; p++) {
    const src = <usize>p * po;
    const dst = dx + ((<usize>p * h * w) << 2);
    for (let k = 0; k < po; k++) {
      const at = <i32>load<f32>(argmax + ((src + k) << 2));
      // −1: a window entirely in the padding (no winner, no gradient).
      if (at < 0) continue;
      const q = dst + (<usize>at << 2);
      store<f32>(q, load<f32>(q) + load<f32>(gOut + ((src + k) << 2)));
    }
  }
}

/** Window means, padding counted as zeros: an f64 sum in the reference's order, times 1/(kh·kw). */
export function avgPool2d(xp: usize, out: usize, n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, oh: i32, ow: i32): void {
  const planes = n * c;
  const inv: f64 = 1 / <f64>(kh * kw);
  for (let p = 0; p < planes; p++) {
    const src = xp + ((<usize>p * h * w) << 2);
    const dst = out + ((<usize>p * oh * ow) << 2);
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let s: f64 = 0;
        for (let i = 0; i < kh; i++) {
          const iy = y * sh - ph + i;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = x * sw - pw + j;
            if (ix >= 0 && ix < w) s += <f64>load<f32>(src + (<usize>(iy * w + ix) << 2));
          }
        }
        store<f32>(dst + (<usize>(y * ow + x) << 2), <f32>(s * inv));
      }
    }
  }
}

/** dx = 0, then each output cotangent times 1/(kh·kw) (in f64) is added over its window. */
export function avgPool2dBackward(gOut: usize, dx: usize, n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, oh: i32, ow: i32): void {
  const planes = n * c;
  const inv: f64 = 1 / <f64>(kh * kw);
  memory.fill(dx, 0, (<usize>planes * h * w) << 2);
  for (let p = 0; p < planes; p++) {
    const src = gOut + ((<usize>p * oh * ow) << 2);
    const dst = dx + ((<usize>p * h * w) << 2);
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const v = <f64>load<f32>(src + (<usize>(y * ow + x) << 2)) * inv;
        for (let i = 0; i < kh; i++) {
          const iy = y * sh - ph + i;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = x * sw - pw + j;
            if (ix >= 0 && ix < w) {
              const q = dst + (<usize>(iy * w + ix) << 2);
              store<f32>(q, <f32>(<f64>load<f32>(q) + v));
            }
          }
        }
      }
    }
  }
}
