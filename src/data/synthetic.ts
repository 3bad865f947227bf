// Seeded synthetic datasets: XOR, two spirals, Gaussian blobs, and a tanh-teacher regression.
// Each generator draws structure (centres, teacher weights) and samples from separate child
// streams, so the structure for a seed does not change with n.
import { SpecError } from '../errors.ts';
import type { Rng } from '../random.ts';
import { classificationDataset, regressionDataset, type ClassificationDataset, type RegressionDataset } from './dataset.ts';

function positiveInt(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new SpecError(`${what} must be a positive integer, got ${v}`);
}

export interface NoisyXorOptions {
  n: number;
  /** Standard deviation of Gaussian noise added to each coordinate. */
  noise: number;
  rng: Rng;
}

/**
 * With no options: the 4 XOR points {0,1}^2, label a XOR b. With options: n samples cycling
 * through the 4 corners (so classes stay balanced) plus Gaussian noise.
 */
export function xor(opts?: NoisyXorOptions): ClassificationDataset {
  const corners = [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ];
  const n = opts ? opts.n : 4;
  positiveInt('xor n', n);
  const noise = opts ? opts.rng.child('noise') : null;
  const sd = opts ? opts.noise : 0;
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const [a, b] = corners[i % 4];
    x[2 * i] = a + (noise ? sd * noise.normal() : 0);
    x[2 * i + 1] = b + (noise ? sd * noise.normal() : 0);
    y[i] = a ^ b;
  }
  return classificationDataset(opts ? 'xor-noisy' : 'xor', x, y, [2], 2);
}

/** Two interleaved spirals (1.5 turns each) of radius up to 1; classes alternate by index. */
export function twoSpirals(n: number, noise: number, rng: Rng): ClassificationDataset {
  positiveInt('twoSpirals n', n);
  const r = rng.child('samples');
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  const maxAngle = 3 * Math.PI;
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    // sqrt spreads points evenly along the arc instead of crowding the centre.
    const t = Math.sqrt(r.uniform()) * maxAngle;
    const radius = t / maxAngle;
    x[2 * i] = radius * Math.cos(t + c * Math.PI) + noise * r.normal();
    x[2 * i + 1] = radius * Math.sin(t + c * Math.PI) + noise * r.normal();
    y[i] = c;
  }
  return classificationDataset('spirals', x, y, [2], 2);
}

/**
 * A disc inside a ring: class 0 within radius 0.5, class 1 between radii 0.7 and 1 (classes
 * alternate by index), uniform in angle, plus Gaussian noise of std `noise` per coordinate.
 */
export function circle(n: number, noise: number, rng: Rng): ClassificationDataset {
  positiveInt('circle n', n);
  const r = rng.child('samples');
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const radius = c === 0 ? 0.5 * r.uniform() : 0.7 + 0.3 * r.uniform();
    const angle = 2 * Math.PI * r.uniform();
    x[2 * i] = radius * Math.cos(angle) + noise * r.normal();
    x[2 * i + 1] = radius * Math.sin(angle) + noise * r.normal();
    y[i] = c;
  }
  return classificationDataset('circle', x, y, [2], 2);
}

/** Isotropic Gaussian blobs: centres uniform in [-1, 1]^features, per-coordinate std `spread`. */
export function blobs(n: number, classes: number, features: number, spread: number, rng: Rng): ClassificationDataset {
  positiveInt('blobs n', n);
  positiveInt('blobs classes', classes);
  positiveInt('blobs features', features);
  if (classes > 65536) throw new SpecError(`data.classes: blobs takes at most 65536 classes, got ${classes}`);
  const c = rng.child('centres');
  const centres = new Float32Array(classes * features);
  for (let i = 0; i < centres.length; i++) centres[i] = c.range(-1, 1);
  const s = rng.child('samples');
  const x = new Float32Array(n * features);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % classes;
    for (let j = 0; j < features; j++) x[i * features + j] = centres[k * features + j] + spread * s.normal();
    y[i] = k;
  }
  return classificationDataset('blobs', x, y, [features], classes);
}

/**
 * Regression targets from a random teacher y = W2 tanh(W1 x + b1), x ~ N(0, I).
 * W1 ~ N(0, 1/in), W2 ~ N(0, 1/hidden) keep pre-activations and targets at unit scale.
 */
