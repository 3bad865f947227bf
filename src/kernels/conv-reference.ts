// Reference kernels for images (NCHW): im2col / col2im for convolution as a GEMM, and max /
// average pooling with their backward passes. Plain loops: the oracle for faster backends.
import type { Buf, WindowGeometry } from './backend.ts';

/**
 * cols[(c·kh + i)·kw + j, (n·oh + y)·ow + x] = x[n, c, y·sh − ph + i, x·sw − pw + j] (0 outside),
 * so a convolution is W[O, C·kh·kw] · cols[C·kh·kw, N·oh·ow].
 */
export function im2col(x: Buf, cols: Buf, g: WindowGeometry): void {
  const { n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow } = g;
  const plane = oh * ow;
  const width = n * plane;
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const row = ((ch * kh + i) * kw + j) * width;
        for (let b = 0; b < n; b++) {
          const src = (b * c + ch) * h * w;
          const dst = row + b * plane;
          for (let y = 0; y < oh; y++) {
            const iy = y * sh - ph + i;
            const o = dst + y * ow;
            if (iy < 0 || iy >= h) {
              for (let xx = 0; xx < ow; xx++) cols[o + xx] = 0;
              continue;
            }
            const srow = src + iy * w;
            for (let xx = 0; xx < ow; xx++) {
              const ix = xx * sw - pw + j;
              cols[o + xx] = ix >= 0 && ix < w ? x[srow + ix] : 0;
            }
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: dx = 0, then every column entry is added back where it was read. */
export function col2im(cols: Buf, dx: Buf, g: WindowGeometry): void {
  const { n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow } = g;
  dx.fill(0);
  const plane = oh * ow;
  const width = n * plane;
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const row = ((ch * kh + i) * kw + j) * width;
        for (let b = 0; b < n; b++) {
          const dst = (b * c + ch) * h * w;
          const src = row + b * plane;
          for (let y = 0; y < oh; y++) {
            const iy = y * sh - ph + i;
            if (iy < 0 || iy >= h) continue;
            const drow = dst + iy * w;
            const o = src + y * ow;
            for (let xx = 0; xx < ow; xx++) {
              const ix = xx * sw - pw + j;
              if (ix >= 0 && ix < w) dx[drow + ix] += cols[o + xx];
            }
          }
        }
      }
    }
  }
}

/**
 * Max over each window (padding never wins, as PyTorch's −∞ padding); `argmax` receives the
 * winner's offset within its input plane (first maximum on ties), for the backward pass.
 */
export function maxPool2d(x: Buf, out: Buf, argmax: Buf, g: WindowGeometry): void {
  const { n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow } = g;
  for (let p = 0; p < n * c; p++) {
    const src = p * h * w;
    const dst = p * oh * ow;
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        let best = -Infinity;
        let at = -1;
        for (let i = 0; i < kh; i++) {
          const iy = y * sh - ph + i;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = xx * sw - pw + j;
            if (ix < 0 || ix >= w) continue;
            const v = x[src + iy * w + ix];
            if (v > best || at < 0 || Number.isNaN(v)) {
              best = v;
              at = iy * w + ix;
            }
          }
        }
        out[dst + y * ow + xx] = best;
        argmax[dst + y * ow + xx] = at;
      }
    }
  }
}

/** dx = 0, then each output cotangent goes to its window's winner. */
export function maxPool2dBackward(gOut: Buf, argmax: Buf, dx: Buf, g: WindowGeometry): void {
  const { n, c, h, w, oh, ow } = g;
  dx.fill(0);
  for (let p = 0; p < n * c; p++) {
    const src = p * oh * ow;
    const dst = p * h * w;
    for (let k = 0; k < oh * ow; k++) {
      // −1: a window entirely in the padding (no winner, no gradient).
      if (argmax[src + k] >= 0) dx[dst + argmax[src + k]] += gOut[src + k];
    }
  }
}

/** Mean over each window, padding counted as zeros (PyTorch's count_include_pad=True). */
export function avgPool2d(x: Buf, out: Buf, g: WindowGeometry): void {
  const { n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow } = g;
  const inv = 1 / (kh * kw);
  for (let p = 0; p < n * c; p++) {
    const src = p * h * w;
    const dst = p * oh * ow;
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        let s = 0;
        for (let i = 0; i < kh; i++) {
          const iy = y * sh - ph + i;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = xx * sw - pw + j;
            if (ix >= 0 && ix < w) s += x[src + iy * w + ix];
          }
        }
        out[dst + y * ow + xx] = s * inv;
      }
    }
  }
}

/** dx = 0, then each output cotangent is spread evenly over its window. */
export function avgPool2dBackward(gOut: Buf, dx: Buf, g: WindowGeometry): void {
  const { n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow } = g;
  const inv = 1 / (kh * kw);
  dx.fill(0);
  for (let p = 0; p < n * c; p++) {
    const src = p * oh * ow;
    const dst = p * h * w;
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        const v = gOut[src + y * ow + xx] * inv;
        for (let i = 0; i < kh; i++) {
          const iy = y * sh - ph + i;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = xx * sw - pw + j;
            if (ix >= 0 && ix < w) dx[dst + iy * w + ix] += v;
          }
        }
      }
    }
  }
}
