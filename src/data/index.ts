// The data layer's entry point: loadDataset(name, opts) -> { train, test }, plus re-exports.
import { SpecError } from '../errors.ts';
import type { Rng } from '../random.ts';
import type { Dataset } from './dataset.ts';
import { loadFashionMnist } from './fashion-mnist.ts';
import { select, subset } from './loader.ts';
import { loadMnist } from './mnist.ts';
import { blobs, teacherStudent, twoSpirals, xor } from './synthetic.ts';

export * from './dataset.ts';
export { parseIdx, readIdx, type IdxFile } from './idx.ts';
export { loadMnist, mnistDir, findIdxFile, type MnistSplit, type ImageSetOptions } from './mnist.ts';
export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DEFAULT_DIR,
  fashionMnistDir,
  loadFashionMnist,
  type FashionMnistSplit,
} from './fashion-mnist.ts';
export { blobs, teacherStudent, twoSpirals, xor, type NoisyXorOptions } from './synthetic.ts';
export { Loader, select, split, subset, type Batch, type LoaderOptions } from './loader.ts';

export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'xor', 'spirals', 'blobs', 'teacher-student'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

/** The options each dataset reads; any other option would be silently ignored, so specs refuse it. */
export const DATASET_OPTIONS: Record<DatasetName, readonly (keyof Omit<LoadDatasetOptions, 'rng'>)[]> = {
  mnist: ['train', 'test', 'dir'],
  'fashion-mnist': ['train', 'test', 'dir'],
  // The plain xor set is its 4 points; train/test sizes apply only to noisy xor.
  xor: ['noise', 'train', 'test'],
  spirals: ['train', 'test', 'noise'],
  blobs: ['train', 'test', 'classes', 'features', 'spread'],
  'teacher-student': ['train', 'test', 'features', 'hidden', 'outFeatures'],
};

// Defaults of the generated sets, shared by loadDataset and describeDataset.
const GENERATED = { train: 1000, test: 1000 };
const XOR_NOISY = { train: 200, test: 200 };
const SPIRALS = { noise: 0.02 };
const BLOBS = { classes: 3, features: 2, spread: 0.2 };
const TEACHER = { features: 10, hidden: 20, outFeatures: 1 };

export interface LoadDatasetOptions {
  /** Data stream; required by every synthetic set except the plain 4-point xor. */
  rng?: Rng;
  /** MNIST-like: keep the first `train` / `test` samples. Synthetic: how many to generate. */
  train?: number;
  test?: number;
  /** spirals, noisy xor: Gaussian noise std. Setting it (with rng) makes xor noisy. */
  noise?: number;
  /** blobs */
  classes?: number;
  /** blobs: input features; teacher-student: input features. */
  features?: number;
  /** blobs: per-coordinate std of each blob. */
  spread?: number;
  /** teacher-student */
  hidden?: number;
  outFeatures?: number;
  /** mnist, fashion-mnist: a directory holding the IDX files (default: the installed copy). */
  dir?: string;
}

export interface TrainTest<D extends Dataset = Dataset> {
  train: D;
  test: D;
}

function needRng(name: string, opts: LoadDatasetOptions): Rng {
  if (!opts.rng) throw new SpecError(`loadDataset("${name}"): opts.rng is required to generate this dataset`);
  return opts.rng;
}

/** Generates train + test in one draw so both share centres / teacher, then slices. */
function splitGenerated<D extends Dataset>(all: D, nTrain: number): TrainTest<D> {
  const idx = (from: number, to: number) => Uint32Array.from({ length: to - from }, (_, i) => from + i);
  return {
    train: select(all, idx(0, nTrain), `${all.name}-train`),
    test: select(all, idx(nTrain, all.n), `${all.name}-test`),
  };
}

function limit<D extends Dataset>(ds: D, n: number | undefined): D {
  return n === undefined ? ds : subset(ds, n);
}

