// Per-layer costs of a real step: with a clock that advances one tick per reading, every kernel
// call costs exactly one tick, so the figures are kernel-call counts — exact, and the same on
// any machine — and where each call was charged can be checked.
import { describe, expect, it } from 'vitest';
import { backprop, forwardForward, mezo, syntheticGradients } from '../../algorithms/index.ts';
import type { AnyRule } from '../../src/rules/rule.ts';
import { buildModel } from '../../src/nn/model.ts';
import { layerCostObserver, OUTSIDE_LAYERS, type LayerCost } from '../../src/runner/observers/layer-costs.ts';
import { runSingleTrial } from '../../src/runner/single-trial.ts';
import type { TrialConfig } from '../../src/runner/trial-config.ts';

const sizes = [12, 6, 6, 4];
const STEPS = 3;

function costs(rule: AnyRule, skip = 0): { rows: LayerCost[]; ticks: number } {
  let ticks = 0;
  const obs = layerCostObserver(buildModel({ sizes, activation: 'relu' }), { now: () => ticks++, skip });
  const config: TrialConfig = {
    experiment: 'layer-costs',
    rule: rule.id,
    options: {},
    seed: 0,
    data: { name: 'blobs', train: 64, test: 16, classes: 4, features: 12, spread: 0.6 },
    model: { sizes, activation: 'relu' },
    optimizer: { name: 'sgd', lr: 0.01 },
    batchSize: 16,
    epochs: 1,
    maxSteps: STEPS,
    evalEvery: 0,
    alignEvery: 0,
    alignSamples: 16,
    memory: false,
    debug: false,
  } as TrialConfig;
  runSingleTrial(config, rule, { observers: [obs] });
  return { rows: obs.costs(), ticks };
}

const of = (rows: LayerCost[], layer: string) => rows.find((r) => r.layer === layer)!;
const total = (rows: LayerCost[]) => rows.reduce((a, r) => a + r.forward + r.backward + r.update, 0);

describe('layer costs', () => {
  it('lists the top-level modules in forward order, then what ran outside them', () => {
    expect(costs(backprop as AnyRule).rows.map((r) => r.layer)).toEqual(['fc1', 'act1', 'fc2', 'act2', 'fc3', OUTSIDE_LAYERS]);
  });

  it('charges every kernel call of the step once (a tick each, two clock readings per call)', () => {
    const { rows, ticks } = costs(backprop as AnyRule);
    // Backprop's steps make the same calls each time, so the per-step medians add up to the steps' calls.
    expect(total(rows) * STEPS).toBeCloseTo(ticks / 2, 9);
  });

  it("backprop: each layer's backward charged to it; the first layer computes no input gradient; updates shared by parameter size", () => {
    const { rows } = costs(backprop as AnyRule);
    for (const l of ['fc1', 'act1', 'fc2', 'act2', 'fc3']) {
      expect(of(rows, l).forward).toBeGreaterThan(0);
      expect(of(rows, l).backward).toBeGreaterThan(0);
    }
    expect(of(rows, 'fc1').backward).toBeLessThan(of(rows, 'fc2').backward);
    for (const l of ['act1', 'act2', OUTSIDE_LAYERS]) expect(of(rows, l).update).toBe(0);
    // Parameters: fc1 12·6+6 = 78, fc2 6·6+6 = 42, fc3 6·4+4 = 28.
    expect(of(rows, 'fc1').update / of(rows, 'fc3').update).toBeCloseTo(78 / 28, 9);
    expect(of(rows, 'fc2').update / of(rows, 'fc3').update).toBeCloseTo(42 / 28, 9);
  });

  it('forward-forward: each local loss and its gradient charged to its layer; nothing reaches the output layer', () => {
    const { rows } = costs(forwardForward as AnyRule);
    expect(of(rows, OUTSIDE_LAYERS).backward).toBe(0);
    expect(of(rows, 'fc3').backward).toBe(0);
    expect(of(rows, 'fc1').backward).toBeGreaterThan(0);
    expect(of(rows, 'fc2').backward).toBeGreaterThan(0);
  });

  it("synthetic gradients: each synthesizer's work charged to the boundary it serves, not outside the layers", () => {
    const bp = costs(backprop as AnyRule).rows;
    const { rows } = costs(syntheticGradients as AnyRule);
    // The synthesizers (their own modules' paths, run under the boundary's label) sit at the hidden activations.
    for (const l of ['act1', 'act2']) {
      expect(of(rows, l).forward).toBeGreaterThan(of(bp, l).forward);
      expect(of(rows, l).backward).toBeGreaterThan(of(bp, l).backward);
    }
    for (const l of ['fc1', 'fc2', 'fc3']) expect(of(rows, l).forward).toBe(of(bp, l).forward);
    // Outside the layers, no more than backprop has there (its loss).
    expect(of(rows, OUTSIDE_LAYERS).forward).toBeLessThanOrEqual(of(bp, OUTSIDE_LAYERS).forward);
    expect(of(rows, OUTSIDE_LAYERS).backward).toBeLessThanOrEqual(of(bp, OUTSIDE_LAYERS).backward);
  });

  it('MeZO: forward passes only, no backward anywhere', () => {
    const { rows } = costs(mezo as AnyRule);
    for (const r of rows) expect(r.backward).toBe(0);
    expect(of(rows, 'fc1').forward).toBeGreaterThan(0);
  });

  it('refuses to report before a measured step', () => {
    const obs = layerCostObserver(buildModel({ sizes, activation: 'relu' }));
    expect(() => obs.costs()).toThrow(/no step measured/);
  });
});
