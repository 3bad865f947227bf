// Dataset kinds: one definition per dataset name carries the options it reads (each checked when a
// spec is, errors naming data.<key>), its loader and what it holds before loading. index.ts holds
// the registry; a user registers their own dataset alike.
import { SpecError } from '../errors.ts';
import { anything, field, optional, show, type Fields, type SpecOf } from '../fields.ts';
import { rng as seeded, type Rng } from '../random.ts';
import { targetWidth, type Dataset } from './dataset.ts';
import { select, subset } from './loader.ts';
import type { TextSource } from './text.ts';
import type { Transforms } from './transforms.ts';
import { POINT_INPUTS, type PointInput } from './synthetic.ts';

export interface TrainTest<D extends Dataset = Dataset> {
  train: D;
  test: D;
  /** A validation part the dataset defines itself (contiguous text), used instead of a random hold-out. */
  validation?: D;
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

export interface DatasetKind<N extends string = string, F extends Fields = Fields> {
  /** The spec's data.name. */
  readonly name: N;
  /** The options it reads; a spec giving any other is refused (it would be silently ignored). */
  readonly options: F;
  /** Checks across options before anything runs (SpecErrors naming data.<key>); `validation` is the spec's hold-out. */
  check?(opts: SpecOf<F> & { validation?: unknown }): void;
  /** Both splits; `rng` is the trial's data stream (required by every generated set). */
  load(opts: SpecOf<F> & { rng?: Rng }): TrainTest;
  /** What it holds without generating it (`keep`: leave files read in the process cache); default: load and look. */
  describe?(opts: SpecOf<F>, keep: boolean): DatasetInfo;
}

/** A dataset kind with its option types inferred (register it with registerDataset to use it in specs). */
export function defineDataset<const N extends string, F extends Fields>(kind: DatasetKind<N, F>): DatasetKind<N, F> {
  return kind;
}

const count = (max: number) =>
  optional(
    field<number>((v, at) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
        throw new SpecError(`${at}: expected an integer in [1, ${max}], got ${show(v)}`);
      return v;
    }),
  );

const atLeastOne = optional(
  field<number>((v, at) => {
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 1))
      throw new SpecError(`${at}: expected an integer ≥ 1, got ${JSON.stringify(v)}`);
    return v;
  }),
);

const nonNegative = optional(
  field<number>((v, at) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new SpecError(`${at}: expected a finite number, got ${show(v)}`);
    if (v < 0) throw new SpecError(`${at}: must be ≥ 0`);
    return v;
  }),
);

const text = optional(
  field<string>((v, at) => {
    if (typeof v !== 'string') throw new SpecError(`${at}: expected a string, got ${JSON.stringify(v)}`);
    return v;
  }),
);

