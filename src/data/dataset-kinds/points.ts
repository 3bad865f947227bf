// The generated point sets: xor (its 4 points, or a noisy xor), two spirals, a disc in a ring, Gaussian blobs and a
// teacher-student regression. Train and test come from one draw of the trial's data stream.
import { SpecError } from '../../errors.ts';
import { blobs, circle, teacherStudent, twoSpirals, xor } from '../synthetic.ts';
import { defineDataset, needRng, pickOptions, splitGenerated, type DatasetInfo } from '../dataset-kind.ts';

// Defaults, shared by load and describe.
const GENERATED = { train: 1000, test: 1000 };
const XOR_NOISY = { train: 200, test: 200 };
const SPIRALS = { noise: 0.02 };
const CIRCLE = { noise: 0.05 };
const BLOBS = { classes: 3, features: 2, spread: 0.2 };
const TEACHER = { features: 10, hidden: 20, outFeatures: 1 };

function generated(
  opts: { train?: number; test?: number },
  n: number,
  t: number,
  shape: number[],
  outputs: number,
  kind: DatasetInfo['kind'] = 'classification',
): DatasetInfo {
  const train = opts.train ?? n;
  const test = opts.test ?? t;
  return { kind, available: { train, test }, train, test, shape, features: shape.reduce((a, b) => a * b, 1), outputs };
}

export const xorDataset = defineDataset({
  name: 'xor',
  // The plain xor set is its 4 points; train/test sizes apply only to noisy xor.
  options: pickOptions('noise', 'train', 'test', 'shape'),
  check(d) {
    if (d.noise !== undefined) return;
    for (const k of ['train', 'test'] as const) {
      if (d[k] !== undefined)
        throw new SpecError(`data.${k}: the plain xor set is its 4 points; set data.noise to generate a noisy xor of data.${k} samples`);
    }
  },
  load(opts) {
    if (opts.noise === undefined) {
      const ds = xor();
      return { train: ds, test: ds };
    }
    const nTrain = opts.train ?? XOR_NOISY.train;
    return splitGenerated(xor({ n: nTrain + (opts.test ?? XOR_NOISY.test), noise: opts.noise, rng: needRng('xor', opts) }), nTrain);
  },
  describe: (opts) => (opts.noise === undefined ? generated(opts, 4, 4, [2], 2) : generated(opts, XOR_NOISY.train, XOR_NOISY.test, [2], 2)),
});

export const spiralsDataset = defineDataset({
  name: 'spirals',
  options: pickOptions('train', 'test', 'noise', 'shape'),
  load(opts) {
    const nTrain = opts.train ?? GENERATED.train;
    return splitGenerated(
      twoSpirals(nTrain + (opts.test ?? GENERATED.test), opts.noise ?? SPIRALS.noise, needRng('spirals', opts)),
      nTrain,
    );
  },
  describe: (opts) => generated(opts, GENERATED.train, GENERATED.test, [2], 2),
});

export const circleDataset = defineDataset({
  name: 'circle',
  options: pickOptions('train', 'test', 'noise', 'shape'),
  load(opts) {
    const nTrain = opts.train ?? GENERATED.train;
    return splitGenerated(circle(nTrain + (opts.test ?? GENERATED.test), opts.noise ?? CIRCLE.noise, needRng('circle', opts)), nTrain);
  },
  describe: (opts) => generated(opts, GENERATED.train, GENERATED.test, [2], 2),
});

export const blobsDataset = defineDataset({
  name: 'blobs',
  options: pickOptions('train', 'test', 'classes', 'features', 'spread', 'shape'),
  load(opts) {
    const nTrain = opts.train ?? GENERATED.train;
    const all = blobs(
      nTrain + (opts.test ?? GENERATED.test),
      opts.classes ?? BLOBS.classes,
      opts.features ?? BLOBS.features,
      opts.spread ?? BLOBS.spread,
      needRng('blobs', opts),
    );
    return splitGenerated(all, nTrain);
  },
  describe: (opts) => generated(opts, GENERATED.train, GENERATED.test, [opts.features ?? BLOBS.features], opts.classes ?? BLOBS.classes),
});

export const teacherStudentDataset = defineDataset({
  name: 'teacher-student',
  options: pickOptions('train', 'test', 'features', 'hidden', 'outFeatures', 'shape'),
  load(opts) {
    const nTrain = opts.train ?? GENERATED.train;
    const all = teacherStudent(
      nTrain + (opts.test ?? GENERATED.test),
      opts.features ?? TEACHER.features,
      opts.hidden ?? TEACHER.hidden,
      opts.outFeatures ?? TEACHER.outFeatures,
      needRng('teacher-student', opts),
    );
    return splitGenerated(all, nTrain);
  },
  describe: (opts) =>
    generated(
      opts,
      GENERATED.train,
      GENERATED.test,
      [opts.features ?? TEACHER.features],
      opts.outFeatures ?? TEACHER.outFeatures,
      'regression',
    ),
});
