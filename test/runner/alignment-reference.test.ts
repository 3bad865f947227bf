// The alignment reference the runner picks from what a rule declares: backprop's gradient on the
// same batch and dropout masks, the expected gradient of the stochastic net a rule trains, or
// none for a rule with its own objective — measured outside the step's time and memory.
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES } from '../../algorithms/index.ts';
import { runTrial, type EvalRecord, type SummaryRecord, type TrialConfig, type TrialRecord } from '../../src/runner/trial.ts';
import { stepReference } from '../../src/runner/reference.ts';
import {
  blobs,
  buildModel,
  classification,
  compare,
  fromArray,
  materialize,
  rng,
  ruleContext,
  trueGradient,
  type AnyRule,
  type ModelSpec,
} from '../../src/index.ts';

const rule = (id: string): AnyRule => BUILTIN_RULES.find((r) => r.id === id)!;

function run(id: string, over: Partial<TrialConfig> = {}): { evals: EvalRecord[]; summary: SummaryRecord } {
  const config: TrialConfig = {
    experiment: 'test',
    rule: id,
    options: {},
    seed: 3,
    data: { name: 'blobs', train: 96, test: 32, classes: 3, features: 8, spread: 0.6 },
    model: { sizes: [8, 16, 16, 3], activation: 'tanh', init: 'xavierUniform' },
    optimizer: { name: 'sgd', lr: 0.1 },
    batchSize: 16,
    epochs: 1,
    maxSteps: 0,
    evalEvery: 1,
    alignEvery: 1,
    alignSamples: 32,
    memory: true,
    debug: false,
    ...over,
  };
  const records: TrialRecord[] = [];
  const summary = runTrial(config, 't', rule(id), (r) => records.push(r));
  return { evals: records.filter((r): r is EvalRecord => r.type === 'eval'), summary };
}

describe('alignment reference', () => {
  it('backprop with dropout 0.5 matches its reference at every point: the reference sees the same masks', () => {
    const { evals, summary } = run('backprop', { model: { sizes: [8, 16, 16, 3], activation: 'tanh', dropout: 0.5 } });
    const points = evals.flatMap((e) => e.alignment);
    expect(points.length).toBe(6);
    for (const p of points) {
      expect(p.reference).toBe('task-gradient');
      expect(p.overall.cosine).toBeGreaterThanOrEqual(0.99999);
      expect(p.referenceStdErr).toBeNull();
      // Backprop delivers exactly backprop's δ to every hidden layer.
      expect(p.errorSignals.map((s) => s.layer)).toEqual(['fc1', 'fc2']);
      for (const s of p.errorSignals) expect(s.cosine).toBeGreaterThanOrEqual(0.99999);
    }
    expect(summary.alignmentReference).toBe('task-gradient');
    expect(summary.meanErrorSignalCosine).toBeGreaterThanOrEqual(0.99999);
  });

  it('stochastic rules are compared with the expected gradient of the net they train (exact on a tiny net)', () => {
    const tiny: ModelSpec = { sizes: [8, 3, 3, 3], activation: 'sigmoid', init: 'xavierUniform' };
    for (const id of ['straight-through', 'reinforce', 'gumbel-softmax']) {
      const { evals, summary } = run(id, { model: tiny });
      const points = evals.flatMap((e) => e.alignment);
      expect(points.length, id).toBeGreaterThan(0);
      for (const p of points) {
        expect(p.reference, id).toBe('expected-gradient');
        // Six units: the reference is enumerated, so it carries no sampling error.
        expect(p.referenceStdErr, id).toBeNull();
        expect(p.errorSignals, id).toEqual([]);
      }
      expect(summary.alignmentReference, id).toBe('expected-gradient');
    }
  });

  it('a sampled expected-gradient reference carries its Monte Carlo standard error', () => {
    const { evals } = run('straight-through', { model: { sizes: [8, 12, 12, 3], activation: 'sigmoid' }, maxSteps: 2 });
    const p = evals[0].alignment[0];
    expect(p.reference).toBe('expected-gradient');
    expect(p.referenceStdErr).toBeGreaterThan(0);
    expect(p.referenceStdErr).toBeLessThan(1);
  });

  it('straight-through’s mean update points where its reference, the exact expected gradient, points — not the deterministic net’s gradient', () => {
    const model = buildModel({ sizes: [8, 3, 3, 3], activation: 'sigmoid', init: 'xavierUniform' });
    const params = model.init(rng(1));
    // Larger weights than the init: units away from σ = ½, where the two references differ.
    for (const p of params) for (let i = 0; i < p.size; i++) p.data[i] *= 2;
    const ds = blobs(16, 3, 8, 0.6, rng(2));
    const batch = { x: fromArray(ds.x, [16, 8]), labels: ds.y, size: 16 };
    const st = rule('straight-through');
    const ctx = (step: number) => ruleContext({ model, task: classification(3), params, rule: st, rng: rng(3), dropout: rng(4), step });
    const ref = stepReference(st, ctx(0), null, batch, { samples: 64, rng: rng(5) })!;
    expect(ref.kind).toBe('expected-gradient');
    const deterministic = trueGradient(model, classification(3), params, batch, ctx(0).train).grads;
    const mean = params.map((p) => new Float64Array(p.size));
    for (let s = 0; s < 1000; s++)
      materialize(st.step(ctx(s), null, batch).updates).forEach((u, i) => u.data.forEach((v, k) => (mean[i][k] += v)));
    const flat = (ts: ArrayLike<number>[]) =>
      fromArray(
        ts.flatMap((t) => Array.from(t)),
        [ts.reduce((a, t) => a + t.length, 0)],
      );
    const cos = (ref: ArrayLike<number>[]) => compare(flat(mean), flat(ref)).cosine;
    expect(cos(ref.grads.map((g) => g.data))).toBeGreaterThan(0.97);
    expect(cos(deterministic.map((g) => g.data))).toBeLessThan(0.94);
  });

  it('a rule with its own objective gets no alignment figures, only its objective’s name', () => {
    const { evals, summary } = run('forward-forward', {
      data: { name: 'blobs', train: 96, test: 32, classes: 3, features: 8, spread: 0.6 },
    });
    expect(evals.every((e) => e.alignment.length === 0 && e.estimates === 'own-objective')).toBe(true);
    expect(summary.alignmentReference).toBeNull();
    expect(summary.objective).toMatch(/goodness/);
  });

  for (const id of ['backprop', 'feedback-alignment', 'synthetic-gradients', 'straight-through']) {
    it(`${id}: measuring alignment adds nothing to the step's memory`, () => {
      // Every step's peak has its own record (evalEvery 1); alignment on even steps only.
      const { evals } = run(id, { alignEvery: 2, maxSteps: 4 });
      const peaks = evals.map((e) => e.memory!.peakBytes);
      expect(evals.map((e) => e.alignment.length)).toEqual([1, 0, 1, 0]);
      expect(peaks[0]).toBe(peaks[1]);
      expect(peaks[2]).toBe(peaks[3]);
    });
  }
});
