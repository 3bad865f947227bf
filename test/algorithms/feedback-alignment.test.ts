// Feedback alignment and DFA as layer swaps: with B = W they are backprop bit for bit (dense,
// conv and residual nets alike); with random B they differ below the top; BioTorch's definitions.
import { describe, expect, it } from 'vitest';
import { backprop } from '../../algorithms/backprop.ts';
import { directFeedbackAlignment } from '../../algorithms/direct-feedback-alignment.ts';
import { feedbackAlignment } from '../../algorithms/feedback-alignment.ts';
import { CONFORMANCE_MODELS, checkConformance } from '../../src/testing.ts';
import {
  alignment,
  blobs,
  buildModel,
  classification,
  compare,
  feedbackLayers,
  fromArray,
  materialize,
  rng,
  ruleContext,
  SignalProbe,
  withSignalProbe,
  type AnyRule,
  type Batch,
  type ModelSpec,
  type RuleOptions,
} from '../../src/index.ts';

function setup(spec: ModelSpec, sample: number[], classes: number, rule: AnyRule, options: RuleOptions = {}) {
  const model = buildModel(spec, { sampleShape: sample, outputs: classes });
  const params = model.init(rng(3).child('init'));
  const ds = blobs(32, classes, model.inputSize, 0.7, rng(3).child('data'));
  const batch: Batch = { x: fromArray(ds.x, [ds.n, ds.features]), labels: ds.y, size: ds.n };
  const ctxFor = (r: AnyRule, o: RuleOptions = {}) =>
    ruleContext({
      model,
      task: classification(classes),
      params,
      rule: r,
      options: o,
      rng: rng(3),
      dropout: rng(3).child('dropout'),
      step: 0,
    });
  return { model, params, batch, ctx: ctxFor(rule, options), ctxFor };
}

const mlp = (sizes: number[]): [ModelSpec, number[], number] => [
  { sizes, activation: 'tanh', init: 'xavierUniform' },
  [sizes[0]],
  sizes[sizes.length - 1],
];
const ARCHS: Record<string, [ModelSpec, number[], number]> = {
  mlp: mlp([6, 10, 8, 3]),
  conv: [CONFORMANCE_MODELS.conv as ModelSpec, [1, 6, 6], 4],
  residual: [CONFORMANCE_MODELS.residual as ModelSpec, [1, 6, 6], 4],
};

type Setup = ReturnType<typeof setup>;
const bpUpdates = (s: Setup) => materialize(backprop.step(s.ctxFor(backprop as AnyRule) as never, null, s.batch).updates);