export function loadDataset(name: DatasetName, opts: LoadDatasetOptions = {}): TrainTest {
  switch (name) {
    case 'mnist':
      return { train: limit(loadMnist('train', { dir: opts.dir }), opts.train), test: limit(loadMnist('test', { dir: opts.dir }), opts.test) };
    case 'fashion-mnist':
      return {
        train: limit(loadFashionMnist('train', { dir: opts.dir }), opts.train),
        test: limit(loadFashionMnist('test', { dir: opts.dir }), opts.test),
      };
    case 'xor': {
      if (opts.noise === undefined) {
        const ds = xor();
        return { train: ds, test: ds };
      }
      const nTrain = opts.train ?? XOR_NOISY.train;
      return splitGenerated(xor({ n: nTrain + (opts.test ?? XOR_NOISY.test), noise: opts.noise, rng: needRng(name, opts) }), nTrain);
    }
    case 'spirals': {
      const nTrain = opts.train ?? GENERATED.train;
      return splitGenerated(twoSpirals(nTrain + (opts.test ?? GENERATED.test), opts.noise ?? SPIRALS.noise, needRng(name, opts)), nTrain);
    }
    case 'blobs': {
      const nTrain = opts.train ?? GENERATED.train;
      const all = blobs(
        nTrain + (opts.test ?? GENERATED.test),
        opts.classes ?? BLOBS.classes,
        opts.features ?? BLOBS.features,
        opts.spread ?? BLOBS.spread,
        needRng(name, opts),
      );
      return splitGenerated(all, nTrain);
    }
    case 'teacher-student': {
      const nTrain = opts.train ?? GENERATED.train;
      const all = teacherStudent(
        nTrain + (opts.test ?? GENERATED.test),
        opts.features ?? TEACHER.features,
        opts.hidden ?? TEACHER.hidden,
        opts.outFeatures ?? TEACHER.outFeatures,
        needRng(name, opts),
      );
      return splitGenerated(all, nTrain);
    }
    default:
      throw new SpecError(`unknown dataset "${String(name)}"; accepted names: ${DATASET_NAMES.join(', ')}`);
  }
}

/** What a dataset holds, known before training: sizes of the available splits and sample shape. */
export interface DatasetInfo {
  kind: 'classification' | 'regression';
  /** Samples available (image sets: in the files) and requested (train/test options, else all). */
  available: { train: number; test: number };
  train: number;
  test: number;
  shape: number[];
  features: number;
  /** Output width a model needs: the class count, or the target width for regression. */
  outputs: number;
}

/**
 * Describe a dataset without generating it. Image sets are read (and checked) from their files
 * exactly as a trial would read them; `keep` leaves them in the process cache for a trial here.
 */
export function describeDataset(name: DatasetName, opts: Omit<LoadDatasetOptions, 'rng'> = {}, keep = false): DatasetInfo {
  const generated = (n: number, t: number, shape: number[], outputs: number, kind: DatasetInfo['kind'] = 'classification'): DatasetInfo => {
    const train = opts.train ?? n;
    const test = opts.test ?? t;
    return { kind, available: { train, test }, train, test, shape, features: shape.reduce((a, b) => a * b, 1), outputs };
  };
  switch (name) {
    case 'mnist':
    case 'fashion-mnist': {
      const load = name === 'mnist' ? loadMnist : loadFashionMnist;
      const train = load('train', { dir: opts.dir, cache: keep });
      const test = load('test', { dir: opts.dir, cache: keep });
      return {
        kind: 'classification', available: { train: train.n, test: test.n }, train: opts.train ?? train.n, test: opts.test ?? test.n,
        shape: train.shape.slice(), features: train.features, outputs: train.classes,
      };
    }
    case 'xor':
      return opts.noise === undefined ? generated(4, 4, [2], 2) : generated(XOR_NOISY.train, XOR_NOISY.test, [2], 2);
    case 'spirals':
      return generated(GENERATED.train, GENERATED.test, [2], 2);
    case 'blobs':
      return generated(GENERATED.train, GENERATED.test, [opts.features ?? BLOBS.features], opts.classes ?? BLOBS.classes);
    case 'teacher-student':
      return generated(GENERATED.train, GENERATED.test, [opts.features ?? TEACHER.features], opts.outFeatures ?? TEACHER.outFeatures, 'regression');
    default:
      throw new SpecError(`unknown dataset "${String(name)}"; accepted names: ${DATASET_NAMES.join(', ')}`);
  }
}
