import { describe, expect, it } from 'vitest';
import { backprop } from '../../algorithms/backprop.ts';
import { mezo } from '../../algorithms/mezo.ts';
import { checkConformance } from '../../src/testing.ts';
import { runTrial } from '../../src/runner/trial.ts';
import {
  buildModel,
  ruleContext,
  blobs,
  classification,
  fromArray,
  isLazy,
  ledger,
  materialize,
  noGrad,
  rng,
  sgd,
  type AnyRule,
  type LazyUpdates,
  type Updates,
  type Batch,
  type RuleContext,
  type Tensor,
} from '../../src/index.ts';

type MezoOptions = typeof mezo.defaults;

function setup(sizes: number[], options: Partial<MezoOptions> = {}, seed = 3, batchSize = 32) {
  const model = buildModel({ sizes, activation: 'tanh', init: 'xavierUniform' });
  const params = model.init(rng(seed).child('init'));
  const ds = blobs(batchSize, sizes[sizes.length - 1], sizes[0], 0.7, rng(seed).child('data'));
  const batch: Batch = { x: fromArray(ds.x, [ds.n, ds.features]), labels: ds.y, size: ds.n };
  const ctx = (step: number, ruleSeed = 7) =>
    ruleContext({
      model,
      task: classification(sizes[sizes.length - 1]),
      params,
      step,
      rule: mezo as unknown as AnyRule,
      options,
      rng: rng(ruleSeed),
      dropout: rng(ruleSeed).child('dropout'),
    }) as RuleContext<MezoOptions>;
  return { model, params, batch, ctx };
}

/** MeZO streams its updates: one parameter materialized at a time. */
function lazy(u: Updates): LazyUpdates {
  if (!isLazy(u)) throw new Error('mezo must return LazyUpdates');
  return u;
}

const snapshot = (ps: readonly Tensor[]) => ps.map((p) => Float32Array.from(p.data));

/** A few MeZO steps applied with streamed SGD updates, the way the runner applies them. */
function train(steps: number, ruleSeed: number, options: Partial<MezoOptions> = {}) {
  const s = setup([6, 10, 8, 3], options);
  const opt = sgd({ lr: 0.05 });
  const os = opt.init(s.params);
  let state = mezo.init(s.ctx(-1));
  for (let step = 0; step < steps; step++) {
    const res = mezo.step(s.ctx(step, ruleSeed), state, s.batch);
    const u = lazy(res.updates);
    for (let i = 0; i < u.count; i++) opt.updateOne(i, s.params[i], u.get(i), os, step);
    state = res.state;
  }
  return snapshot(s.params);
}

const bits = (a: Float32Array[]) => a.flatMap((t) => Array.from(new Uint32Array(t.buffer)));

