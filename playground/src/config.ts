// A playground state as the trial config of one rule: the same config the CLI runs (so a run
// exported from the page reruns through `rulebench run`), and the dataset loader it needs.
import {
  blobsDataset,
  bumpsDataset,
  circleDataset,
  planeDataset,
  spiralsDataset,
  xorDataset,
  type LoadData,
  type TrialConfig,
} from '../../src/core.ts';
import type { ExperimentSpec } from '../../src/index.ts';
import { DEFAULT_STATE, formatState, REGRESSION, type PlaygroundState } from './state.ts';

/** Evaluate and measure alignment after every step: the page's curves and cosines are per step. */
export const EVAL_EVERY = 1;
const EPOCHS = 100_000;

/**
 * The core's dataset spec for the state's data (gaussians: two blobs whose spread grows with the
 * noise), with the inputs chosen (left out when they are the points themselves, as a CLI user writes it).
 */
export function dataConfig(s: PlaygroundState): TrialConfig['data'] {
  const train = Math.round(s.points * s.trainShare);
  const plain = s.inputs.join() === DEFAULT_STATE.inputs.join();
  const rest = { train, test: s.points - train, ...(plain ? {} : { inputs: [...s.inputs] }) };
  if (s.data === 'gaussians') return { name: 'blobs', classes: 2, features: 2, spread: 0.1 + s.noise, ...rest };
  return { name: s.data, noise: s.noise, ...rest };
}

/** The model's outputs: a class score each (two classes), or the regression target. */
export const outputsFor = (s: PlaygroundState) => (REGRESSION.includes(s.data) ? 1 : 2);

export function configFor(s: PlaygroundState, rule: string): TrialConfig {
  return {
    experiment: 'playground',
    rule,
    options: {},
    seed: s.seed,
    data: dataConfig(s),
    model: { sizes: [s.inputs.length, ...s.hidden, outputsFor(s)], activation: s.activation },
    // Weight decay only when asked: a spec without it is the plain SGD a CLI user writes.
    optimizer: s.l2 > 0 ? { name: 'sgd', lr: s.lr, weightDecay: s.l2 } : { name: 'sgd', lr: s.lr },
    batchSize: s.batch,
    // As many as a spec may ask: the page, not an epoch count, ends a run.
    epochs: EPOCHS,
    maxSteps: 0,
    evalEvery: EVAL_EVERY,
    alignEvery: EVAL_EVERY,
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

/** The generated point sets by name, loaded exactly as the CLI's loadDataset loads them (no transforms here). */
export const loadPoints: LoadData = (name, opts) => {
  const kind = POINT_SETS[name as keyof typeof POINT_SETS];
  if (!kind) throw new Error(`data.name: the playground generates ${Object.keys(POINT_SETS).join(', ')}, not "${name}"`);
  return kind.load(opts as never);
};

/**
 * The experiment spec that reruns the state's runs through the CLI for the `steps` taken:
 * `rulebench run` on it writes the page's records (apart from timing and the trial ids, which
 * the CLI derives from a hash of the config).
 */
export function specFor(s: PlaygroundState, steps: number): ExperimentSpec {
  const c = configFor(s, s.rules[0]);
  return {
    name: c.experiment,
    description: `exported from the playground: #${formatState(s)}`,
    data: c.data,
    model: c.model,
    optimizer: c.optimizer,
    rules: [...s.rules],
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