/** The options the built-in datasets read, each checked once here; a dataset kind picks its own. */
export const DATA_OPTIONS = {
  /** MNIST-like: keep the first `train` samples. Synthetic: how many to generate. */
  train: count(10_000_000),
  test: count(10_000_000),
  /** spirals, noisy xor: Gaussian noise std. Setting it (with rng) makes xor noisy. */
  noise: nonNegative,
  /** blobs */
  classes: count(65536),
  /** blobs: input features; teacher-student: input features. */
  features: count(10_000_000),
  /** blobs: per-coordinate std of each blob. */
  spread: nonNegative,
  /** teacher-student */
  hidden: count(10_000_000),
  outFeatures: count(10_000_000),
  /** 2-D point sets: the features fed to the model instead of (x1, x2), from POINT_INPUTS. */
  inputs: optional(
    field<PointInput[]>((v, at) => {
      if (!Array.isArray(v) || v.length === 0 || !v.every((f) => (POINT_INPUTS as readonly unknown[]).includes(f)))
        throw new SpecError(`${at}: expected a non-empty array of ${POINT_INPUTS.join(', ')}, got ${show(v)}`);
      if (new Set(v).size < v.length) throw new SpecError(`${at}: each input once, got ${show(v)}`);
      return v as PointInput[];
    }),
  ),
  /** Synthetic sets: read each sample as this shape, e.g. [1, 6, 6] to feed a conv net (its product must be the features). */
  shape: optional(anything<number[]>()),
  /** mnist, fashion-mnist: a directory holding the IDX files (default: the installed copy); cifar10: the one holding data_batch_1..5.bin and test_batch.bin. */
  dir: optional(
    field<string>((v, at) => {
      if (typeof v !== 'string' || v === '') throw new SpecError(`${at}: expected a directory path, got ${show(v)}`);
      return v;
    }),
  ),
  /** Images: resize to [height, width] (bilinear). */
  resize: optional(anything<Transforms['resize']>()),
  /** Images: zero-pad by this many pixels on every side (after resizing). */
  pad: optional(anything<number>()),
  /** Images: (x − mean) / std per channel, after resizing and padding. */
  normalize: optional(anything<Transforms['normalize']>()),
  /** text: 'moby-dick' (default) or a UTF-8 file's path. */
  source: text,
  /** text (moby-dick): parts such as "chapter_1..chapter_67", "extracts". */
  sections: text,
  /** text: characters per sample. */
  context: atLeastOne,
  /** text: [train, validation, test] fractions, contiguous. */
  split: optional(anything<number[]>()),
  /** text: training windows start every `stride` characters. */
  stride: atLeastOne,
  /** text: take the vocabulary from this text's training part (fine-tuning keeps its pretrained model's ids). */
  vocabulary: optional(anything<TextSource>()),
  /** text: at most this many validation and test windows each. */
  evalWindows: atLeastOne,
  /** copy: symbols to remember. */
  length: optional(anything<number>()),
  /** copy: blank steps between the symbols and the recall marker. */
  delay: optional(anything<number>()),
  /** copy: alphabet size. */
  symbols: optional(anything<number>()),
};

type DataOptions = typeof DATA_OPTIONS;

/** The shared options `keys`, in that order (the order errors list them). */
export function pickOptions<const K extends keyof DataOptions>(...keys: K[]): Pick<DataOptions, K> {
  return Object.fromEntries(keys.map((k) => [k, DATA_OPTIONS[k]])) as Pick<DataOptions, K>;
}

/** Every option a built-in dataset reads, with the data stream. */
export type LoadDatasetOptions = SpecOf<DataOptions> & { rng?: Rng };

export function needRng(name: string, opts: { rng?: Rng }): Rng {
  if (!opts.rng) throw new SpecError(`loadDataset("${name}"): opts.rng is required to generate this dataset`);
  return opts.rng;
}

/** Generated train + test in one draw (so both share centres / teacher), sliced. */
export function splitGenerated<D extends Dataset>(all: D, nTrain: number): TrainTest<D> {
  const idx = (from: number, to: number) => Uint32Array.from({ length: to - from }, (_, i) => from + i);
  return {
    train: select(all, idx(0, nTrain), `${all.name}-train`),
    test: select(all, idx(nTrain, all.n), `${all.name}-test`),
  };
}

/** The first `n` samples (all when n is undefined). */
export function limit<D extends Dataset>(ds: D, n: number | undefined): D {
  return n === undefined ? ds : subset(ds, n);
}

/** What loading gives (a describe for sets cheap to build; the draws do not matter here). */
export function describeLoaded<F extends Fields>(kind: DatasetKind<string, F>, opts: SpecOf<F>): DatasetInfo {
  const tt = kind.load({ ...opts, rng: seeded(0) });
  const ds = tt.train;
  return {
    kind: ds.kind,
    available: { train: ds.n, test: tt.test.n },
    train: ds.n,
    test: tt.test.n,
    shape: ds.shape.slice(),
    features: ds.features,
    outputs: ds.kind === 'classification' ? ds.classes : targetWidth(ds),
  };
}
