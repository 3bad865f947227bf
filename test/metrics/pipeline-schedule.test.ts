// The pipeline simulator against closed forms. With equal stage costs f (forward) and b (backward)
// and no update time: GPipe takes (M+K−1)(f+b), a bubble of (K−1)/(M+K−1); 1F1B the same time
// with at most K micro-batches' activations held instead of M; a rule whose backward waits for
// nothing, or only for the output error, loses only the forward fill: (K−1)f + M(f+b).
import { describe, expect, it } from 'vitest';
import { simulatePipeline, splitStages, type PipelineCase, type StageCost } from '../../src/metrics/pipeline-schedule.ts';
import { rng } from '../../src/random.ts';
import { backprop, directFeedbackAlignment, forwardForward, syntheticGradients } from '../../algorithms/index.ts';

const equal = (K: number, forward = 1, backward = 2, update = 0): StageCost[] =>
  Array.from({ length: K }, () => ({ forward, backward, update }));
const sim = (c: Partial<PipelineCase> & { stages: StageCost[] }) =>
  simulatePipeline({ microBatches: 4, schedule: 'gpipe', waitsFor: 'layer-above', ...c });

describe('pipeline schedule simulator', () => {
  const grid = [1, 2, 4, 8].flatMap((K) => [1, 3, 8, 16].map((M) => [K, M] as const));

  it.each(grid)('GPipe, backprop, K=%i M=%i: time (M+K−1)(f+b), bubble (K−1)/(M+K−1)', (K, M) => {
    const r = sim({ stages: equal(K, 1, 2), microBatches: M });
    expect(r.timePerStep).toBeCloseTo((M + K - 1) * 3, 9);
    expect(r.bubble).toBeCloseTo((K - 1) / (M + K - 1), 12);
    expect(r.utilisation).toBeCloseTo(1 - (K - 1) / (M + K - 1), 12);
    expect(r.peakActivations).toEqual(new Array(K).fill(M));
  });

  it.each(grid)('1F1B, backprop, K=%i M=%i: the same time and bubble, at most min(K−s, M) activations at stage s', (K, M) => {
    const r = sim({ stages: equal(K, 1, 2), microBatches: M, schedule: '1f1b' });
    expect(r.timePerStep).toBeCloseTo((M + K - 1) * 3, 9);
    expect(r.bubble).toBeCloseTo((K - 1) / (M + K - 1), 12);
    expect(r.peakActivations).toEqual(Array.from({ length: K }, (_, s) => Math.min(K - s, M)));
  });

  it.each(grid)('1F1B, backward waiting for nothing or only the output error, K=%i M=%i: time (K−1)f + M(f+b)', (K, M) => {
    const fill = (K - 1) * 1;
    const time = fill + M * 3;
    for (const waitsFor of ['nothing', 'output-error'] as const) {
      const r = sim({ stages: equal(K, 1, 2), microBatches: M, schedule: '1f1b', waitsFor });
      expect(r.timePerStep).toBeCloseTo(time, 9);
      expect(r.bubble).toBeCloseTo(fill / time, 12);
    }
    // Waiting for nothing, a stage holds one micro-batch's activations at a time.
    expect(sim({ stages: equal(K), microBatches: M, schedule: '1f1b', waitsFor: 'nothing' }).peakActivations).toEqual(new Array(K).fill(1));
  });

  it('the update runs once per stage after its last backward: it adds u to the step', () => {
    const r = sim({ stages: equal(4, 1, 2, 5), microBatches: 8 });
    expect(r.timePerStep).toBeCloseTo((8 + 3) * 3 + 5, 9);
    const updates = r.ops.filter((o) => o.kind === 'update');
    expect(updates.map((o) => o.stage).sort()).toEqual([0, 1, 2, 3]);
    for (const u of updates) {
      const lastBackward = Math.max(...r.ops.filter((o) => o.stage === u.stage && o.kind === 'backward').map((o) => o.end));
      expect(u.start).toBeGreaterThanOrEqual(lastBackward);
    }
  });

  it('respects every dependency and never runs two operations on one device at once (unequal costs)', () => {
    const stages: StageCost[] = [
      { forward: 1, backward: 3, update: 0.5 },
      { forward: 2.5, backward: 1, update: 0 },
      { forward: 0.5, backward: 4, update: 1 },
    ];
    for (const schedule of ['gpipe', '1f1b'] as const)
      for (const waitsFor of ['layer-above', 'output-error', 'nothing'] as const) {
        const r = sim({ stages, microBatches: 5, schedule, waitsFor });
        const end = (s: number, kind: string, m: number) => r.ops.find((o) => o.stage === s && o.kind === kind && o.micro === m)!.end;
        expect(r.ops).toHaveLength(3 * (2 * 5 + 1));
        for (const o of r.ops) {
          expect(o.end - o.start).toBeCloseTo(stages[o.stage][o.kind], 12);
          if (o.kind === 'forward' && o.stage > 0) expect(o.start).toBeGreaterThanOrEqual(end(o.stage - 1, 'forward', o.micro));
          if (o.kind === 'backward') {
            expect(o.start).toBeGreaterThanOrEqual(end(o.stage, 'forward', o.micro));
            if (waitsFor === 'layer-above' && o.stage < 2) expect(o.start).toBeGreaterThanOrEqual(end(o.stage + 1, 'backward', o.micro));
            if (waitsFor === 'output-error') expect(o.start).toBeGreaterThanOrEqual(end(2, 'forward', o.micro));
          }
        }
        for (let s = 0; s < 3; s++) {
          const mine = r.ops.filter((o) => o.stage === s).sort((a, b) => a.start - b.start);
          for (let i = 1; i < mine.length; i++) expect(mine[i].start).toBeGreaterThanOrEqual(mine[i - 1].end);
        }
      }
  });

  it('one stage is a plain step: no bubble', () => {
    const r = sim({ stages: equal(1, 1, 2, 1), microBatches: 3 });
    expect(r.timePerStep).toBe(3 * 3 + 1);
    expect(r.bubble).toBe(0);
  });

  it('refuses bad input with the field named', () => {
    expect(() => sim({ stages: [] })).toThrow(/stages: need at least one/);
    expect(() => sim({ stages: equal(2), microBatches: 0 })).toThrow(/microBatches: expected a positive integer, got 0/);
    expect(() => sim({ stages: [{ forward: 1, backward: NaN, update: 0 }] })).toThrow(/stages\[0\]\.backward: expected a finite time/);
  });

  it('rules declare what their updates wait for', () => {
    expect(backprop.updateWaitsFor).toBe('layer-above');
    expect(directFeedbackAlignment.updateWaitsFor).toBe('output-error');
    expect(syntheticGradients.updateWaitsFor).toBe('nothing');
    expect(forwardForward.updateWaitsFor).toBe('nothing');
  });

  it('splitStages: contiguous stages whose busiest is the least of every split (all splits enumerated)', () => {
    const r = rng('split-stages');
    for (let trial = 0; trial < 40; trial++) {
      const n = 1 + r.int(8);
      const K = 1 + r.int(n);
      const layers = Array.from({ length: n }, () => ({ forward: r.uniform(), backward: r.uniform(), update: r.uniform() }));
      const { stages, first } = splitStages(layers, K);
      expect(first[0]).toBe(0);
      for (let s = 1; s < K; s++) expect(first[s]).toBeGreaterThan(first[s - 1]);
      // Each stage sums its own layers, so nothing is lost or counted twice.
      for (const k of ['forward', 'backward', 'update'] as const)
        expect(stages.reduce((a, s) => a + s[k], 0)).toBeCloseTo(
          layers.reduce((a, l) => a + l[k], 0),
          12,
        );
      const busiest = (cuts: number[]) =>
        Math.max(
          ...cuts.map((a, s) => layers.slice(a, s + 1 < cuts.length ? cuts[s + 1] : n).reduce((x, l) => x + l.forward + l.backward, 0)),
        );
      // Every choice of K−1 cut points among the n−1 gaps.
      let least = Infinity;
      const pick = (from: number, cuts: number[]): void => {
        if (cuts.length === K) return void (least = Math.min(least, busiest(cuts)));
        for (let c = from; c < n; c++) pick(c + 1, [...cuts, c]);
      };
      pick(1, [0]);
      expect(busiest(first)).toBeCloseTo(least, 12);
    }
    expect(() => splitStages([{ forward: 1, backward: 1, update: 0 }], 2)).toThrow(/2 stages need at least 2 layers, the network has 1/);
    expect(() => splitStages([{ forward: 1, backward: 1, update: 0 }], 0)).toThrow(/stages: expected a positive integer, got 0/);
  });
});
