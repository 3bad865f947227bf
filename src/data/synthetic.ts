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
