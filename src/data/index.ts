// The data layer's entry point: loadDataset(name, opts) -> { train, test }, plus re-exports.
import { SpecError } from '../errors.ts';
import { rng, type Rng } from '../random.ts';
import { targetWidth, type Dataset } from './dataset.ts';
import { loadFashionMnist } from './fashion-mnist.ts';
import { select, subset } from './loader.ts';
import { loadMnist } from './mnist.ts';
import { blobs, teacherStudent, twoSpirals, xor } from './synthetic.ts';
import { loadCifar10 } from './cifar10.ts';
import { applyTransforms, type Transforms } from './transforms.ts';
import { copyLength, copyTask } from './copy.ts';
import { loadText, type TextSource } from './text.ts';

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
export { loadCifar10, CIFAR10_CLASSES, type Cifar10Split } from './cifar10.ts';
export { applyTransforms, type Transforms } from './transforms.ts';
export { Loader, select, split, subset, type LoaderBatch, type LoaderOptions } from './loader.ts';
export { loadText, readText, textParts, buildVocabulary, mobyDickSections, windows, MOBY_DICK, UNKNOWN_SYMBOL, type TextOptions, type TextSource, type TextSplits } from './text.ts';
export { copyTask, copyLength, type CopyOptions } from './copy.ts';

export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'cifar10', 'xor', 'spirals', 'blobs', 'teacher-student', 'text', 'copy'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

/** The options each dataset reads; any other option would be silently ignored, so specs refuse it. */
const IMAGE_OPTIONS = ['train', 'test', 'dir', 'resize', 'pad', 'normalize'] as const;
export const DATASET_OPTIONS: Record<DatasetName, readonly (keyof Omit<LoadDatasetOptions, 'rng'>)[]> = {
  mnist: IMAGE_OPTIONS,
  'fashion-mnist': IMAGE_OPTIONS,
  cifar10: IMAGE_OPTIONS,
  // The plain xor set is its 4 points; train/test sizes apply only to noisy xor.
  xor: ['noise', 'train', 'test', 'shape'],
  spirals: ['train', 'test', 'noise', 'shape'],
  blobs: ['train', 'test', 'classes', 'features', 'spread', 'shape'],
  'teacher-student': ['train', 'test', 'features', 'hidden', 'outFeatures', 'shape'],
  text: ['source', 'sections', 'context', 'split', 'stride', 'vocabulary', 'evalWindows', 'train'],
  copy: ['train', 'test', 'length', 'delay', 'symbols'],
};

// Defaults of the generated sets, shared by loadDataset and describeDataset.
const GENERATED = { train: 1000, test: 1000 };
const XOR_NOISY = { train: 200, test: 200 };
const SPIRALS = { noise: 0.02 };
const BLOBS = { classes: 3, features: 2, spread: 0.2 };
const TEACHER = { features: 10, hidden: 20, outFeatures: 1 };

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
  /** mnist, fashion-mnist: a directory holding the IDX files (default: the installed copy); cifar10: the one holding data_batch_1..5.bin and test_batch.bin. */
  dir?: string;
  /** text: 'moby-dick' (default) or a UTF-8 file's path. */
  source?: string;
  /** text (moby-dick): parts such as "chapter_1..chapter_67", "extracts". */
  sections?: string;
  /** text: characters per sample. */
  context?: number;
  /** text: [train, validation, test] fractions, contiguous. */
  split?: number[];
  /** text: training windows start every `stride` characters. */
  stride?: number;
  /** text: take the vocabulary from this text's training part (fine-tuning keeps its pretrained model's ids). */
  vocabulary?: TextSource;
  /** text: at most this many validation and test windows each. */
  evalWindows?: number;
  /** copy: symbols to remember. */
  length?: number;
  /** copy: blank steps between the symbols and the recall marker. */
  delay?: number;
  /** copy: alphabet size. */
  symbols?: number;
}

/** Dataset-specific checks of a data spec before anything runs (SpecError naming the field). */
export function checkDataOptions(d: Record<string, unknown>): void {
  if (d.name === 'text') {
    if (d.context === undefined) throw new SpecError('data.context: the text dataset needs the characters per sample (e.g. 64)');
    if (d.validation !== undefined) throw new SpecError('data.validation: text is cut into contiguous parts by data.split ([train, validation, test] fractions), not by a random hold-out');
    if (d.test !== undefined) throw new SpecError('data.test: the text test part is set by data.split (and capped by data.evalWindows)');
    for (const k of ['context', 'stride', 'evalWindows']) {
      const v = d[k];
      if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= 1)) throw new SpecError(`data.${k}: expected an integer ≥ 1, got ${JSON.stringify(v)}`);
    }
    for (const k of ['source', 'sections']) if (d[k] !== undefined && typeof d[k] !== 'string') throw new SpecError(`data.${k}: expected a string, got ${JSON.stringify(d[k])}`);
  }
}