describe('feedback alignment', () => {
  for (const [arch, [spec, sample, classes]] of Object.entries(ARCHS)) {
    it(`${arch}: with B set equal to W reproduces backprop bit for bit`, () => {
      const s = setup(spec, sample, classes, feedbackAlignment as AnyRule);
      const state = feedbackAlignment.init(s.ctx as never);
      for (const l of feedbackLayers(s.model)) state.fixed[l.path] = s.params[l.params.weight.index].clone();
      const fa = materialize(feedbackAlignment.step(s.ctx as never, state, s.batch).updates);
      const bp = bpUpdates(s);
      fa.forEach((u, i) => expect(Array.from(u.data), s.model.paramNames[i]).toEqual(Array.from(bp[i].data)));
    });

    it(`${arch}: with random B differs from backprop below the top layer, and matches it at the top`, () => {
      const s = setup(spec, sample, classes, feedbackAlignment as AnyRule);
      const fa = materialize(feedbackAlignment.step(s.ctx as never, feedbackAlignment.init(s.ctx as never), s.batch).updates);
      const rep = alignment(s.model, fa, bpUpdates(s));
      const top = s.model.weightLayers().at(-1)!.path;
      expect(rep.layers.find((l) => l.layer === top)!.cosine).toBeCloseTo(1, 6);
      expect(rep.layers[0].cosine).toBeLessThan(0.99);
    });
  }

  for (const variant of ['usf', 'brsf', 'frsf']) {
    it(`${variant}: feedback has the signs of W (angle below 90°) and training updates are finite`, () => {
      const s = setup(...ARCHS.mlp, feedbackAlignment as AnyRule, { variant });
      const state = feedbackAlignment.init(s.ctx as never);
      const diag = feedbackAlignment.diagnostics!(s.ctx as never, state);
      expect(diag['fc2.feedbackAngleDeg']).toBeLessThan(90);
      expect(diag['fc3.feedbackAngleDeg']).toBeLessThan(90);
      const ups = materialize(feedbackAlignment.step(s.ctx as never, state, s.batch).updates);
      expect(ups.every((u) => u.data.every(Number.isFinite))).toBe(true);
    });
  }

  it('uSF scales sign(W) by the init scheme’s std (BioTorch), or by today’s std with scale "current"', () => {
    const s = setup(mlp([6, 40, 30, 3])[0], [6], 3, feedbackAlignment as AnyRule, { variant: 'usf' });
    const w = s.params[s.model.find('fc2')!.params.weight.index];
    for (let i = 0; i < w.size; i++) w.data[i] *= 3; // W has grown since init
    const magnitude = (o: RuleOptions) => {
      const d = feedbackAlignment.diagnostics!(s.ctxFor(feedbackAlignment as AnyRule, { variant: 'usf', ...o }) as never, { fixed: {} });
      return d['fc2.feedbackNormRatio'];
    };
    // Xavier: std √(2/(40+30)); ‖B‖ = std·√n, ‖W‖ ≈ 3·std·√n ⇒ ratio ≈ 1/3 with the constant scale.
    expect(magnitude({})).toBeCloseTo(1 / 3, 1);
    // Today's std of W: ‖B‖ = std(W)·√n ≈ ‖W‖.
    expect(magnitude({ scale: 'current' })).toBeCloseTo(1, 1);
  });

  it('B is drawn with the model’s own init scheme by default: ‖B‖/‖W‖ starts near 1 under He init', () => {
    const spec: ModelSpec = { sizes: [20, 300, 300, 10], activation: 'relu', init: 'heUniform' };
    const s = setup(spec, [20], 10, feedbackAlignment as AnyRule);
    const ratio = (o: RuleOptions) => {
      const ctx = s.ctxFor(feedbackAlignment as AnyRule, o);
      return feedbackAlignment.diagnostics!(ctx as never, feedbackAlignment.init(ctx as never))['fc2.feedbackNormRatio'];
    };
    expect(ratio({})).toBeCloseTo(1, 1);
    // Xavier B under He W: √(2/600) / √(2/300) ≈ 0.71.
    expect(ratio({ init: 'xavierUniform' })).toBeCloseTo(Math.SQRT1_2, 1);
  });

  it('plain FA feedback starts near 90° from W', () => {
    const s = setup(mlp([6, 40, 40, 3])[0], [6], 3, feedbackAlignment as AnyRule);
    const diag = feedbackAlignment.diagnostics!(s.ctx as never, feedbackAlignment.init(s.ctx as never));
    expect(Math.abs(diag['fc2.feedbackAngleDeg'] - 90)).toBeLessThan(15);
  });

  it('refuses a model with a single weight layer, naming the rule', () => {
    const s = setup({ sizes: [6, 3] }, [6], 3, feedbackAlignment as AnyRule);
    expect(() => feedbackAlignment.check!(s.ctx as never)).toThrow(/feedback-alignment: .*at least two dense or conv layers/);
  });
});

describe('direct feedback alignment', () => {
  it('on one hidden layer with B = W_out reproduces backprop', () => {
    const s = setup(...mlp([6, 10, 3]), directFeedbackAlignment as AnyRule);
    const state = directFeedbackAlignment.init(s.ctx as never);
    state.feedback.fc2 = s.params[s.model.find('fc2')!.params.weight.index].clone();
    const dfa = materialize(directFeedbackAlignment.step(s.ctx as never, state, s.batch).updates);
    const bp = bpUpdates(s);
    dfa.forEach((u, i) => u.data.forEach((v, k) => expect(v).toBeCloseTo(bp[i].data[k], 6)));
  });

  for (const [arch, [spec, sample, classes]] of Object.entries(ARCHS)) {
    it(`${arch}: with random B differs from backprop below the output layer, which keeps its true gradient`, () => {
      const s = setup(spec, sample, classes, directFeedbackAlignment as AnyRule);
      const dfa = materialize(directFeedbackAlignment.step(s.ctx as never, directFeedbackAlignment.init(s.ctx as never), s.batch).updates);
      const rep = alignment(s.model, dfa, bpUpdates(s));
      const top = s.model.weightLayers().at(-1)!.path;
      expect(rep.layers.find((l) => l.layer === top)!.cosine).toBeCloseTo(1, 6);
      expect(rep.layers[0].cosine).toBeLessThan(0.99);
      expect(dfa.every((u) => u.data.every(Number.isFinite))).toBe(true);
    });
  }
});

