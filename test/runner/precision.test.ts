// Precision as spec vocabulary: validation names the field; float32 leaves every record as it was;
// the rounding points (weights as used, activations, cotangents, updates, master weights and
// optimizer state) hold values of the format; dynamic loss scaling skips overflowing steps on
// its schedule; every rule of the MNIST comparison trains under it; stochastic rounding repeats.
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES } from '../../algorithms/index.ts';
import { backprop } from '../../algorithms/backprop.ts';
import { defineRule, fromArray, type AnyRule, type Tensor } from '../../src/index.ts';
import { roundInPlace, type PrecisionScope } from '../../src/autograd/precision.ts';
import { floatFormat } from '../../src/kernels/float-formats.ts';
import { referenceBackend } from '../../src/kernels/reference.ts';
import { resolvePrecision, type PrecisionSpec } from '../../src/runner/precision.ts';
import { runTrial, type EvalRecord, type SummaryRecord, type TrialConfig, type TrialRecord } from '../../src/runner/trial.ts';

const config = (over: Partial<TrialConfig> = {}): TrialConfig => ({
  experiment: 'precision-test',
  rule: 'backprop',
  options: {},
  seed: 3,
  data: { name: 'blobs', train: 64, test: 32, classes: 3, features: 6, spread: 0.5, validation: 16 },
  model: { sizes: [6, 10, 3], activation: 'tanh', init: 'xavierUniform' },
  optimizer: { name: 'adam', lr: 0.02 },
  batchSize: 16,
  epochs: 2,
  maxSteps: 0,
  evalEvery: 2,
  alignEvery: 2,
  alignSamples: 4,
  memory: true,
  debug: false,
  ...over,
});

function run(c: TrialConfig, rule: AnyRule = backprop as AnyRule, watch?: (params: readonly Tensor[]) => void): TrialRecord[] {
  const out: TrialRecord[] = [];
  runTrial(c, 't', rule, (r) => out.push(r), undefined, watch ? [{ name: 'watch', onFinish: () => {} }] : []);
  return out;
}
const evals = (rs: TrialRecord[]) => rs.filter((r): r is EvalRecord => r.type === 'eval');
const summary = (rs: TrialRecord[]) => rs[rs.length - 1] as SummaryRecord;
/** True when every value is one of format f's (rounding it again changes nothing). */
const inFormat = (data: ArrayLike<number>, f: string): boolean => {
  const x = Float32Array.from(data);
  const y = new Float32Array(x.length);
  referenceBackend.quantize(x, y, floatFormat(f, 'test'), null, 0);
  return x.every((v, i) => Object.is(v, y[i]));
};

describe('precision in the spec', () => {
  it('says what is wrong in one line naming the field', () => {
    const bad: Array<[unknown, string]> = [
      [{ compute: 'fp4' }, 'precision.compute: unknown format "fp4"; accepted: fp32, bf16, fp16, fp8-e4m3, fp8-e5m2'],
      [{ compute: { forward: 'fp8-e4m3', backward: 'e5m2' } }, 'precision.compute.backward: unknown format "e5m2"'],
      [{ compute: { forward: 'bf16', back: 'bf16' } }, 'precision.compute.back: unknown key; accepted keys: forward, backward'],
      [{ master: 'fp16' }, 'precision.master: expected one of fp32, compute, got "fp16"'],
      [{ rounding: 'up' }, 'precision.rounding: expected one of nearest-even, stochastic, got "up"'],
      [{ accumulate: 'fp64' }, 'precision.accumulate: expected one of fp32, compute, got "fp64"'],
      [{ lossScale: 1000 }, 'precision.lossScale: a static scale must be a power of two (so scaling is exact), got 1000'],
      [{ lossScale: { init: 3 } }, 'precision.lossScale.init: expected a power of two, got 3'],
      [{ lossScale: { window: 0 } }, 'precision.lossScale.window: expected a positive integer, got 0'],
      [{ lossScale: { grow: 2 } }, 'precision.lossScale.grow: unknown key; accepted keys: init, factor, window'],
      [{ format: 'bf16' }, 'precision.format: unknown key; accepted keys: compute, master, lossScale, rounding, accumulate'],
      ['bf16', 'precision: expected an object, got "bf16"'],
    ];
    for (const [v, msg] of bad) expect(() => resolvePrecision(v), JSON.stringify(v)).toThrow(msg);
    const p = resolvePrecision({ compute: { forward: 'fp8-e4m3', backward: 'fp8-e5m2' }, lossScale: 'dynamic' });
    expect([p.forward.name, p.backward.name, p.lossScale]).toEqual(['fp8-e4m3', 'fp8-e5m2', { init: 65536, factor: 2, window: 2000 }]);
  });

  it('float32 by default: a precision of fp32 gives the records of no precision, bit for bit', () => {
    const plain = evals(run(config())).map(({ host: _h, trial: _t, ...r }) => r);
    const fp32 = evals(run(config({ precision: { compute: 'fp32' } }))).map(({ host: _h, trial: _t, precision, ...r }) => {
      expect(precision).toBeDefined();
      return r;
    });
    expect(JSON.stringify(fp32)).toBe(JSON.stringify(plain));
    expect(plain.every((r) => !('precision' in r))).toBe(true);
  });
});

