// Predictive coding: with a weak output term (β → 0, small output error) and enough inference
// steps its updates become backprop's gradient and its settled errors backprop's δ; cut the
// inference loop short, or clamp the output with the full loss, and they do not. Refuses models
// that are not chains of layers.
import { describe, expect, it } from 'vitest';
import { predictiveCoding, valueSegments } from '../../algorithms/predictive-coding.ts';
import {
  alignment,
  buildModel,
  fromArray,
  materialize,
  noGrad,
  regression,
  rng,
  ruleContext,
  SignalProbe,
  signalPaths,
  SpecError,
  trueGradient,
  withSignalProbe,
  type AnyRule,
  type Batch,
  type RuleOptions,
} from '../../src/index.ts';
import { CONFORMANCE_MODELS } from '../../src/testing.ts';

// Four weight layers (three value nodes), tanh, regression targets near the outputs.
function problem() {
  const model = buildModel({ sizes: [12, 16, 16, 16, 3], activation: 'tanh', init: 'xavierUniform' });
  const params = model.init(rng(0).child('init'));
  const r = rng(0).child('data');
  const n = 32;
  const x = fromArray(
    Float32Array.from({ length: n * 12 }, () => r.normal()),
    [n, 12],
  );
  const out = noGrad(() => model.forward(params, x));
  const targets = fromArray(
    Float32Array.from(out.data, (v) => v + r.normal()),
    out.shape,
  );
  const batch: Batch = { x, targets, size: n };
  const task = regression();
  return { model, params, batch, task };
}

function pcStep(p: ReturnType<typeof problem>, options: RuleOptions, probe?: SignalProbe) {
  const ctx = ruleContext({
    model: p.model,
    task: p.task,
    params: p.params,
    rule: predictiveCoding as AnyRule,
    options,
    rng: rng(1),
    dropout: rng(2),
    step: 0,
  });
  const run = () => predictiveCoding.step(ctx as never, null, p.batch);
  return probe ? withSignalProbe(probe, run) : run();
}

describe('predictive coding', () => {
  const p = problem();
  const reference = trueGradient(p.model, p.task, p.params, p.batch, {}, signalPaths(p.model));
  const settledOptions = { beta: 1e-3, steps: 150, rate: 0.3 };

  it('with a small output error and enough inference steps, its updates are backprop’s gradient (cosine → 1)', () => {
    const res = pcStep(p, settledOptions);
    const a = alignment(p.model, materialize(res.updates), reference.grads);
    expect(a.overall.cosine).toBeGreaterThan(0.9995);
    for (const l of a.layers) expect(l.cosine, l.layer).toBeGreaterThan(0.999);
    expect(a.overall.normRatio).toBeGreaterThan(0.98);
    expect(a.overall.normRatio).toBeLessThan(1.02);
  });

  it('cut the inference loop short and the updates are not backprop’s', () => {
    const short = alignment(p.model, materialize(pcStep(p, { ...settledOptions, steps: 15 }).updates), reference.grads);
    expect(short.overall.cosine).toBeLessThan(0.99);
    // Without inference only the output layer learns: no error has reached the value nodes.
    const none = alignment(p.model, materialize(pcStep(p, { ...settledOptions, steps: 0 }).updates), reference.grads);
    expect(none.layers.slice(0, -1).every((l) => l.cosine === 0)).toBe(true);
  });

  it('with the output clamped by the full loss (β = 1) the settled updates stay biased', () => {
    const clamped = alignment(p.model, materialize(pcStep(p, { ...settledOptions, beta: 1 }).updates), reference.grads);
    expect(clamped.overall.cosine).toBeLessThan(0.9);
  });

  it('delivers its settled errors as the error signal, and they are backprop’s δ', () => {
    const probe = new SignalProbe(new Set(signalPaths(p.model)));
    pcStep(p, settledOptions, probe);
    for (const path of signalPaths(p.model)) {
      const u = probe.signals.get(path)!;
      const g = reference.signals.get(path)!;
      let dot = 0;
      let uu = 0;
      let gg = 0;
      for (let k = 0; k < u.length; k++) {
        dot += u[k] * g[k];
        uu += u[k] * u[k];
        gg += g[k] * g[k];
      }
      expect(dot / Math.sqrt(uu * gg), path).toBeGreaterThan(0.999);
    }
  });

  it('records the energy of every inference step; it falls monotonically from the task loss', () => {
    const res = pcStep(p, { steps: 20 });
    const energies = Array.from({ length: 21 }, (_, t) => res.metrics[`energy.${t}`]);
    expect(energies.every(Number.isFinite)).toBe(true);
    expect(res.metrics['energy.21']).toBeUndefined();
    expect(energies[0]).toBeCloseTo(res.loss, 6);
    for (let t = 1; t < energies.length; t++) expect(energies[t]).toBeLessThanOrEqual(energies[t - 1]);
    expect(res.metrics.finalEnergy).toBe(energies[20]);
    expect(res.metrics.settleSteps).toBeGreaterThan(0);
    expect(res.metrics.settleSteps).toBeLessThanOrEqual(20);
    expect(res.metrics['fc1.predictionError']).toBeGreaterThan(0);
  });

  it('updating at every inference step averages the trajectory: between no inference and the settled update', () => {
    const every = alignment(p.model, materialize(pcStep(p, { ...settledOptions, updateAt: 'every' }).updates), reference.grads);
    const end = alignment(p.model, materialize(pcStep(p, settledOptions).updates), reference.grads);
    expect(every.overall.cosine).toBeLessThan(end.overall.cosine);
    expect(every.overall.cosine).toBeGreaterThan(0.5);
  });

  it('refuses a residual net with a SpecError naming the rule and the block, and splits a conv net after each weight layer', () => {
    const res = buildModel(CONFORMANCE_MODELS.residual, { sampleShape: [1, 6, 6], outputs: 4 });
    expect(() => valueSegments(res)).toThrow(SpecError);
    expect(() => valueSegments(res)).toThrow(/predictive-coding: module "block1" \(residual\)/);
    const conv = buildModel(CONFORMANCE_MODELS.conv, { sampleShape: [1, 6, 6], outputs: 4 });
    expect(valueSegments(conv).map((s) => s.map((m) => m.path))).toEqual([
      ['conv1', 'bn1', 'act1', 'pool1'],
      ['conv2', 'bn2', 'act2', 'flatten'],
      ['fc'],
    ]);
  });
});