export interface TrainTest<D extends Dataset = Dataset> {
  train: D;
  test: D;
  /** A validation part the dataset defines itself (contiguous text), used instead of a random hold-out. */
  validation?: D;
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
  if (opts.shape && !['xor', 'spirals', 'blobs', 'teacher-student'].includes(name)) throw new SpecError(`data.shape: only the synthetic point sets (xor, spirals, blobs, teacher-student) take a shape; ${name} samples have their own`);
  const tt = reshaped(loadUnshaped(name, opts), opts.shape);
  const t: Transforms = { resize: opts.resize, pad: opts.pad, normalize: opts.normalize };
  if (t.resize === undefined && t.pad === undefined && t.normalize === undefined) return tt;
  return { train: applyTransforms(tt.train, t), test: applyTransforms(tt.test, t), ...(tt.validation ? { validation: applyTransforms(tt.validation, t) } : {}) };
}

function loadUnshaped(name: DatasetName, opts: LoadDatasetOptions): TrainTest {
  switch (name) {
    case 'mnist':
      return { train: limit(loadMnist('train', { dir: opts.dir }), opts.train), test: limit(loadMnist('test', { dir: opts.dir }), opts.test) };
    case 'fashion-mnist':
      return {
        train: limit(loadFashionMnist('train', { dir: opts.dir }), opts.train),
        test: limit(loadFashionMnist('test', { dir: opts.dir }), opts.test),
      };
    case 'cifar10': {
      if (!opts.dir) throw new SpecError('data.dir: cifar10 is read from your own copy; name the directory holding data_batch_1.bin … test_batch.bin');
      return { train: limit(loadCifar10(opts.dir, 'train'), opts.train), test: limit(loadCifar10(opts.dir, 'test'), opts.test) };
    }
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
    case 'text': {
      if (opts.context === undefined) throw new SpecError('data.context: the text dataset needs the characters per sample (e.g. 64)');
      const t = loadText({
        source: opts.source, sections: opts.sections, split: opts.split, context: opts.context, stride: opts.stride,
        vocabulary: opts.vocabulary, train: opts.train, evalWindows: opts.evalWindows,
      });
      return { train: t.train, validation: t.validation, test: t.test };
    }
    case 'copy': {
      const nTrain = opts.train ?? 2000;
      const o = { length: opts.length, delay: opts.delay, symbols: opts.symbols };
      copyLength(o);
      const all = copyTask(nTrain + (opts.test ?? 500), o, needRng(name, opts));
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
  const withShape = (info: DatasetInfo): DatasetInfo => (opts.shape ? { ...info, shape: [...opts.shape] } : info);
  switch (name) {
    case 'mnist':
    case 'fashion-mnist':
    case 'cifar10': {
      const load = (split: 'train' | 'test') =>
        name === 'cifar10' ? (opts.dir ? loadCifar10(opts.dir, split) : (loadUnshaped(name, opts), null)!) : (name === 'mnist' ? loadMnist : loadFashionMnist)(split, { dir: opts.dir, cache: keep });
      const train = load('train');
      const test = load('test');
      // The sample shape after resizing and padding, as the trial will see it.
      const [c, h, w] = train.shape.length === 2 ? [1, ...train.shape] : train.shape;
      const [rh, rw] = opts.resize === undefined ? [h, w] : typeof opts.resize === 'number' ? [opts.resize, opts.resize] : opts.resize;
      const p = opts.pad ?? 0;
      const shape = opts.resize === undefined && !p ? train.shape.slice() : [c, rh + 2 * p, rw + 2 * p];
      return {
        kind: 'classification', available: { train: train.n, test: test.n }, train: opts.train ?? train.n, test: opts.test ?? test.n,
        shape, features: shape.reduce((a, b) => a * b, 1), outputs: train.classes,
      };
    }
    case 'xor':
      return withShape(opts.noise === undefined ? generated(4, 4, [2], 2) : generated(XOR_NOISY.train, XOR_NOISY.test, [2], 2));
    case 'spirals':
      return withShape(generated(GENERATED.train, GENERATED.test, [2], 2));
    case 'blobs':
      return withShape(generated(GENERATED.train, GENERATED.test, [opts.features ?? BLOBS.features], opts.classes ?? BLOBS.classes));
    case 'teacher-student':
      return withShape(generated(GENERATED.train, GENERATED.test, [opts.features ?? TEACHER.features], opts.outFeatures ?? TEACHER.outFeatures, 'regression'));
    case 'text':
    case 'copy': {
      // Cheap to build: describe what loading gives (the copy task's draws do not matter here).
      const tt = loadUnshaped(name, { ...opts, rng: rng(0) });
      const ds = tt.train;
      return {
        kind: ds.kind, available: { train: ds.n, test: tt.test.n }, train: ds.n, test: tt.test.n, shape: ds.shape.slice(), features: ds.features,
        outputs: ds.kind === 'classification' ? ds.classes : targetWidth(ds),
      };
    }
    default:
      throw new SpecError(`unknown dataset "${String(name)}"; accepted names: ${DATASET_NAMES.join(', ')}`);
  }
}
