// The built-in datasets, in the order errors and `rulebench list` name them.
import { cifar10Dataset, fashionMnistDataset, mnistDataset } from './images.ts';
import { blobsDataset, bumpsDataset, circleDataset, planeDataset, spiralsDataset, teacherStudentDataset, xorDataset } from './points.ts';
import { copyDataset, textDataset } from './sequences.ts';

export const BUILTIN_DATASETS = [
  mnistDataset,
  fashionMnistDataset,
  cifar10Dataset,
  xorDataset,
  spiralsDataset,
  circleDataset,
  blobsDataset,
  teacherStudentDataset,
  planeDataset,
  bumpsDataset,
  textDataset,
  copyDataset,
] as const;
