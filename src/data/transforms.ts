// Sample transforms applied when a dataset loads: bilinear resizing of images (BioTorch feeds
// MNIST to LeNet at 32×32), zero padding, and per-channel normalization. Each returns a new
// dataset; the cached source sets are never modified.
import { SpecError } from '../errors.ts';
import { validateDataset, type Dataset } from './dataset.ts';

export interface Transforms {
  /** Resize each image to [height, width] (bilinear, pixel centres aligned, as torchvision's Resize on upscaling). */
  resize?: number | [number, number];
  /** Zero-pad each image by this many pixels on every side (after resizing). */
  pad?: number;
  /** (x − mean) / std per channel, after resizing and padding. */
  normalize?: { mean: number[]; std: number[] };
}

/** [c, h, w] of a dataset's images ([h, w] sets are one channel). */
function imageShape(ds: Dataset, field: string): [number, number, number] {
  const s = ds.shape;
  if (s.length === 2) return [1, s[0], s[1]];
  if (s.length === 3) return [s[0], s[1], s[2]];
  throw new SpecError(`${field}: applies to image datasets; "${ds.name}" samples are [${s.join(', ')}]`);
}

function withImages(ds: Dataset, x: Float32Array, shape: number[]): Dataset {
  return validateDataset({ ...ds, x, shape, features: x.length / ds.n } as Dataset);
}

function resize(ds: Dataset, to: [number, number]): Dataset {
  const [c, h, w] = imageShape(ds, 'data.resize');
  const [H, W] = to;
  if (H === h && W === w) return ds;
  const out = new Float32Array(ds.n * c * H * W);
  // Source coordinate of each target pixel centre, clamped at the border.
  const axis = (n: number, N: number) =>
    Array.from({ length: N }, (_, i) => {
      const s = Math.min(Math.max((i + 0.5) * (n / N) - 0.5, 0), n - 1);
      const i0 = Math.floor(s);
      return { i0, i1: Math.min(i0 + 1, n - 1), f: s - i0 };
    });
  const ys = axis(h, H);
  const xs = axis(w, W);
  for (let p = 0; p < ds.n * c; p++) {
    const src = p * h * w;
    const dst = p * H * W;
    for (let i = 0; i < H; i++) {
      const { i0, i1, f } = ys[i];
      for (let j = 0; j < W; j++) {
        const { i0: j0, i1: j1, f: g } = xs[j];
        const top = ds.x[src + i0 * w + j0] * (1 - g) + ds.x[src + i0 * w + j1] * g;
        const bottom = ds.x[src + i1 * w + j0] * (1 - g) + ds.x[src + i1 * w + j1] * g;
        out[dst + i * W + j] = top * (1 - f) + bottom * f;
      }
    }
  }
  return withImages(ds, out, [c, H, W]);
}

function pad(ds: Dataset, k: number): Dataset {
  const [c, h, w] = imageShape(ds, 'data.pad');
  const H = h + 2 * k;
  const W = w + 2 * k;
  const out = new Float32Array(ds.n * c * H * W);
  for (let p = 0; p < ds.n * c; p++) {
    for (let i = 0; i < h; i++) out.set(ds.x.subarray(p * h * w + i * w, p * h * w + (i + 1) * w), p * H * W + (i + k) * W + k);
  }
  return withImages(ds, out, [c, H, W]);
}

function normalize(ds: Dataset, { mean, std }: { mean: number[]; std: number[] }): Dataset {
  const c = ds.shape.length === 3 ? ds.shape[0] : 1;
  if (mean.length !== c || std.length !== c) {
    throw new SpecError(`data.normalize: mean and std need one value per channel (${c}), got ${mean.length} and ${std.length}`);
  }
  if (!std.every((s) => s > 0)) throw new SpecError(`data.normalize.std: every value must be positive, got [${std.join(', ')}]`);
  const plane = ds.features / c;
  const out = new Float32Array(ds.x.length);
  for (let i = 0; i < out.length; i++) {
    const ch = Math.floor(i / plane) % c;
    out[i] = (ds.x[i] - mean[ch]) / std[ch];
  }
  return withImages(ds, out, [...ds.shape]);
}

/** The dataset with `t` applied in order: resize, pad, normalize. */
export function applyTransforms(ds: Dataset, t: Transforms): Dataset {
  let out = ds;
  if (t.resize !== undefined) {
    const to: [number, number] = typeof t.resize === 'number' ? [t.resize, t.resize] : t.resize;
    if (!to.every((d) => Number.isInteger(d) && d >= 1 && d <= 4096))
      throw new SpecError(`data.resize: expected a size or [height, width] of positive integers, got ${JSON.stringify(t.resize)}`);
    out = resize(out, to);
  }
  if (t.pad !== undefined) {
    if (!Number.isInteger(t.pad) || t.pad < 0 || t.pad > 1024)
      throw new SpecError(`data.pad: expected a non-negative integer, got ${JSON.stringify(t.pad)}`);
    out = pad(out, t.pad);
  }
  if (t.normalize !== undefined) out = normalize(out, t.normalize);
  return out;
}
