// Spec fuzz through the whole pipeline: seeded random mutations of a valid spec are either
// refused by validation and preflight with an error naming a field (or a data file), or they
// run (a couple of steps on synthetic data) without a trial failing — never a stack trace, never
// a failure that validation could have seen.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataError, SpecError } from '../../src/errors.ts';
import { useBackendFromEnv, type BackendName } from '../../src/kernels/select.ts';
import { rng } from '../../src/random.ts';
import { executeTrial, loadBuiltins, resolveExperiment } from '../../src/runner/execute.ts';
import { preflight } from '../../src/runner/preflight.ts';
import { prepareOutput } from '../../src/runner/records.ts';
import type { ExperimentSpec } from '../../src/runner/spec.ts';
import { tmp } from './helpers.ts';

const base = () => ({
  name: 'fuzz',
  data: { name: 'blobs', train: 48, test: 16, classes: 3, features: 4, validation: 8 },
  model: { sizes: [4, 8, 3], activation: 'tanh' },
  optimizer: { name: 'sgd', lr: 0.1 },
  rules: ['backprop', { rule: 'feedback-alignment', grid: { variant: ['fa', 'usf'] } }],
  seeds: [0],
  epochs: 1,
  batchSize: 8,
  alignEvery: 1,
});

// Values worth trying at each field: valid but unusual ones (they must then run), and junk.
const PLAUSIBLE: Record<string, unknown[]> = {
  name: ['other-name', 'a b'],
  data: [
    { name: 'teacher-student', train: 32, test: 8, features: 4, outFeatures: 3 },
    { name: 'teacher-student', train: 32, test: 8, features: 4, hidden: 2, outFeatures: 3, validation: 0.25 },
    { name: 'xor', noise: 0.1, train: 40, test: 8 },
    { name: 'xor' },
    { name: 'spirals', train: 40, test: 8, noise: 0.3 },
    { name: 'mnist', train: 40, test: 10 },
  ],
  'data.name': ['blobs', 'xor', 'spirals', 'teacher-student', 'mnist', 'cifar'],
  'data.train': [1, 8, 16, 47, 64, 0],
  'data.test': [1, 5, 64],
  'data.validation': [0, 0.25, 0.99, 1, 40, 48],
  'data.classes': [1, 2, 10, 300],
  'data.features': [2, 4, 6],
  'data.spread': [0, 3],
  'data.noise': [0, 0.1],
  'data.hidden': [3],
  'data.outFeatures': [1, 3],
  'data.dir': ['./nowhere'],
  'model.sizes': [
    [4, 3],
    [4, 16, 16, 3],
    [2, 8, 2],
    [2, 8, 1],
    [4, 8, 1],
    [784, 8, 10],
  ],
  'model.sizes.0': [2, 4, 5],
  'model.sizes.1': [1, 32],
  'model.sizes.2': [1, 2, 3],
  'model.activation': ['relu', 'sigmoid', 'gelu', 'x * sigmoid(x)', 'swoosh('],
  'model.init': ['xavierUniform', 'heNormal', 'zeros', 'fa'],
  'model.dropout': [0, 0.5, 1],
  'model.layerNorm': [true],
  'model.residual': [true],
  'optimizer.name': ['sgd', 'adam', 'momentum', 'adamw', 'rmsprop', 'adagrad'],
  'optimizer.lr': [0.01, 1, 1e6, -1, 0],
  // Not clipNorm: with a rule that streams its updates (MeZO) it fails at the first step, and
  // rules do not yet declare that they stream, so validation cannot see it.
  'optimizer.clipValue': [1, 0],
  'optimizer.weightDecay': [0.01],
  // Not forward-forward: on a regression set it fails at its first step (classification only),
  // undeclared like clipNorm's case below, so validation cannot see it yet.
  'rules.0': ['direct-feedback-alignment', 'mezo', 'straight-through', 'reinforce', 'gumbel-softmax', 'synthetic-gradients', 'backprob'],
  'rules.1.rule': ['backprop', 'direct-feedback-alignment'],
  'rules.1.grid.variant': [['brsf', 'frsf'], ['nope']],
  'rules.1.options': [{ variant: 'frsf' }, { varient: 'fa' }],
  'rules.1.optimizer': [{ name: 'adam', lr: 0.01 }, { name: 'sgd' }],
  seeds: [[1, 2], [3]],
  'seeds.0': [5, -1],
  epochs: [2, 0],
  batchSize: [1, 40, 41, 48],
  maxSteps: [1, 3, 0],
  evalEvery: [1, 2],
  alignEvery: [0, 2],
  memory: [false],
  divergence: [{ maxLoss: 1 }, { factor: 2 }, { factor: 0.5 }],
  // Backprop costs 2 + 24/56 a step on the 4-8-3 net: 1 is less than one step (refused in preflight), 9 stops after 3.
  budget: [{ forwardPasses: 9 }, { forwardPasses: 1 }, { wallSeconds: 60 }, { forwardPasses: 9, wallSeconds: 1 }],
  'rules.1.budget': [{ forwardPasses: 6 }, { wallSeconds: -1 }],
  bogus: [1],
};
const PATHS = Object.keys(PLAUSIBLE);
const JUNK: unknown[] = [-1, 2.5, 1e9, NaN, Infinity, '', 'x', null, undefined, true, [], {}, [1, 'a'], { name: 'x' }];

