// A trial's data, task and model, built from its config and its seed's data stream. Nothing
// from Node: the dataset comes from the caller's loader (Node's loadDataset reads files).
import type { LoadDatasetOptions, TrainTest } from '../data/dataset-kind.ts';
import type { Dataset } from '../data/dataset.ts';
import { targetWidth } from '../data/dataset.ts';
import { split } from '../data/loader.ts';
import { DataError } from '../errors.ts';
import { buildModel } from '../nn/model.ts';
import type { Rng } from '../random.ts';
import { taskFor, withObjective } from '../rules/task.ts';
import type { Prepared } from './training.ts';
import type { TrialConfig } from './trial-config.ts';

/** What loads a dataset by name: loadDataset in Node (files and generated sets), or a browser's own. */
export type LoadData = (name: string, opts: LoadDatasetOptions) => TrainTest;

/** The data, task and model of a trial from its data stream `data`, its dataset loaded by `load`. */
export function prepareData(config: TrialConfig, data: Rng, load: LoadData): Prepared {
  const { name, validation = 0, ...opts } = config.data;
  const tt = load(name, { ...opts, rng: data.child('dataset') });
  const held =
    typeof validation === 'number' && validation > 0 && !tt.validation ? split(tt.train, validation, data.child('validation')) : null;
  const train = held ? held.train : tt.train;
  const blind = config.evaluate === 'validation';
  const task = withObjective(config.task, taskFor(train, blind ? train : tt.test));
  const model = buildModel(config.model, {
    sampleShape: train.shape,
    outputs: train.kind === 'classification' ? train.classes : targetWidth(train),
    outputShape: task.outputShape,
  });
  return {
    model,
    task,
    train,
    validation: validation === 'test' ? tt.test : held ? held.validation : (tt.validation ?? null),
    test: blind ? sealed(tt.test) : tt.test,
  };
}

/** A split whose samples cannot be read: a trial scored on validation only holds its test split so. */
function sealed(ds: Dataset): Dataset {
  const refuse = () => {
    throw new DataError(
      `the test split of "${ds.name}" was read by a trial scored on validation only (a tuning trial); this is a bug: please report it`,
    );
  };
  // Descriptors, not a spread: a spread would read the samples it seals off.
  return Object.defineProperties(
    {},
    { ...Object.getOwnPropertyDescriptors(ds), x: { get: refuse, enumerable: true }, y: { get: refuse, enumerable: true } },
  ) as Dataset;
}
