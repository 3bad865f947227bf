// The data layer's entry point: the registry of datasets (the built-ins, and any a user
// registers), loadDataset(name, opts) -> { train, test }, describeDataset, plus re-exports.
import { SpecError } from '../errors.ts';
import { parseFields, show, type Fields } from '../fields.ts';
import { Registry } from '../registry.ts';
import { BUILTIN_DATASETS } from './dataset-kinds/index.ts';
import { describeLoaded, type DatasetInfo, type DatasetKind, type LoadDatasetOptions, type TrainTest } from './dataset-kind.ts';
import { applyTransforms, type Transforms } from './transforms.ts';

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
export { blobs, circle, teacherStudent, twoSpirals, xor, type NoisyXorOptions } from './synthetic.ts';
export { loadCifar10, CIFAR10_CLASSES, type Cifar10Split } from './cifar10.ts';
export { applyTransforms, type Transforms } from './transforms.ts';
export { Loader, select, split, subset, type LoaderBatch, type LoaderOptions } from './loader.ts';
export {
  loadText,
  readText,
  textParts,
  buildVocabulary,
  mobyDickSections,
  windows,
  MOBY_DICK,
  UNKNOWN_SYMBOL,
  type TextOptions,
  type TextSource,
  type TextSplits,
} from './text.ts';
export { copyTask, copyLength, type CopyOptions } from './copy.ts';
export {
  defineDataset,
  pickOptions,
  needRng,
  splitGenerated,
  type DatasetKind,
  type DatasetInfo,
  type TrainTest,
  type LoadDatasetOptions,
} from './dataset-kind.ts';

/** The built-in datasets' names. */
export const DATASET_NAMES = BUILTIN_DATASETS.map((k) => k.name);
/** A dataset's name: a built-in's, or one a user registered. */
export type DatasetName = (typeof BUILTIN_DATASETS)[number]['name'] | (string & {});

const kinds = new Registry<DatasetKind>(
  'dataset',
  { name: 'name', fields: 'options', functions: ['load'], reserved: ['name', 'validation'] },
  BUILTIN_DATASETS as unknown as DatasetKind[],
);

/** Make a dataset usable in specs by its name (returns it); call it from a spec file or a file it imports. */
export function registerDataset<const N extends string, F extends Fields>(kind: DatasetKind<N, F>): DatasetKind<N, F> {
  kinds.register(kind, 'registerDataset');
  return kind;
}

/** Every registered dataset, built-ins first. */
export function listDatasets(): DatasetKind[] {
  return kinds.values();
}

export function getDataset(name: unknown): DatasetKind | undefined {
  return kinds.get(name);
}

function need(name: unknown): DatasetKind {
  const kind = kinds.get(name);
  if (!kind) throw new SpecError(`unknown dataset ${show(name)}; accepted names: ${kinds.names().join(', ')}`);
  return kind;
}

/** A data spec's options checked by its dataset, before anything runs (SpecErrors naming data.<key>). */
export function checkDataOptions(kind: DatasetKind, d: Record<string, unknown>): void {
  parseFields(kind.options, d, (k) => `data.${k}`);
  kind.check?.(d as never);
}

/** Datasets whose options include `key`. */
const taking = (key: string) =>
  kinds
    .values()
    .filter((k) => key in k.options)
    .map((k) => k.name);

export function loadDataset(name: DatasetName, opts: LoadDatasetOptions = {}): TrainTest {
  const kind = need(name);
  if (opts.shape && !('shape' in kind.options))
    throw new SpecError(
      `data.shape: only the synthetic point sets (${taking('shape').join(', ')}) take a shape; ${name} samples have their own`,
    );
  const tt = reshaped(kind.load(opts as never), opts.shape);
  const t: Transforms = { resize: opts.resize, pad: opts.pad, normalize: opts.normalize };
  if (t.resize === undefined && t.pad === undefined && t.normalize === undefined) return tt;
  return {
    train: applyTransforms(tt.train, t),
    test: applyTransforms(tt.test, t),
    ...(tt.validation ? { validation: applyTransforms(tt.validation, t) } : {}),
  };
}

/** Both splits with their samples read as `shape` (synthetic sets; the values are untouched). */
function reshaped(tt: TrainTest, shape: number[] | undefined): TrainTest {
  if (!shape) return tt;
  const n = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isInteger(d) && d > 0) || n !== tt.train.features) {
    throw new SpecError(
      `data.shape: [${shape.join(', ')}] holds ${n} values, but each sample of "${tt.train.name}" has ${tt.train.features} features`,
    );
  }
  return { train: { ...tt.train, shape: [...shape] }, test: { ...tt.test, shape: [...shape] } };
}

/**
 * Describe a dataset without generating it. Image sets are read (and checked) from their files
 * exactly as a trial would read them; `keep` leaves them in the process cache for a trial here.
 */
export function describeDataset(name: DatasetName, opts: Omit<LoadDatasetOptions, 'rng'> = {}, keep = false): DatasetInfo {
  const kind = need(name);
  const info = kind.describe ? kind.describe(opts as never, keep) : describeLoaded(kind, opts as never);
  return opts.shape && 'shape' in kind.options ? { ...info, shape: [...opts.shape] } : info;
}
