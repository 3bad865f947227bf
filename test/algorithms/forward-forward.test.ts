import { describe, expect, it } from 'vitest';
import { embedLabels, forwardForward, goodness, goodnessScores, layerInput, negativeLabels } from '../../algorithms/forward-forward.ts';
import { checkConformance } from '../../src/testing.ts';
import { runTrial, type EvalRecord, type TrialConfig } from '../../src/runner/trial.ts';
import {
  buildModel,
  blobs,
  classification,
  fromArray,
  lengthNormalize,
  linear,
  materialize,
  noGrad,
  relu,
  rng,
  ruleContext,
  type AnyRule,
  type Batch,
  type RuleContext,
  type Tensor,
} from '../../src/index.ts';

function setup(sizes = [12, 16, 16, 4], options: Record<string, string | number | boolean> = {}) {
  const model = buildModel({ sizes, activation: 'relu', init: 'heUniform' });
  const params = model.init(rng(5).child('init'));
  const classes = sizes[sizes.length - 1];
  const ds = blobs(48, classes, sizes[0], 0.5, rng(5).child('data'));
  const batch: Batch = { x: fromArray(ds.x, [ds.n, ds.features]), labels: ds.y, size: ds.n };
  const at = (step: number, ps: readonly Tensor[] = params) =>
    ruleContext({
      model,
      task: classification(classes),
      params: ps,
      step,
      rule: forwardForward as AnyRule,
      options,
      rng: rng(5).child('rule'),
      dropout: rng(5),
    }) as RuleContext<typeof forwardForward.defaults>;
  return { model, params, batch, ctx: at(0), at };
}

