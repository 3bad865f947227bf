// A playground state as the trial config of one rule: the same config the CLI runs (so a run
// exported from the page reruns through `rulebench run`), and the dataset loader it needs.
import {
  blobsDataset,
  bumpsDataset,
  circleDataset,
  planeDataset,
  spiralsDataset,
  xorDataset,
  applyTransforms,
  subset,
  type Dataset,
  type LoadData,
  type TrialConfig,
} from '../../src/core.ts';
import type { TrainTest } from '../../src/data/dataset-kind.ts';
import { MNIST_TEST, MNIST_TRAIN } from './mnist-subset.ts';
import type { ExperimentSpec } from '../../src/index.ts';
import { DEFAULT_STATE, formatState, REGRESSION, ruleEntry, type PlaygroundState } from './state.ts';

/**
 * Evaluate and measure alignment after every step on the 2-D sets, so the page's curves and
 * cosines are per step; every 10 on MNIST, where an evaluation is 1,250 images.
 */
export const evalEvery = (s: PlaygroundState) => (s.data === 'mnist' ? 10 : 1);
const EPOCHS = 100_000;

/**
 * The core's dataset spec for the state's data (gaussians: two blobs whose spread grows with the
 * noise), with the inputs chosen (left out when they are the points themselves, as a CLI user writes it).
 */
export function dataConfig(s: PlaygroundState): TrialConfig['data'] {
  // LeNet-5 was built for 32×32: MNIST's 28×28 padded by 2, as LeCun's were.
  if (s.data === 'mnist') return { name: 'mnist', train: MNIST_TRAIN, test: MNIST_TEST, ...(s.net === 'lenet5' ? { pad: 2 } : {}) };
  const train = Math.round(s.points * s.trainShare);
  const plain = s.inputs.join() === DEFAULT_STATE.inputs.join();
  const rest = { train, test: s.points - train, ...(plain ? {} : { inputs: [...s.inputs] }) };
  if (s.data === 'gaussians') return { name: 'blobs', classes: 2, features: 2, spread: 0.1 + s.noise, ...rest };
  return { name: s.data, noise: s.noise, ...rest };
}

/** The model's outputs: a class score each (two classes), or the regression target. */
export const outputsFor = (s: PlaygroundState) => (s.data === 'mnist' ? 10 : REGRESSION.includes(s.data) ? 1 : 2);

function modelFor(s: PlaygroundState): TrialConfig['model'] {
  if (s.net === 'lenet5') return { preset: 'lenet5', activation: s.activation };
  return { sizes: [s.data === 'mnist' ? 28 * 28 : s.inputs.length, ...s.hidden, outputsFor(s)], activation: s.activation };
}

/** The optimizer: plain SGD, with weight decay and global-norm clipping only when asked (a spec without them is what a CLI user writes). */
function optimizerFor(s: PlaygroundState): TrialConfig['optimizer'] {
  return { name: 'sgd', lr: s.lr, ...(s.l2 > 0 ? { weightDecay: s.l2 } : {}), ...(s.clip > 0 ? { clipNorm: s.clip } : {}) };
}

/** The trial config of one rules entry (an id, or id:option=value). */
export function configFor(s: PlaygroundState, entry: string): TrialConfig {
  const { rule, options } = ruleEntry(entry);
  return {
    experiment: 'playground',
    rule,
    options,
    seed: s.seed,
    data: dataConfig(s),
    model: modelFor(s),
    optimizer: optimizerFor(s),
    batchSize: s.batch,
    // As many as a spec may ask: the page, not an epoch count, ends a run.
    epochs: EPOCHS,
    maxSteps: 0,
    evalEvery: evalEvery(s),
    alignEvery: evalEvery(s),
    alignSamples: 64,
    // The memory ledger by category, as the CLI measures it by default.
    memory: true,
    debug: false,
  };
}

const POINT_SETS = {
  xor: xorDataset,
  spirals: spiralsDataset,
  circle: circleDataset,
  blobs: blobsDataset,
  plane: planeDataset,
  bumps: bumpsDataset,
};

/**
 * The playground's datasets by name, loaded exactly as the CLI's loadDataset loads them: the
 * generated point sets, and MNIST from the bundled subset (its first samples, padded by the
 * core's own transform).
 */
export function dataLoader(mnist: TrainTest | null): LoadData {
  return (name, opts) => {
    if (name === 'mnist') {
      if (!mnist) throw new Error('data.name: the MNIST subset is not loaded');
      const t = { resize: opts.resize, pad: opts.pad, normalize: opts.normalize };
      const take = (ds: Dataset, n: number | undefined) => applyTransforms(n === undefined ? ds : subset(ds, n), t);
      return { train: take(mnist.train, opts.train), test: take(mnist.test, opts.test) };
    }
    const kind = POINT_SETS[name as keyof typeof POINT_SETS];
    if (!kind) throw new Error(`data.name: the playground loads ${[...Object.keys(POINT_SETS), 'mnist'].join(', ')}, not "${name}"`);
    return kind.load(opts as never);
  };
}

/** The generated point sets alone (no MNIST). */
export const loadPoints = dataLoader(null);

/**
 * The experiment spec that reruns the state's runs through the CLI for the `steps` taken:
 * `rulebench run` on it writes the page's records (apart from timing and the trial ids, which
 * the CLI derives from a hash of the config). A rule from a file loaded into the page is named
 * by that file, beside the spec.
 */
export function specFor(s: PlaygroundState, steps: number, ruleFiles: ReadonlyMap<string, string> = new Map()): ExperimentSpec {
  const c = configFor(s, s.rules[0]);
  return {
    name: c.experiment,
    description: `exported from the playground: #${formatState(s)}`,
    data: c.data,
    model: c.model,
    optimizer: c.optimizer,
    rules: s.rules.map((e) => {
      const { rule: id, options } = ruleEntry(e);
      // A rule from a file loaded into the page: the CLI loads the same file, put beside the spec.
      const rule = ruleFiles.has(id) ? `./${ruleFiles.get(id)}#${id}` : id;
      return Object.keys(options).length ? { rule, options } : rule;
    }),
    seeds: [c.seed],
    epochs: c.epochs,
    batchSize: c.batchSize,
    maxSteps: steps,
    evalEvery: c.evalEvery,
    alignEvery: c.alignEvery,
    alignSamples: c.alignSamples,
    memory: c.memory,
  };
}

/** A spec as a module `rulebench run` loads (its default export). */
export function specModule(spec: ExperimentSpec): string {
  return `// rulebench run this-file.mjs --out DIR reruns the playground's runs.\nexport default ${JSON.stringify(spec, null, 2)};\n`;
}
