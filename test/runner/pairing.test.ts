// Paired seeds: within a seed, every built-in rule that runs on a model starts from the same
// initial weights and sees the same first batch, so the report may compare rules seed by seed.
// The rules are every registered built-in that accepts the shared model (none named here); the
// first step's inputs are captured from inside the training loop, after the rule's own init.
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES } from '../../algorithms/index.ts';
import { SpecError } from '../../src/errors.ts';
import type { AnyRule } from '../../src/rules/rule.ts';
import { runTraining } from '../../src/runner/loop.ts';
import { startingParams } from '../../src/runner/param-files.ts';
import { nodeHost, prepareTrial, type TrialConfig } from '../../src/runner/trial.ts';

const config = (rule: AnyRule, seed: number): TrialConfig => ({
  experiment: 'pairing-test',
  rule: rule.id,
  options: {},
  seed,
  data: { name: 'blobs', train: 64, test: 16, classes: 3, features: 6, spread: 0.5 },
  model: { sizes: [6, 8, 8, 3], activation: 'relu', init: 'heUniform' },
  optimizer: { name: 'sgd', lr: 0.01 },
  batchSize: 16,
  epochs: 1,
  maxSteps: 1,
  evalEvery: 0,
  alignEvery: 0,
  alignSamples: 4,
  memory: false,
  debug: false,
});

interface FirstStep {
  params: number[][];
  x: number[];
  labels: number[];
}

/** The parameters and the batch the rule's first step receives; null when the rule refuses the model. */
function firstStep(rule: AnyRule, seed: number): FirstStep | null {
  const c = config(rule, seed);
  const data = prepareTrial(c);
  let seen: FirstStep | null = null;
  try {
    runTraining({
      config: c,
      id: `${rule.id}-${seed}`,
      rule,
      data,
      emit: () => {},
      host: nodeHost,
      start: (init) => startingParams(c, { seed, rule: rule.id }, data.model, data.train, init),
      observers: (t) => [
        {
          name: 'first-step',
          around(s, next) {
            if (s.step === 0)
              seen = {
                params: t.params.map((p) => p.toArray()),
                x: s.batch.x.toArray(),
                labels: Array.from(s.batch.labels ?? []),
              };
            return next();
          },
        },
      ],
    });
  } catch (e) {
    if (e instanceof SpecError) return null;
    throw e;
  }
  return seen;
}

describe('paired seeds', () => {
  it('give every rule that runs on the shared model the same initial weights and first batch', () => {
    for (const seed of [0, 7]) {
      const runs = BUILTIN_RULES.map((r) => ({ id: r.id, first: firstStep(r, seed) })).filter((r) => r.first !== null);
      // Most rules run on a plain MLP: the check compares many, not a lucky pair.
      expect(runs.length).toBeGreaterThan(BUILTIN_RULES.length / 2);
      const [base, ...others] = runs;
      for (const o of others) {
        expect({ rule: o.id, x: o.first!.x, labels: o.first!.labels }).toEqual({
          rule: o.id,
          x: base.first!.x,
          labels: base.first!.labels,
        });
        expect({ rule: o.id, params: o.first!.params }).toEqual({ rule: o.id, params: base.first!.params });
      }
    }
  });

  it('draw another start and another batch for another seed', () => {
    const [a, b] = [0, 7].map((seed) => firstStep(BUILTIN_RULES[0], seed)!);
    expect(a.x).not.toEqual(b.x);
    expect(a.params[0]).not.toEqual(b.params[0]);
  });
});
