// The playground's whole state, which the URL hash carries (so a link reproduces a run): the
// data (MNIST ignores noise, points, train share and inputs: it is the bundled subset), the network, the training settings, the seed and the rules trained side by side. One
// parser for the page and the worker; a bad value is refused naming its key, never guessed.

import { POINT_INPUTS, type PointInput } from '../../src/data/synthetic.ts';

export const DATASETS = ['circle', 'xor', 'gaussians', 'spirals', 'plane', 'bumps', 'mnist'] as const;
export type DatasetChoice = (typeof DATASETS)[number];
/** The sets whose target is a number (the model has one output and a squared-error loss), not a class. */
export const REGRESSION: readonly DatasetChoice[] = ['plane', 'bumps'];
/** The networks: a multilayer perceptron (hidden layers as given), or LeNet-5 (MNIST only). */
export const NETS = ['mlp', 'lenet5'] as const;

export interface PlaygroundState {
  seed: number;
  data: DatasetChoice;
  /** The generator's noise (for gaussians, the clusters' spread; for plane and bumps, the targets'). */
  noise: number;
  /** The features of each point the model is fed (x1, x2, x1², …), in order. */
  inputs: PointInput[];
  /** Points generated, train and test together. */
  points: number;
  /** Share of the points trained on; the rest are the test split. */
  trainShare: number;
  net: (typeof NETS)[number];
  /** The MLP's hidden layers (LeNet-5 has its own). */
  hidden: number[];
  /** An activation by the core's name (the worker checks it against ACTIVATION_NAMES: the page bundles no core). */
  activation: string;
  lr: number;
  /** L2 regularisation: weight decay added to every update (0: none). */
  l2: number;
  /** Clip the updates together to this global L2 norm (0: no clipping). */
  clip: number;
  batch: number;
  /**
   * Rules trained side by side on the same seed (same initial weights, same batches): an id, or
   * an id with options, `backprop:checkpoint=1` (several: `id:a=1;b=x`).
   */
  rules: string[];
}

export const DEFAULT_STATE: PlaygroundState = {
  seed: 1,
  data: 'circle',
  noise: 0.1,
  inputs: ['x1', 'x2'],
  points: 400,
  trainShare: 0.5,
  net: 'mlp',
  hidden: [8, 8],
  activation: 'tanh',
  lr: 0.1,
  l2: 0,
  clip: 0,
  batch: 16,
  rules: ['backprop'],
};

const KEYS: Record<keyof PlaygroundState, string> = {
  seed: 'seed',
  data: 'data',
  noise: 'noise',
  inputs: 'inputs',
  points: 'points',
  trainShare: 'train',
  net: 'net',
  hidden: 'hidden',
  activation: 'act',
  lr: 'lr',
  l2: 'l2',
  clip: 'clip',
  batch: 'batch',
  rules: 'rules',
};

/** Rules that train side by side at most (each run is a full trial in the worker). */
export const MAX_RULES = 3;

export class StateError extends Error {}

function num(key: string, v: string, lo: number, hi: number, integer: boolean): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < lo || n > hi || (integer && !Number.isInteger(n)))
    throw new StateError(`${key}: expected ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got "${v}"`);
  return n;
}

function oneOf<T extends string>(key: string, v: string, options: readonly T[]): T {
  if (!(options as readonly string[]).includes(v)) throw new StateError(`${key}: expected one of ${options.join(', ')}, got "${v}"`);
  return v as T;
}

/** The state a hash ("seed=1&data=xor&…", with or without '#') says; absent keys keep their defaults. */
export function parseState(hash: string): PlaygroundState {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const known = new Set(Object.values(KEYS));
  for (const k of q.keys()) if (!known.has(k)) throw new StateError(`${k}: unknown key; known: ${[...known].join(', ')}`);
  const s: PlaygroundState = {
    ...DEFAULT_STATE,
    inputs: [...DEFAULT_STATE.inputs],
    hidden: [...DEFAULT_STATE.hidden],
    rules: [...DEFAULT_STATE.rules],
  };
  const get = (k: keyof PlaygroundState) => q.get(KEYS[k]);
  let v: string | null;
  if ((v = get('seed')) !== null) s.seed = num('seed', v, 0, 2 ** 31 - 1, true);
  if ((v = get('data')) !== null) s.data = oneOf('data', v, DATASETS);
  if ((v = get('noise')) !== null) s.noise = num('noise', v, 0, 1, false);
  if ((v = get('inputs')) !== null) {
    s.inputs = v.split(',').map((f, i) => oneOf(`inputs[${i}]`, f, POINT_INPUTS));
    if (s.inputs.length < 1 || new Set(s.inputs).size < s.inputs.length)
      throw new StateError(`inputs: expected one or more of ${POINT_INPUTS.join(', ')}, each once, got "${v}"`);
  }
  if ((v = get('points')) !== null) s.points = num('points', v, 20, 4000, true);
  if ((v = get('trainShare')) !== null) s.trainShare = num('train', v, 0.1, 0.9, false);
  if ((v = get('net')) !== null) s.net = oneOf('net', v, NETS);
  if (s.net === 'lenet5' && s.data !== 'mnist') throw new StateError(`net: lenet5 reads images; data=${s.data} is points on a plane`);
  if ((v = get('hidden')) !== null) s.hidden = v === '' ? [] : v.split(',').map((u, i) => num(`hidden[${i}]`, u, 1, 64, true));
  if (s.hidden.length > 6) throw new StateError(`hidden: at most 6 layers, got ${s.hidden.length}`);
  if ((v = get('activation')) !== null) s.activation = v;
  if ((v = get('lr')) !== null) s.lr = num('lr', v, 1e-5, 10, false);
  if ((v = get('l2')) !== null) s.l2 = num('l2', v, 0, 1, false);
  if ((v = get('clip')) !== null) s.clip = num('clip', v, 0, 1000, false);
  if ((v = get('batch')) !== null) s.batch = num('batch', v, 1, 512, true);
  if ((v = get('rules')) !== null) s.rules = v.split(',').filter(Boolean);
  if (s.rules.length < 1 || s.rules.length > MAX_RULES) throw new StateError(`rules: expected 1 to ${MAX_RULES} rule ids, got "${v}"`);
  if (new Set(s.rules).size < s.rules.length) throw new StateError(`rules: each rule once, got "${v}"`);
  for (const r of s.rules) ruleEntry(r);
  return s;
}

/** A rules entry of the state as a rule id and its options (values read as numbers or booleans where they are). */
export function ruleEntry(entry: string): { rule: string; options: Record<string, number | string | boolean> } {
  const m = /^([a-z0-9][a-z0-9-]*)(?::(.+))?$/.exec(entry);
  if (!m) throw new StateError(`rules: "${entry}" is not a rule id (or id:option=value;…)`);
  const options: Record<string, number | string | boolean> = {};
  for (const pair of m[2]?.split(';') ?? []) {
    const [k, v, extra] = pair.split('=');
    if (!k || v === undefined || v === '' || extra !== undefined)
      throw new StateError(`rules: "${entry}": expected option=value, got "${pair}"`);
    options[k] = v === 'true' ? true : v === 'false' ? false : v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return { rule: m[1], options };
}

/** The hash for a state (every key, in a fixed order, so equal states give equal links). */
export function formatState(s: PlaygroundState): string {
  const q = new URLSearchParams();
  for (const k of Object.keys(KEYS) as (keyof PlaygroundState)[]) {
    const v = s[k];
    q.set(KEYS[k], Array.isArray(v) ? v.join(',') : String(v));
  }
  return q.toString();
}