describe('mezo', () => {
  it('passes the conformance suite', () => {
    const failed = checkConformance(mezo as unknown as AnyRule).filter((c) => !c.ok);
    expect(failed).toEqual([]);
  });

  it('reproduces identical parameters from the same step seeds (and different ones from another seed)', () => {
    for (const options of [{}, { samples: 3, momentum: 0.9, momentumWindow: 4 }]) {
      const a = train(6, 11, options);
      const b = train(6, 11, options);
      const c = train(6, 12, options);
      expect(bits(a)).toEqual(bits(b));
      expect(bits(a)).not.toEqual(bits(c));
    }
  });

  it('returns parameters to their values within float tolerance after +ε/−2ε/+ε, before any update', () => {
    for (const eps of [1e-3, 1e-2]) {
      const s = setup([6, 10, 8, 3], { eps, samples: 2 });
      const before = snapshot(s.params);
      mezo.step(s.ctx(0), mezo.init(s.ctx(-1)), s.batch); // updates not consumed: nothing applied
      let worst = 0;
      s.params.forEach((p, i) => p.data.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - before[i][k])))));
      expect(worst).toBeLessThanOrEqual(mezo.restoreTolerance ?? 0);
      // The tolerance is tight enough to catch a missing restore (a residual ε·z).
      expect(mezo.restoreTolerance ?? 0).toBeLessThan(eps / 10);
    }
  });

  it('estimates the directional derivative, and its mean over seeds is the BP gradient', () => {
    const s = setup([4, 5, 3], { eps: 1e-3 });
    const bp = materialize(backprop.step({ ...s.ctx(0), options: { checkpoint: 0, truncate: 0 } }, null, s.batch).updates);
    const flat = (ts: readonly Tensor[]) => ts.flatMap((t) => Array.from(t.data));
    const g = flat(bp);
    const d = g.length;
    const dot = (a: number[], b: number[]) => a.reduce((acc, v, i) => acc + v * b[i], 0);
    const gNorm = Math.sqrt(dot(g, g));
    const N = 3000;
    const sum = new Float64Array(d);
    let cosSum = 0;
    let worstProjection = 0;
    const state = mezo.init(s.ctx(-1));
    for (let step = 0; step < N; step++) {
      const res = mezo.step(s.ctx(step), state, s.batch);
      const u = flat(materialize(res.updates)); // u = ĝ·z
      const gHat = res.metrics.projectedGradient;
      // ĝ ≈ zᵀ∇L = uᵀ∇L / ĝ: the finite difference is a directional derivative.
      if (Math.abs(gHat) > 0.05 * gNorm) worstProjection = Math.max(worstProjection, Math.abs(dot(u, g) / gHat - gHat) / Math.abs(gHat));
      u.forEach((v, i) => (sum[i] += v));
      cosSum += dot(u, g) / (Math.sqrt(dot(u, u)) * gNorm);
    }
    expect(worstProjection).toBeLessThan(0.02);
    const mean = Array.from(sum, (v) => v / N);
    const cos = dot(mean, g) / (Math.sqrt(dot(mean, mean)) * gNorm);
    const ratio = Math.sqrt(dot(mean, mean)) / gNorm;
    // Sampling error of the mean: relative norm ≈ √((d+1)/N) ≈ 0.12 here.
    expect(cos).toBeGreaterThan(0.97);
    expect(ratio).toBeGreaterThan(0.85);
    expect(ratio).toBeLessThan(1.2);
    // One sample's alignment with BP is E|zᵀĝ|/|z| ≈ √(2/(πd)) for Gaussian z: the 1/√d law.
    const expected = Math.sqrt(2 / (Math.PI * d));
    expect(cosSum / N).toBeGreaterThan(0.8 * expected);
    expect(cosSum / N).toBeLessThan(1.25 * expected);
  }, 40_000);

  it('keeps peak memory at inference level: above it only by the input held across both passes, or one update', () => {
    // MeZO's regime: parameters dominate and no single tensor is a large share of them (12 layers).
    const sizes = [32, ...Array(12).fill(64), 10];
    const batchSize = 16;
    const s = setup(sizes, {}, 3, batchSize);
    const paramBytes = s.params.reduce((a, p) => a + p.bytes, 0);
    const largest = Math.max(...s.params.map((p) => p.bytes));
    const inputBytes = s.batch.x.bytes;
    const inference = ledger().measure(() => noGrad(() => s.model.forward(s.params, fromArray(s.batch.x.data, s.batch.x.shape))));
    const inferenceBytes = inference.memory.peakBytes - inference.memory.startBytes + paramBytes;
    const opt = sgd({ lr: 0.01 });
    const os = opt.init(s.params);
    const { memory } = ledger().measure(() => {
      const batch = { ...s.batch, x: fromArray(s.batch.x.data, s.batch.x.shape) };
      const u = lazy(mezo.step(s.ctx(0), mezo.init(s.ctx(-1)), batch).updates);
      for (let i = 0; i < u.count; i++) opt.updateOne(i, s.params[i], u.get(i), os, 0);
    });
    expect(memory.peakByCategory.grad).toBe(0);
    expect(memory.peakByCategory['saved-activation']).toBe(0);
    // The second evaluation needs the batch again, so the input outlives the first pass; the
    // loss head adds a few [batch, classes] buffers; then updates come one parameter at a time.
    const head = 4 * batchSize * 10 * 4;
    // The ledger is process-wide: count this model's parameters, not every test's.
    const peak = memory.peakBytes - memory.startBytes + paramBytes;
    expect(peak).toBeLessThanOrEqual(Math.max(inferenceBytes + inputBytes + head, paramBytes + largest));
    expect(peak / inferenceBytes).toBeLessThanOrEqual(1.1);
    // BP on the same step is well above inference: the test can tell the two apart.
    const bp = ledger().measure(() => {
      const batch = { ...s.batch, x: fromArray(s.batch.x.data, s.batch.x.shape) };
      return backprop.step({ ...s.ctx(0), options: { checkpoint: 0, truncate: 0 } }, null, batch);
    });
    expect((bp.memory.peakBytes - bp.memory.startBytes + paramBytes) / inferenceBytes).toBeGreaterThan(1.5);
  });

  it('streams ranges that equal get(i) bit for bit, in any split', () => {
    const s = setup([6, 10, 8, 3], { samples: 2, momentum: 0.5, momentumWindow: 2 });
    let state = mezo.init(s.ctx(-1));
    state = mezo.step(s.ctx(0), state, s.batch).state;
    const u = lazy(mezo.step(s.ctx(1), state, s.batch).updates);
    expect(u.getRange && u.chunk).toBeTruthy();
    for (let i = 0; i < u.count; i++) {
      const whole = Array.from(u.get(i).data);
      const parts: number[] = [];
      for (let off = 0; off < whole.length; off += 7) parts.push(...u.getRange!(i, off, Math.min(7, whole.length - off)).data);
      expect(parts).toEqual(whole);
    }
  });

  it('on the MNIST MLP (784-256-256-10, SGD) a whole runner step peaks within 1.1× of inference', () => {
    const summary = runTrial(
      {
        experiment: 'test',
        rule: 'mezo',
        options: {},
        seed: 0,
        data: { name: 'mnist', train: 512, test: 256 },
        model: { sizes: [784, 256, 256, 10], activation: 'relu' },
        optimizer: { name: 'sgd', lr: 1e-4 },
        batchSize: 128,
        epochs: 1,
        maxSteps: 3,
        evalEvery: 0,
        alignEvery: 0,
        alignSamples: 16,
        memory: true,
        debug: false,
      },
      'mezo-memory',
      mezo as AnyRule,
      () => {},
    );
    expect(summary.ratioToInference).toBeGreaterThan(1);
    expect(summary.ratioToInference).toBeLessThanOrEqual(1.1);
  });

  it('rejects invalid options with a message naming them', () => {
    const s = setup([4, 5, 3], { samples: 0 });
    expect(() => mezo.step(s.ctx(0), mezo.init(s.ctx(-1)), s.batch)).toThrow(/samples/);
  });
});
