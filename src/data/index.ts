// The data layer's entry point: loadDataset(name, opts) -> { train, test }, plus re-exports.
import { SpecError } from '../errors.ts';
import type { Rng } from '../random.ts';
import type { Dataset } from './dataset.ts';
import { loadFashionMnist } from './fashion-mnist.ts';
import { select, subset } from './loader.ts';
import { loadMnist } from './mnist.ts';
import { blobs, teacherStudent, twoSpirals, xor } from './synthetic.ts';
import { loadCifar10 } from './cifar10.ts';
import { applyTransforms, type Transforms } from './transforms.ts';

export * from './dataset.ts';
export { parseIdx, readIdx, type IdxFile } from './idx.ts';
export { loadMnist, mnistDir, type MnistSplit } from './mnist.ts';
export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DEFAULT_DIR,
  fashionMnistDir,
  loadFashionMnist,
  type FashionMnistSplit,
} from './fashion-mnist.ts';
export { blobs, teacherStudent, twoSpirals, xor, type NoisyXorOptions } from './synthetic.ts';
export { loadCifar10, CIFAR10_CLASSES, type Cifar10Split } from './cifar10.ts';
export { applyTransforms, type Transforms } from './transforms.ts';
export { Loader, select, split, subset, type Batch, type LoaderOptions } from './loader.ts';

export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'cifar10', 'xor', 'spirals', 'blobs', 'teacher-student'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

export interface LoadDatasetOptions extends Transforms {
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
  /** Synthetic sets: read each sample as this shape, e.g. [1, 6, 6] to feed a conv net (its product must be the features). */
  shape?: number[];
  /** CIFAR-10: the directory holding data_batch_1..5.bin and test_batch.bin. */
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

/** Both splits with their samples read as `shape` (synthetic sets; the values are untouched). */
function reshaped(tt: TrainTest, shape: number[] | undefined): TrainTest {
  if (!shape) return tt;
  const n = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isInteger(d) && d > 0) || n !== tt.train.features) {
    throw new SpecError(`data.shape: [${shape.join(', ')}] holds ${n} values, but each sample of "${tt.train.name}" has ${tt.train.features} features`);
  }
  return { train: { ...tt.train, shape: [...shape] }, test: { ...tt.test, shape: [...shape] } };
}

export function loadDataset(name: DatasetName, opts: LoadDatasetOptions = {}): TrainTest {
  if (opts.shape && IMAGE_SETS.includes(name)) throw new SpecError(`data.shape: only synthetic datasets take a shape; ${name} samples are images`);
  const tt = reshaped(loadUnshaped(name, opts), opts.shape);
  const t: Transforms = { resize: opts.resize, pad: opts.pad, normalize: opts.normalize };
  if (t.resize === undefined && t.pad === undefined && t.normalize === undefined) return tt;
  return { train: applyTransforms(tt.train, t), test: applyTransforms(tt.test, t) };
}

const IMAGE_SETS: readonly DatasetName[] = ['mnist', 'fashion-mnist', 'cifar10'];

function loadUnshaped(name: DatasetName, opts: LoadDatasetOptions): TrainTest {
  switch (name) {
    case 'mnist':
      return { train: limit(loadMnist('train'), opts.train), test: limit(loadMnist('test'), opts.test) };
    case 'fashion-mnist':
      return { train: limit(loadFashionMnist('train'), opts.train), test: limit(loadFashionMnist('test'), opts.test) };
    case 'cifar10': {
      if (!opts.dir) throw new SpecError('data.dir: cifar10 is read from your own copy; name the directory holding data_batch_1.bin … test_batch.bin');
      return { train: limit(loadCifar10(opts.dir, 'train'), opts.train), test: limit(loadCifar10(opts.dir, 'test'), opts.test) };
    }
    case 'xor': {
      if (opts.noise === undefined) {
        const ds = xor();
        return { train: ds, test: ds };
      }
      const nTrain = opts.train ?? 200;
      return splitGenerated(xor({ n: nTrain + (opts.test ?? 200), noise: opts.noise, rng: needRng(name, opts) }), nTrain);
    }
    case 'spirals': {
      const nTrain = opts.train ?? 1000;
      return splitGenerated(twoSpirals(nTrain + (opts.test ?? 1000), opts.noise ?? 0.02, needRng(name, opts)), nTrain);
    }
    case 'blobs': {
      const nTrain = opts.train ?? 1000;
      const all = blobs(
        nTrain + (opts.test ?? 1000),
        opts.classes ?? 3,
        opts.features ?? 2,
        opts.spread ?? 0.2,
        needRng(name, opts),
      );
      return splitGenerated(all, nTrain);
    }
    case 'teacher-student': {
      const nTrain = opts.train ?? 1000;
      const all = teacherStudent(
        nTrain + (opts.test ?? 1000),
        opts.features ?? 10,
        opts.hidden ?? 20,
        opts.outFeatures ?? 1,
        needRng(name, opts),
      );
      return splitGenerated(all, nTrain);
    }
    default:
      throw new SpecError(`unknown dataset "${String(name)}"; accepted names: ${DATASET_NAMES.join(', ')}`);
  }
}
