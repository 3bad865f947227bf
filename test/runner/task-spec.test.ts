// A spec's `task` names an objective other than the data's own loss: validated with the accepted
// names, carried into every trial, and absent from the trial id when not given (ids of existing
// experiments do not change).
import { beforeAll, describe, expect, it } from 'vitest';
import { SpecError, getRule } from '../../src/index.ts';
import { loadBuiltins } from '../../src/runner/execute.ts';
import { canonical, expandTrials, validateSpec, type ExperimentSpec } from '../../src/runner/spec.ts';

const base = (): ExperimentSpec => ({
  name: 'ok',
  data: { name: 'blobs', train: 64, test: 16, classes: 3, features: 4 },
  model: { sizes: [4, 8, 3], activation: 'tanh' },
  optimizer: { name: 'sgd', lr: 0.1 },
  rules: ['evolution-strategies'],
  seeds: [0],
  epochs: 1,
  batchSize: 8,
});

beforeAll(() => loadBuiltins());

describe('spec task', () => {
  it('refuses an unknown objective, naming the field and the accepted ones', () => {
    expect(() => validateSpec({ ...base(), task: 'accuracy' }, getRule)).toThrow(SpecError);
    expect(() => validateSpec({ ...base(), task: 'accuracy' }, getRule)).toThrow(
      /^task: unknown objective "accuracy"; accepted: classification-error/,
    );
  });

  it('is carried into the trials; without it the config (and so the id) has no task field', () => {
    const [plain] = expandTrials(validateSpec(base(), getRule));
    const [error] = expandTrials(validateSpec({ ...base(), task: 'classification-error' }, getRule));
    expect(error.config.task).toBe('classification-error');
    expect(error.id).not.toBe(plain.id);
    expect(canonical(plain.config)).not.toContain('task');
  });
});
