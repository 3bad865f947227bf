// Builds a classification Dataset from an IDX image file and its IDX label file (the MNIST
// layout shared by MNIST and Fashion-MNIST), with pixels scaled to [0, 1].
import { DataError } from '../errors.ts';
import { classificationDataset, type ClassificationDataset } from './dataset.ts';
import { readIdx } from './idx.ts';

export function loadIdxImageSet(name: string, imagesFile: string, labelsFile: string, classes: number): ClassificationDataset {
  const images = readIdx(imagesFile);
  const labels = readIdx(labelsFile);
  if (images.dims.length !== 3) {
    throw new DataError(`${imagesFile}: expected 3 IDX dims [count, rows, cols], got [${images.dims.join(', ')}]`);
  }
  if (labels.dims.length !== 1) {
    throw new DataError(`${labelsFile}: expected 1 IDX dim [count], got [${labels.dims.join(', ')}]`);
  }
  if (images.dims[0] !== labels.dims[0]) {
    throw new DataError(`${imagesFile} has ${images.dims[0]} images but ${labelsFile} has ${labels.dims[0]} labels; the pair must match`);
  }
  const x = new Float32Array(images.data.length);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
  // Copy the labels so the dataset does not pin the whole label file buffer.
  const y = Int32Array.from(labels.data);
  try {
    return classificationDataset(name, x, y, images.dims.slice(1), classes);
  } catch (e) {
    if (e instanceof DataError) throw new DataError(`${labelsFile}: ${e.message}`);
    throw e;
  }
}