describe("direct feedback alignment, conv 'kernel' (BioTorch's DFA conv layer)", () => {
  const [spec, sample, classes] = ARCHS.conv;

  it('a conv layer’s feedback is a kernel with the classes as output channels; dense layers keep [classes, inputs]', () => {
    const s = setup(spec, sample, classes, directFeedbackAlignment as AnyRule, { conv: 'kernel' });
    const fb = directFeedbackAlignment.init(s.ctx as never).feedback;
    // conv2 reads [4, 3, 3] (pool1's output) with a [6, 4, 3, 3] kernel; fc reads 6·3·3 features.
    expect(fb.conv2.shape).toEqual([classes, 4, 3, 3]);
    expect(fb.fc.shape).toEqual([classes, 54]);
    const dense = setup(spec, sample, classes, directFeedbackAlignment as AnyRule);
    expect(directFeedbackAlignment.init(dense.ctx as never).feedback.conv2.shape).toEqual([classes, 36]);
  });

  it('sends below each conv layer the output error repeated at every output position, transposed-convolved with B', () => {
    const s = setup(spec, sample, classes, directFeedbackAlignment as AnyRule, { conv: 'kernel' });
    const state = directFeedbackAlignment.init(s.ctx as never);
    // The output error e (at fc's output) and the signal conv2 sends to pool1's output.
    const probe = new SignalProbe(new Set(['pool1', 'fc']));
    withSignalProbe(probe, () => directFeedbackAlignment.step(s.ctx as never, state, s.batch));
    const e = probe.signals.get('fc')!;
    const got = probe.signals.get('pool1')!;
    // By the definition, written out: dx[i,c,y,x] = Σₖ e[i,k] Σ over output positions (oy,ox) of
    // B[k, c, y − oy + 1, x − ox + 1] (3×3 kernel, padding 1, stride 1, 3×3 in and out).
    const B = state.feedback.conv2.data;
    const n = s.batch.size;
    const want = new Float64Array(n * 4 * 9);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < classes; k++)
        for (let c = 0; c < 4; c++)
          for (let y = 0; y < 3; y++)
            for (let x = 0; x < 3; x++)
              for (let oy = 0; oy < 3; oy++)
                for (let ox = 0; ox < 3; ox++) {
                  const ky = y - oy + 1;
                  const kx = x - ox + 1;
                  if (ky < 0 || ky > 2 || kx < 0 || kx > 2) continue;
                  want[((i * 4 + c) * 3 + y) * 3 + x] += e[i * classes + k] * B[((k * 4 + c) * 3 + ky) * 3 + kx];
                }
    expect(got.length).toBe(want.length);
    want.forEach((v, j) => expect(got[j]).toBeCloseTo(v, 6));
  });

  for (const architecture of ['mlp', 'conv', 'residual'] as const) {
    it(`conforms on the ${architecture} net`, () => {
      const failed = checkConformance(directFeedbackAlignment as AnyRule, { architecture, options: { conv: 'kernel' } });
      expect(failed.filter((c) => !c.ok)).toEqual([]);
    });
  }
});

describe('alignment metric', () => {
  it('backprop against itself has cosine 1, angle 0, norm ratio 1, full sign agreement per layer', () => {
    const s = setup(...ARCHS.mlp, backprop as AnyRule);
    const rep = alignment(s.model, bpUpdates(s), bpUpdates(s));
    for (const l of [...rep.layers, rep.overall, rep.layerMean]) {
      expect(l.cosine).toBeCloseTo(1, 10);
      expect(l.angleDeg).toBeLessThan(1e-3);
      expect(l.normRatio).toBeCloseTo(1, 10);
      expect(l.signAgreement).toBe(1);
    }
  });

  it('an update pointing the other way has cosine −1', () => {
    const s = setup(...mlp([6, 10, 3]), backprop as AnyRule);
    const bp = bpUpdates(s);
    const flipped = bp.map((g) =>
      fromArray(
        Array.from(g.data, (v) => -2 * v),
        g.shape,
      ),
    );
    const rep = alignment(s.model, flipped, bp);
    expect(rep.overall.cosine).toBeCloseTo(-1, 6);
    expect(rep.overall.normRatio).toBeCloseTo(2, 6);
  });

  it('sign agreement leaves out entries where the reference is zero, and records their share', () => {
    const ref = fromArray([0, 0, 0, 0, 1, -1, 2, -2, 0, 0], [10]);
    // Agrees on 2 of the 4 nonzero entries; matches "0 = 0" nowhere.
    const u = fromArray([0, 0, 0, 0, 1, 1, -2, -2, 0, 0], [10]);
    const c = compare(u, ref);
    expect(c.signAgreement).toBeCloseTo(0.5, 12);
    expect(c.zeroShare).toBeCloseTo(0.6, 12);
  });

  it('the mean over layers weights every layer alike, unlike the parameter-weighted overall', () => {
    const s = setup(...mlp([60, 50, 3]), backprop as AnyRule);
    const ones = s.model.paramShapes().map((sh) => fromArray(new Array(sh.reduce((a, b) => a * b, 1)).fill(1), sh));
    // Flip the small output layer only (153 of 3203 entries): it barely moves the weighted figure.
    const u = ones.map((g, i) =>
      s.model.paramOwner[i] === 'fc2'
        ? fromArray(
            Array.from(g.data, (v) => -v),
            g.shape,
          )
        : g,
    );
    const rep = alignment(s.model, u, ones);
    expect(rep.layerMean.cosine).toBeCloseTo(0, 12);
    expect(rep.overall.cosine).toBeCloseTo((3050 - 153) / 3203, 12);
  });
});