function mutate(spec: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = spec as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) {
    if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete o[last];
  else o[last] = structuredClone(value);
}

/** Names a spec field or flag, or (data errors) a file. */
const NAMES_A_FIELD =
  /^(spec\.\w+|name|data(\.\w+)?|model(\.sizes(\[\d+\])?|\.\w+)?|optimizer(\.\w+)?|rules(\[\d+\])?(\.\w+)*|seeds(\[\d+\])?|epochs|batchSize|maxSteps|evalEvery|alignEvery|memory|divergence(\.\w+)?|budget(\.\w+)?|description|references(\[\d+\])?(\.\w+)?|quick|--[\w-]+)[ :]/;

let backend: BackendName;
beforeAll(async () => {
  backend = await useBackendFromEnv();
  await loadBuiltins();
});

describe('spec fuzz', () => {
  it('500 seeded mutations: refused naming a field, or run without a failed trial', async () => {
    const r = rng('spec-fuzz');
    const out = tmp('fuzz');
    prepareOutput(out);
    const seen = { refused: 0, ran: 0, trials: 0 };
    for (let i = 0; i < 500; i++) {
      const spec = base() as unknown as Record<string, unknown>;
      const changes: string[] = [];
      for (let k = 0; k <= r.int(3); k++) {
        const path = PATHS[r.int(PATHS.length)];
        const pool = r.uniform() < 0.7 ? PLAUSIBLE[path] : JUNK;
        const value = pool[r.int(pool.length)];
        mutate(spec, path, value);
        changes.push(`${path} = ${JSON.stringify(value) ?? String(value)}`);
      }
      const what = `mutation ${i}: ${changes.join(', ')}`;
      let trials;
      try {
        const loaded = await resolveExperiment(spec as unknown as ExperimentSpec, {}, join(out, 'spec.ts'));
        preflight(loaded.spec, loaded.trials, { backend, workers: 1, keepData: true });
        trials = loaded.trials;
      } catch (e) {
        expect.soft(e instanceof SpecError || e instanceof DataError, `${what}: ${(e as Error).stack}`).toBe(true);
        // A data error names its file instead.
        expect.soft((e as Error).message, what).toMatch(e instanceof DataError ? /\/\S+/ : NAMES_A_FIELD);
        seen.refused++;
        continue;
      }
      seen.ran++;
      // Two steps of the first two trials: enough to meet every setting once.
      for (const t of trials.slice(0, 2)) {
        const s = executeTrial({ ...t, config: { ...t.config, maxSteps: 2, epochs: Math.min(t.config.epochs, 2) } }, out);
        expect.soft(s.status, `${what}: ${s.error}`).not.toBe('failed');
        seen.trials++;
      }
    }
    expect(seen.refused).toBeGreaterThan(100);
    expect(seen.ran).toBeGreaterThan(100);
  });
});
