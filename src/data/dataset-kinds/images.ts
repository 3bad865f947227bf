// The image datasets: MNIST and Fashion-MNIST (installed IDX files, or a data.dir) and CIFAR-10
// (the user's own copy), with the image transforms (resize, pad, normalize).
import { SpecError } from '../../errors.ts';
import type { SpecOf } from '../../fields.ts';
import { loadCifar10 } from '../cifar10.ts';
import { defineDataset, limit, pickOptions, type DatasetInfo } from '../dataset-kind.ts';
import type { ClassificationDataset } from '../dataset.ts';
import { loadFashionMnist } from '../fashion-mnist.ts';
import { loadMnist } from '../mnist.ts';

const IMAGE_OPTIONS = pickOptions('train', 'test', 'dir', 'resize', 'pad', 'normalize');
type ImageOptions = SpecOf<typeof IMAGE_OPTIONS>;

/** Sizes and the sample shape after resizing and padding, as the trial will see it. */
function imageInfo(train: ClassificationDataset, test: ClassificationDataset, opts: ImageOptions): DatasetInfo {
  const [c, h, w] = train.shape.length === 2 ? [1, ...train.shape] : train.shape;
  const [rh, rw] = opts.resize === undefined ? [h, w] : typeof opts.resize === 'number' ? [opts.resize, opts.resize] : opts.resize;
  const p = opts.pad ?? 0;
  const shape = opts.resize === undefined && !p ? train.shape.slice() : [c, rh + 2 * p, rw + 2 * p];
  return {
    kind: 'classification',
    available: { train: train.n, test: test.n },
    train: opts.train ?? train.n,
    test: opts.test ?? test.n,
    shape,
    features: shape.reduce((a, b) => a * b, 1),
    outputs: train.classes,
  };
}

const idxSet = <N extends string>(name: N, load: typeof loadMnist) =>
  defineDataset({
    name,
    options: IMAGE_OPTIONS,
    load: (opts) => ({
      train: limit(load('train', { dir: opts.dir }), opts.train),
      test: limit(load('test', { dir: opts.dir }), opts.test),
    }),
    describe: (opts, keep) => imageInfo(load('train', { dir: opts.dir, cache: keep }), load('test', { dir: opts.dir, cache: keep }), opts),
  });

export const mnistDataset = idxSet('mnist', loadMnist);
export const fashionMnistDataset = idxSet('fashion-mnist', loadFashionMnist);

function cifarDir(dir: string | undefined): string {
  if (!dir)
    throw new SpecError('data.dir: cifar10 is read from your own copy; name the directory holding data_batch_1.bin … test_batch.bin');
  return dir;
}

export const cifar10Dataset = defineDataset({
  name: 'cifar10',
  options: IMAGE_OPTIONS,
  load: (opts) => ({
    train: limit(loadCifar10(cifarDir(opts.dir), 'train'), opts.train),
    test: limit(loadCifar10(cifarDir(opts.dir), 'test'), opts.test),
  }),
  describe: (opts) => imageInfo(loadCifar10(cifarDir(opts.dir), 'train'), loadCifar10(cifarDir(opts.dir), 'test'), opts),
});