export function teacherStudent(n: number, inFeatures: number, hidden: number, outFeatures: number, rng: Rng): RegressionDataset {
  positiveInt('teacherStudent n', n);
  positiveInt('teacherStudent inFeatures', inFeatures);
  positiveInt('teacherStudent hidden', hidden);
  positiveInt('teacherStudent outFeatures', outFeatures);
  const t = rng.child('teacher');
  const w1 = new Float64Array(hidden * inFeatures).map(() => t.normal() / Math.sqrt(inFeatures));
  const b1 = new Float64Array(hidden).map(() => 0.1 * t.normal());
  const w2 = new Float64Array(outFeatures * hidden).map(() => t.normal() / Math.sqrt(hidden));
  const s = rng.child('samples');
  const x = new Float32Array(n * inFeatures);
  for (let i = 0; i < x.length; i++) x[i] = s.normal();
  const y = new Float32Array(n * outFeatures);
  const h = new Float64Array(hidden);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < hidden; k++) {
      let a = b1[k];
      for (let j = 0; j < inFeatures; j++) a += w1[k * inFeatures + j] * x[i * inFeatures + j];
      h[k] = Math.tanh(a);
    }
    for (let o = 0; o < outFeatures; o++) {
      let a = 0;
      for (let k = 0; k < hidden; k++) a += w2[o * hidden + k] * h[k];
      y[i * outFeatures + o] = a;
    }
  }
  return regressionDataset('teacher-student', x, y, [inFeatures], outFeatures);
}

/** A tilted plane, TensorFlow Playground's first regression set: x uniform in [-1, 1]², y = (x1 + x2) / 2 plus noise. */
export function plane(n: number, noise: number, rng: Rng): RegressionDataset {
  positiveInt('plane n', n);
  const r = rng.child('samples');
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = r.range(-1, 1);
    x[2 * i + 1] = r.range(-1, 1);
    y[i] = (x[2 * i] + x[2 * i + 1]) / 2 + noise * r.normal();
  }
  return regressionDataset('plane', x, y, [2], 1);
}

/** Bumps of the regression surface: their count, and each one's width (std). */
const BUMPS = { count: 6, width: 0.25 };

/**
 * Gaussian bumps, alternately up and down, at centres drawn in [-0.8, 0.8]² (TensorFlow
 * Playground's second regression set): y = Σ ±exp(−|x − c|² / 2w²) plus noise, x uniform in [-1, 1]².
 */
export function bumps(n: number, noise: number, rng: Rng): RegressionDataset {
  positiveInt('bumps n', n);
  const c = rng.child('centres');
  const centres = Float64Array.from({ length: 2 * BUMPS.count }, () => c.range(-0.8, 0.8));
  const r = rng.child('samples');
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const [a, b] = [r.range(-1, 1), r.range(-1, 1)];
    x[2 * i] = a;
    x[2 * i + 1] = b;
    let v = 0;
    for (let k = 0; k < BUMPS.count; k++) {
      const d2 = (a - centres[2 * k]) ** 2 + (b - centres[2 * k + 1]) ** 2;
      v += (k % 2 ? -1 : 1) * Math.exp(-d2 / (2 * BUMPS.width ** 2));
    }
    y[i] = v + noise * r.normal();
  }
  return regressionDataset('bumps', x, y, [2], 1);
}

/** The input features a 2-D point set can feed its model instead of (x1, x2), as TensorFlow Playground offers them. */
export const POINT_INPUTS = ['x1', 'x2', 'x1^2', 'x2^2', 'x1*x2', 'sin(x1)', 'sin(x2)'] as const;
export type PointInput = (typeof POINT_INPUTS)[number];

const INPUT_FN: Record<PointInput, (a: number, b: number) => number> = {
  x1: (a) => a,
  x2: (_, b) => b,
  'x1^2': (a) => a * a,
  'x2^2': (_, b) => b * b,
  'x1*x2': (a, b) => a * b,
  'sin(x1)': (a) => Math.sin(a),
  'sin(x2)': (_, b) => Math.sin(b),
};

/** Points [n, 2] (pairs) as the chosen features [n, inputs.length], in the order given. */
export function pointInputs(xy: Float32Array, inputs: readonly PointInput[]): Float32Array {
  const n = xy.length / 2;
  const out = new Float32Array(n * inputs.length);
  const fns = inputs.map((f) => INPUT_FN[f]);
  for (let i = 0; i < n; i++) for (let k = 0; k < fns.length; k++) out[i * fns.length + k] = fns[k](xy[2 * i], xy[2 * i + 1]);
  return out;
}