describe('forward-forward', () => {
  it('passes the conformance suite', () => {
    const failed = checkConformance(forwardForward).filter((c) => !c.ok);
    expect(failed).toEqual([]);
  });

  it('negative labels never carry the true label, and cover every other class', () => {
    const r = rng(1).child('negatives');
    const labels = Int32Array.from({ length: 5000 }, (_, i) => i % 10);
    const neg = negativeLabels(labels, 10, r);
    const seen = Array.from({ length: 10 }, () => new Set<number>());
    neg.forEach((c, i) => {
      expect(c).not.toBe(labels[i]);
      expect(c).toBeLessThan(10);
      seen[labels[i]].add(c);
    });
    for (const s of seen) expect(s.size).toBe(9);
  });

  it('embeds labels one-hot in the first features of a copy, leaving x untouched', () => {
    const x = fromArray([5, 5, 5, 5, 7, 7, 7, 7], [2, 4]);
    const e = embedLabels(
      x,
      [
        [1, 0],
        [2, 1],
      ],
      3,
      0.5,
    );
    expect(e.shape).toEqual([4, 4]);
    expect(e.toArray()).toEqual([0, 0.5, 0, 5, 0.5, 0, 0, 7, 0, 0, 0.5, 5, 0, 0.5, 0, 7]);
    expect(x.toArray()).toEqual([5, 5, 5, 5, 7, 7, 7, 7]);
  });

  it("normalization hides a layer's goodness from the next layer", () => {
    const h = relu(
      fromArray(
        Array.from({ length: 48 }, (_, i) => Math.sin(i) * 2),
        [3, 16],
      ),
    );
    const big = fromArray(
      Array.from(h.data, (v) => 3 * v),
      h.shape,
    );
    expect(goodness(big, 'sum').data[0]).toBeCloseTo(9 * goodness(h, 'sum').data[0], 3);
    const a = layerInput(1, h).toArray();
    const b = layerInput(1, big).toArray();
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 5));
  });

  it('no gradient crosses layers; the output layer gets zero updates', () => {
    const s = setup();
    const idx = (path: string, name = 'weight') => s.model.find(path)!.params[name].index;
    const u1 = materialize(forwardForward.step(s.ctx, null, s.batch).updates);
    // Change the second layer: the first layer's update must not move.
    const w2 = s.params[idx('fc2')];
    const params = s.params.map((p) =>
      p === w2
        ? fromArray(
            Array.from(p.data, (v) => v * -2 + 0.1),
            p.shape,
          )
        : p,
    );
    const u2 = materialize(forwardForward.step(s.at(0, params), null, s.batch).updates);
    for (const i of [idx('fc1'), idx('fc1', 'bias')]) expect(u2[i].toArray()).toEqual(u1[i].toArray());
    expect(u2[idx('fc2')].toArray()).not.toEqual(u1[idx('fc2')].toArray());
    for (const i of [idx('fc3'), idx('fc3', 'bias')]) expect(u1[i].data.every((v) => v === 0)).toBe(true);
    expect(u1[idx('fc1')].data.some((v) => v !== 0)).toBe(true);
  });

  it('layerwise schedule trains one hidden layer at a time', () => {
    const s = setup([12, 16, 16, 4], { schedule: 'layerwise', layerSteps: 5 });
    const nonzero = (step: number) =>
      materialize(forwardForward.step(s.at(step), null, s.batch).updates).map((u) => u.data.some((v) => v !== 0));
    const w = (path: string) => s.model.find(path)!.params.weight.index;
    expect([nonzero(0)[w('fc1')], nonzero(0)[w('fc2')]]).toEqual([true, false]);
    expect([nonzero(7)[w('fc1')], nonzero(7)[w('fc2')]]).toEqual([false, true]);
  });

  it('predict equals goodness summed over label-embedded forward passes, computed by hand', () => {
    for (const predictFrom of [0, 1]) {
      const s = setup([12, 16, 16, 4], { predictFrom });
      const p = (path: string, name: string) => s.params[s.model.find(path)!.params[name].index];
      const scores = noGrad(() => goodnessScores(s.at(0), s.batch.x));
      for (let c = 0; c < 4; c++) {
        const x = embedLabels(s.batch.x, [new Int32Array(s.batch.size).fill(c)], 4);
        const [g0, g1] = noGrad(() => {
          const h1 = relu(linear(lengthNormalize(x), p('fc1', 'weight'), p('fc1', 'bias')));
          const h2 = relu(linear(lengthNormalize(h1), p('fc2', 'weight'), p('fc2', 'bias')));
          return [goodness(h1, 'sum'), goodness(h2, 'sum')];
        });
        for (let i = 0; i < s.batch.size; i++) {
          const want = (predictFrom === 0 ? g0.data[i] : 0) + g1.data[i];
          expect(scores.data[i * 4 + c]).toBeCloseTo(want, 2);
        }
      }
    }
  });

  it('declares its own objective: the runner measures no alignment for it', () => {
    expect(forwardForward.estimates).toBe('own-objective');
    const config: TrialConfig = {
      experiment: 'test',
      rule: 'forward-forward',
      options: {},
      seed: 0,
      data: { name: 'blobs', train: 64, test: 32, classes: 4, features: 12, spread: 0.5 },
      model: { sizes: [12, 16, 16, 4], activation: 'relu', init: 'heUniform' },
      optimizer: { name: 'adam', lr: 0.01 },
      batchSize: 16,
      epochs: 1,
      maxSteps: 0,
      evalEvery: 0,
      alignEvery: 1,
      alignSamples: 16,
      memory: false,
      debug: false,
    };
    const records: Array<EvalRecord | { type: 'summary'; meanCosine: number | null; objective: string | null }> = [];
    runTrial(config, 't', forwardForward, (r) => records.push(r as never));
    const evals = records.filter((r): r is EvalRecord => r.type === 'eval');
    expect(evals.every((e) => e.alignment.length === 0 && e.estimates === 'own-objective' && e.objective)).toBe(true);
    const summary = records.at(-1) as { meanCosine: number | null; objective: string | null };
    expect(summary.meanCosine).toBeNull();
    expect(summary.objective).toMatch(/goodness/);
  });

  it('after training on blobs, positives have higher goodness than negatives and predict beats chance', () => {
    const config: TrialConfig = {
      experiment: 'test',
      rule: 'forward-forward',
      options: {},
      seed: 0,
      data: { name: 'blobs', train: 1000, test: 400, classes: 4, features: 16, spread: 0.5 },
      model: { sizes: [16, 32, 32, 4], activation: 'relu', init: 'heUniform' },
      optimizer: { name: 'adam', lr: 0.01 },
      batchSize: 50,
      epochs: 8,
      maxSteps: 0,
      evalEvery: 0,
      alignEvery: 0,
      alignSamples: 16,
      memory: false,
      debug: false,
    };
    const evals: EvalRecord[] = [];
    runTrial(config, 't', forwardForward, (r) => r.type === 'eval' && evals.push(r));
    const first = evals[0].metrics;
    const last = evals[evals.length - 1];
    for (const k of ['fc1', 'fc2']) {
      const gap = (m: Record<string, number>) => m[`${k}.goodnessPos`] - m[`${k}.goodnessNeg`];
      expect(gap(last.metrics)).toBeGreaterThan(0);
      expect(gap(last.metrics)).toBeGreaterThan(gap(first));
    }
    expect(last.testAcc).toBeGreaterThan(0.8);
  });
});
