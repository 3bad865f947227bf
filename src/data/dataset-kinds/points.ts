// The generated point sets: xor (its 4 points, or a noisy xor), two spirals, a disc in a ring, Gaussian blobs, a
// teacher-student regression, and the plane and Gaussian bumps over the 2-D plane. Train and test come from one
// draw of the trial's data stream. The 2-D sets feed their model the `inputs` chosen (x1², sin x1, …), as
// TensorFlow Playground does.
import { SpecError } from '../../errors.ts';
import { blobs, bumps, circle, plane, pointInputs, teacherStudent, twoSpirals, xor, type PointInput } from '../synthetic.ts';
import { defineDataset, needRng, pickOptions, splitGenerated, type DatasetInfo, type TrainTest } from '../dataset-kind.ts';
import type { Dataset } from '../dataset.ts';

// Defaults, shared by load and describe.
const GENERATED = { train: 1000, test: 1000 };
const XOR_NOISY = { train: 200, test: 200 };
const SPIRALS = { noise: 0.02 };
const CIRCLE = { noise: 0.05 };
const BLOBS = { classes: 3, features: 2, spread: 0.2 };
const TEACHER = { features: 10, hidden: 20, outFeatures: 1 };
const SURFACE = { noise: 0 };

/** Both splits with each 2-D point replaced by the chosen input features (none chosen: the points as they are). */
function withInputs(tt: TrainTest, inputs: PointInput[] | undefined): TrainTest {
  if (!inputs) return tt;
  const mapped = (ds: Dataset): Dataset => {
    if (ds.features !== 2) throw new SpecError(`data.inputs: maps 2-D points, but "${ds.name}" samples have ${ds.features} features`);
    return { ...ds, x: pointInputs(ds.x, inputs), shape: [inputs.length], features: inputs.length } as Dataset;
  };
  return { train: mapped(tt.train), test: mapped(tt.test) };
}

/** A 2-D set's sample shape: its chosen inputs, else the point. */
const inShape = (opts: { inputs?: PointInput[] }) => [opts.inputs?.length ?? 2];

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
  options: pickOptions('noise', 'train', 'test', 'inputs', 'shape'),
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
      return withInputs({ train: ds, test: ds }, opts.inputs);
    }
    const nTrain = opts.train ?? XOR_NOISY.train;
    return withInputs(
      splitGenerated(xor({ n: nTrain + (opts.test ?? XOR_NOISY.test), noise: opts.noise, rng: needRng('xor', opts) }), nTrain),
      opts.inputs,
    );
  },
  describe: (opts) =>
    opts.noise === undefined ? generated(opts, 4, 4, inShape(opts), 2) : generated(opts, XOR_NOISY.train, XOR_NOISY.test, inShape(opts), 2),
});

export const spiralsDataset = defineDataset({
  name: 'spirals',
  options: pickOptions('train', 'test', 'noise', 'inputs', 'shape'),
  load(opts) {
    const nTrain = opts.train ?? GENERATED.train;
    return withInputs(
      splitGenerated(twoSpirals(nTrain + (opts.test ?? GENERATED.test), opts.noise ?? SPIRALS.noise, needRng('spirals', opts)), nTrain),
      opts.inputs,
    );
  },
  describe: (opts) => generated(opts, GENERATED.train, GENERATED.test, inShape(opts), 2),
});

export const circleDataset = defineDataset({
  name: 'circle',
  options: pickOptions('train', 'test', 'noise', 'inputs', 'shape'),
  load(opts) {
    const nTrain = opts.train ?? GENERATED.train;
    return withInputs(
      splitGenerated(circle(nTrain + (opts.test ?? GENERATED.test), opts.noise ?? CIRCLE.noise, needRng('circle', opts)), nTrain),
      opts.inputs,
    );
  },
  describe: (opts) => generated(opts, GENERATED.train, GENERATED.test, inShape(opts), 2),
});

export const blobsDataset = defineDataset({
  name: 'blobs',
  options: pickOptions('train', 'test', 'classes', 'features', 'spread', 'inputs', 'shape'),
  load(opts) {
    const nTrain = opts.train ?? GENERATED.train;
    const all = blobs(
      nTrain + (opts.test ?? GENERATED.test),
      opts.classes ?? BLOBS.classes,
      opts.features ?? BLOBS.features,
      opts.spread ?? BLOBS.spread,
      needRng('blobs', opts),
    );
    return withInputs(splitGenerated(all, nTrain), opts.inputs);
  },
  describe: (opts) =>
    generated(
      opts,
      GENERATED.train,
      GENERATED.test,
      opts.inputs ? [opts.inputs.length] : [opts.features ?? BLOBS.features],
      opts.classes ?? BLOBS.classes,
    ),
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

/** The 2-D regression sets, TensorFlow Playground's: a tilted plane and Gaussian bumps (noise: the targets' std). */
function surface<const N extends string>(name: N, draw: typeof plane) {
  return defineDataset({
    name,
    options: pickOptions('train', 'test', 'noise', 'inputs', 'shape'),
    load(opts) {
      const nTrain = opts.train ?? GENERATED.train;
      return withInputs(
        splitGenerated(draw(nTrain + (opts.test ?? GENERATED.test), opts.noise ?? SURFACE.noise, needRng(name, opts)), nTrain),
        opts.inputs,
      );
    },
    describe: (opts) => generated(opts, GENERATED.train, GENERATED.test, inShape(opts), 1, 'regression'),
  });
}

export const planeDataset = surface('plane', plane);
export const bumpsDataset = surface('bumps', bumps);