describe('rounding points', () => {
  /** A rule that trains by backprop and notes what its step saw. */
  const spying = (seen: { params: number[][]; logits: number[][] }) =>
    defineRule({
      ...backprop,
      id: 'spy',
      cost: () => 3,
      step(ctx, state, batch) {
        seen.params.push(...ctx.params.map((p) => Array.from(p.data)));
        seen.logits.push(Array.from(ctx.model.forward(ctx.params, batch.x, ctx.train).data));
        return backprop.step(ctx, state, batch);
      },
    }) as AnyRule;

  it('the step sees its weights and activations in the forward format; the float32 masters carry on', () => {
    const seen = { params: [] as number[][], logits: [] as number[][] };
    const rs = run(config({ precision: { compute: 'bf16' }, epochs: 1 }), spying(seen));
    expect(summary(rs).status).toBe('done');
    expect(seen.params.every((p) => inFormat(p, 'bf16'))).toBe(true);
    expect(seen.logits.every((l) => inFormat(l, 'bf16'))).toBe(true);
    // The masters are float32: the weights the steps saw are their roundings, not the masters themselves.
    const plain = { params: [] as number[][], logits: [] as number[][] };
    run(config({ epochs: 1 }), spying(plain));
    expect(inFormat(plain.params[0], 'bf16')).toBe(false);
    expect(seen.params.slice(seen.params.length / 2).some((p) => !inFormat(p, 'fp8-e4m3'))).toBe(true);
  });

  it("with master 'compute', the parameters and Adam's moments stay in the format between steps", () => {
    const seen = { params: [] as number[][], logits: [] as number[][] };
    run(config({ precision: { compute: 'fp16', master: 'compute' }, epochs: 1 }), spying(seen));
    expect(seen.params.every((p) => inFormat(p, 'fp16'))).toBe(true);
  });

  it("accumulate 'compute' sums each matmul in the format, which moves the records; at fp32 it changes nothing", () => {
    const strip = (rs: TrialRecord[]) => JSON.stringify(evals(rs).map(({ host: _h, precision: _p, ...r }) => r));
    const acc32 = strip(run(config({ precision: { compute: 'fp16' }, epochs: 1 })));
    expect(strip(run(config({ precision: { compute: 'fp16', accumulate: 'compute' }, epochs: 1 })))).not.toBe(acc32);
    expect(strip(run(config({ precision: { compute: 'fp32', accumulate: 'compute' }, epochs: 1 })))).toBe(
      strip(run(config({ epochs: 1 }))),
    );
  });

  it('records per-layer flush and saturation shares of cotangents and activations', () => {
    const fp8 = { compute: { forward: 'fp8-e4m3', backward: 'fp8-e5m2' } } as PrecisionSpec;
    const rs = evals(run(config({ precision: fp8, epochs: 1 })));
    const p = rs[rs.length - 1].precision!;
    expect(Object.keys(p.updates)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(Object.keys(p.cotangents)).toEqual(expect.arrayContaining(['fc1', 'fc2']));
    for (const t of [...Object.values(p.cotangents), ...Object.values(p.activations)]) {
      expect(t.flushed).toBeGreaterThanOrEqual(0);
      expect(t.flushed + t.saturated).toBeLessThanOrEqual(1);
    }
  });
});

describe("memory at the formats' widths", () => {
  const memoryOf = (precision?: PrecisionSpec) => {
    const rs = evals(run(config({ ...(precision ? { precision } : {}), epochs: 1, alignEvery: 0 })));
    const memory = rs[rs.length - 1].memory!;
    // Categories this trial holds are all recorded (only empty ones are left out).
    return { ...memory, peakByCategory: memory.peakByCategory as Required<typeof memory.peakByCategory> };
  };
  it('counts each category at its format: masters and their compute copy, moments, gradients and activations', () => {
    const fp32 = memoryOf();
    const bf16 = memoryOf({ compute: 'bf16' });
    const half = memoryOf({ compute: 'fp16', master: 'compute' });
    const fp8 = memoryOf({ compute: { forward: 'fp8-e4m3', backward: 'fp8-e5m2' } });
    const cat = fp32.peakByCategory;
    // A float32 master plus a bf16 copy: 6 bytes a parameter; Adam's moments stay float32.
    expect(bf16.peakByCategory.param).toBe(cat.param * 1.5);
    expect(bf16.peakByCategory.optimizer).toBe(cat.optimizer);
    expect(bf16.peakByCategory['saved-activation']).toBe(cat['saved-activation'] / 2);
    // Everything in fp16.
    expect(half.peakByCategory.param).toBe(cat.param / 2);
    expect(half.peakByCategory.optimizer).toBe(cat.optimizer / 2);
    expect(half.peakByCategory.grad).toBe(cat.grad / 2);
    expect(fp8.peakByCategory['saved-activation']).toBe(cat['saved-activation'] / 4);
    expect(fp8.peakByCategory.grad).toBe(cat.grad / 4);
    expect(half.peakBytes).toBeLessThan(fp32.peakBytes);
    expect(half.widths).toEqual({
      param: 0.5,
      optimizer: 0.5,
      'rule-state': 0.5,
      grad: 0.5,
      'saved-activation': 0.5,
      transient: 0.5,
      other: 1,
    });
    expect(fp32.widths).toBeUndefined();
  });
});

describe('dynamic loss scaling', () => {
  // Every update is 1 in every entry: at scale 2^16, 1·2^16 = 65536 overflows fp16 (max 65504).
  const ones = defineRule({
    id: 'ones',
    description: 'updates of ones',
    defaults: {},
    cost: () => 1,
    init: () => null,
    step: (ctx, state) => ({
      updates: ctx.params.map((p) => fromArray(new Float32Array(p.size).fill(1), p.shape)),
      state,
      loss: 1,
      metrics: {},
    }),
  }) as AnyRule;

  it('skips an overflowing step and halves the scale, grows it after a clean window (Micikevicius et al. 2018)', () => {
    const c = config({
      precision: { compute: 'fp16', lossScale: { init: 2 ** 16, factor: 2, window: 2 } },
      optimizer: { name: 'sgd', lr: 0.5 },
      evalEvery: 1,
      alignEvery: 0,
      maxSteps: 6,
      epochs: 3,
    });
    const rs = evals(run(c, ones));
    const steps = rs.filter((r) => r.step > 0);
    // Step 0 overflows (skipped, → 2^15); steps 1, 2 are clean (→ 2^16 after the window); step 3 overflows; 4, 5 clean.
    expect(steps.map((r) => r.precision!.lossScale)).toEqual([2 ** 15, 2 ** 15, 2 ** 16, 2 ** 15, 2 ** 15, 2 ** 16]);
    expect(steps.map((r) => r.precision!.skippedSteps)).toEqual([1, 0, 0, 1, 0, 0]);
    expect(steps[steps.length - 1].precision!.skippedTotal).toBe(2);
  });

  // Updates of 10^-6: below half of E5M2's smallest subnormal (2^-16), flushed, unless a loss scale lifts them into range.
  const tiny = defineRule({
    id: 'tiny',
    description: 'updates of 1e-6',
    defaults: {},
    cost: () => 1,
    init: () => null,
    step: (ctx, state) => ({
      updates: ctx.params.map((p) => fromArray(new Float32Array(p.size).fill(1e-6), p.shape)),
      state,
      loss: 1,
      metrics: {},
    }),
  }) as AnyRule;

  it('a loss scale keeps the updates that the format alone flushes to zero, and the records say so', () => {
    const at = (lossScale: number) =>
      evals(
        run(config({ precision: { compute: 'fp8-e5m2', lossScale }, optimizer: { name: 'sgd', lr: 1 }, alignEvery: 0, maxSteps: 2 }), tiny),
      );
    const flushed = (rs: EvalRecord[]) => rs[rs.length - 1].precision!.updates['fc1.weight'].flushed;
    expect(flushed(at(1))).toBe(1);
    expect(flushed(at(2 ** 12))).toBe(0);
  });

  it('a static scale does not skip: the overflow ends the trial as diverged, naming the parameter', () => {
    const c = config({
      precision: { compute: 'fp16', lossScale: 2 ** 16 },
      optimizer: { name: 'sgd', lr: 0.5 },
      alignEvery: 0,
      maxSteps: 2,
    });
    const s = summary(run(c, ones));
    expect(s.status).toBe('diverged');
    expect(s.error).toMatch(/update for parameter fc1\.weight contains NaN\/Inf/);
  });
});

describe('every rule of the MNIST comparison', () => {
  const ids = [
    'backprop',
    'feedback-alignment',
    'direct-feedback-alignment',
    'synthetic-gradients',
    'forward-forward',
    'straight-through',
    'reinforce',
    'gumbel-softmax',
    'mezo',
    'predictive-coding',
    'kolen-pollack',
    'weight-mirroring',
    'forward-gradient',
    'pepita',
    'target-propagation',
  ];
  for (const id of ids) {
    it(`${id} trains at bf16 and at fp16 with dynamic loss scaling, with its precision recorded`, () => {
      const rule = BUILTIN_RULES.find((r) => r.id === id)!;
      for (const precision of [{ compute: 'bf16' }, { compute: 'fp16', lossScale: 'dynamic' }] as PrecisionSpec[]) {
        const rs = run(config({ rule: id, precision, epochs: 1, maxSteps: 3, model: { sizes: [6, 10, 3], activation: 'relu' } }), rule);
        expect(summary(rs).status, `${id} ${JSON.stringify(precision)}: ${summary(rs).error}`).toBe('done');
        expect(evals(rs).every((r) => r.precision !== undefined)).toBe(true);
      }
    });
  }
});

describe('stochastic rounding', () => {
  it('each rounding in a step takes fresh draws from the stream (same values, different roundings)', () => {
    const bf16 = floatFormat('bf16', 'test');
    const scope: PrecisionScope = {
      forward: bf16,
      backward: bf16,
      accumulate: false,
      key: [1, 2],
      lossScale: 1,
      draws: 0,
      activations: new Map(),
      cotangents: new Map(),
    };
    const x = () => new Float32Array(1000).fill(1 + 2 ** -9);
    const [a, b] = [x(), x()];
    roundInPlace(scope, a, bf16);
    roundInPlace(scope, b, bf16);
    expect(scope.draws).toBe(2000);
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it('repeats bit for bit for a seed, and differs from nearest-even', () => {
    const c = config({ precision: { compute: 'bf16', rounding: 'stochastic' }, epochs: 1 });
    const strip = (rs: TrialRecord[]) => JSON.stringify(evals(rs).map(({ host: _h, ...r }) => r));
    const a = strip(run(c));
    expect(strip(run(c))).toBe(a);
    expect(strip(run(config({ precision: { compute: 'bf16' }, epochs: 1 })))).not.toBe(a.replaceAll('"stochastic"', '"nearest-even"'));
  });
});
