// Learning rules on sequence models: backprop with checkpointing per block and truncated BPTT,
// FA and DFA on a transformer's dense maps, MeZO, synthetic gradients at cuts in time, and the
// rules that refuse a sequence model before training (naming the module).
import { describe, expect, it } from 'vitest';
import {
  backprop,
  directFeedbackAlignment,
  feedbackAlignment,
  forwardForward,
  gumbelSoftmax,
  mezo,
  reinforce,
  straightThrough,
  syntheticGradients,
} from '../../algorithms/index.ts';
import { checkpointed } from '../../algorithms/backprop.ts';
import {
  add,
  buildModel,
  buildNetwork,
  compare,
  concat,
  mse,
  mul,
  noGrad,
  stopGradient,
  sum,
  zeros,
  type RecurrentModule,
  feedbackLayers,
  fromArray,
  isRecurrent,
  materialize,
  rng,
  ruleContext,
  sequence,
  SpecError,
  type AnyRule,
  type Batch,
  type ModelSpec,
  type RuleContext,
  type RuleOptions,
  type Tensor,
  valueAndGrad,
} from '../../src/index.ts';

const T = 12;
const V = 7;
const TRANSFORMER: ModelSpec = { preset: 'transformer', blocks: 2, dim: 8, heads: 2, init: 'xavierUniform' };
const GRU: ModelSpec = { preset: 'rnn', cell: 'gru', hidden: 10, dim: 6, init: 'xavierUniform' };

function setup(spec: ModelSpec, rule: AnyRule, options: RuleOptions = {}) {
  const model = buildModel(spec, { sampleShape: [T], outputs: V, outputShape: [T, V] });
  const params = model.init(rng(3).child('init'));
  const task = sequence(V, { positions: T });
  const r = rng(4);
  const n = 5;
  const ids = Array.from({ length: n * (T + 1) }, () => r.int(V));
  const x = fromArray(
    Array.from({ length: n * T }, (_, k) => ids[Math.floor(k / T) * (T + 1) + (k % T)]),
    [n, T],
  );
  const labels = Int32Array.from({ length: n * T }, (_, k) => ids[Math.floor(k / T) * (T + 1) + (k % T) + 1]);
  const batch: Batch = { x, labels, size: n };
  const ctx = (step: number): RuleContext => ruleContext({ model, task, params, rule, options, rng: rng(5), dropout: rng(6), step });
  return { model, params, task, batch, ctx };
}

const flat = (ts: readonly Tensor[]) => ts.map((t) => Array.from(t.data));
const scaled = (t: Tensor, c: number) => {
  const out = t.clone();
  for (let i = 0; i < out.size; i++) out.data[i] *= c;
  return out;
};
const bpGrads = (s: ReturnType<typeof setup>) => flat(materialize(backprop.step(s.ctx(0) as never, null, s.batch).updates));

describe('rules on sequence models', () => {
  it('backprop checkpointed per block gives the plain gradients bit for bit on a transformer LM', () => {
    const s = setup(TRANSFORMER, backprop as unknown as AnyRule);
    expect(s.model.root.children.map((m) => m.path)).toEqual(['embed', 'block0', 'block1', 'norm', 'head']);
    const plain = bpGrads(s);
    const ck = flat(materialize(backprop.step({ ...s.ctx(0), options: { checkpoint: 1, truncate: 0 } } as never, null, s.batch).updates));
    expect(ck).toEqual(plain);
    expect(checkpointed(s.model, 1).root.children.length).toBe(5);
  });

  it('weight tying: the head reads the embedding table, whose gradient sums both uses', () => {
    const tied = buildModel({ ...TRANSFORMER, tie: true } as ModelSpec, { sampleShape: [T], outputs: V, outputShape: [T, V] });
    const untied = buildModel(TRANSFORMER, { sampleShape: [T], outputs: V, outputShape: [T, V] });
    expect(tied.paramNames).not.toContain('head.weight');
    expect(tied.params.length).toBe(untied.params.length - 1);
    const head = tied.find('head')!;
    expect(head.params.weight.path).toBe('embed.token');
    // Finite difference on one table entry: both the lookup and the head see it.
    const s = setup({ ...TRANSFORMER, tie: true } as ModelSpec, backprop as unknown as AnyRule);
    const loss = (p: Tensor[]) => s.task.loss(s.model.forward(p, s.batch.x), s.batch);
    const g = valueAndGrad(loss)([...s.params]).grads[0].data[3];
    const eps = 1e-2;
    const at = (d: number) => {
      const p = s.params.map((t) => t.clone());
      p[0].data[3] += d;
      return loss(p).item();
    };
    expect(Math.abs((at(eps) - at(-eps)) / (2 * eps) - g)).toBeLessThan(2e-3 * Math.max(1, Math.abs(g)));
  });

  it('feedback alignment swaps the attention projections: the head learns as in BP, layers below do not', () => {
    const s = setup(TRANSFORMER, feedbackAlignment as unknown as AnyRule);
    expect(s.model.weightLayers().map((l) => l.path)).toContain('block0.attn.self.q');
    feedbackAlignment.check!(s.ctx(-1) as never);
    const state = feedbackAlignment.init(s.ctx(-1) as never);
    const fa = flat(materialize(feedbackAlignment.step(s.ctx(0) as never, state, s.batch).updates));
    const bp = bpGrads(s);
    const head = s.model.paramNames.indexOf('head.weight');
    expect(fa[head]).toEqual(bp[head]);
    const q = s.model.paramNames.indexOf('block0.attn.self.q.weight');
    expect(fa[q]).not.toEqual(bp[q]);
    expect(fa.every((u) => u.every(Number.isFinite))).toBe(true);
  });

  it('FA and DFA treat q, k and v alike: all three read the normalised embedding, so all three send feedback', () => {
    const qkv = ['q', 'k', 'v'].map((n) => `block0.attn.self.${n}`);
    const fa = setup(TRANSFORMER, feedbackAlignment as unknown as AnyRule);
    expect(feedbackLayers(fa.model).map((l) => l.path)).toEqual(expect.arrayContaining(qkv));
    expect(Object.keys(feedbackAlignment.init(fa.ctx(-1) as never).fixed)).toEqual(expect.arrayContaining(qkv));
    const dfa = setup(TRANSFORMER, directFeedbackAlignment as unknown as AnyRule);
    expect(Object.keys(directFeedbackAlignment.init(dfa.ctx(-1) as never).feedback)).toEqual(expect.arrayContaining(qkv));
    // Layers that read the data itself are the ones left out, all of them: attention straight on the input.
    const raw = buildNetwork(
      [
        { type: 'attention', heads: 2 },
        { type: 'dense', units: V, positionwise: true },
      ],
      [T, 4],
    );
    expect(feedbackLayers(raw).map((l) => l.path)).toEqual(['0.o', '1']);
  });

  it("DFA projects each position's output error into each positionwise layer", () => {
    const s = setup(TRANSFORMER, directFeedbackAlignment as unknown as AnyRule);
    directFeedbackAlignment.check!(s.ctx(-1) as never);
    const state = directFeedbackAlignment.init(s.ctx(-1) as never);
    expect(state.feedback['block0.mlp.fc2'].shape).toEqual([V, 32]);
    expect(state.feedback['head'].shape).toEqual([V, 8]);
    const dfa = flat(materialize(directFeedbackAlignment.step(s.ctx(0) as never, state, s.batch).updates));
    const bp = bpGrads(s);
    const head = s.model.paramNames.indexOf('head.weight');
    expect(dfa[head]).toEqual(bp[head]);
    expect(dfa[0]).not.toEqual(bp[0]);
  });

  it('MeZO trains a transformer LM from two forward passes, restoring the parameters', () => {
    const s = setup(TRANSFORMER, mezo as unknown as AnyRule, { eps: 1e-3 });
    const before = flat(s.params);
    const res = mezo.step(s.ctx(0) as never, mezo.init(s.ctx(-1) as never), s.batch);
    const after = flat(s.params);
    for (let i = 0; i < before.length; i++)
      for (let k = 0; k < before[i].length; k++) expect(Math.abs(after[i][k] - before[i][k])).toBeLessThan(1e-5);
    expect(Number.isFinite(res.loss)).toBe(true);
    expect(materialize(res.updates).map((u) => u.shape)).toEqual(s.params.map((p) => p.shape));
  });

  it('truncated BPTT drops the gradient across cuts; zero synthesizers give exactly it; the oracle gives full BPTT', () => {
    const s = setup(GRU, backprop as unknown as AnyRule);
    expect(s.model.modules().some(isRecurrent)).toBe(true);
    const full = bpGrads(s);
    const cut = flat(materialize(backprop.step({ ...s.ctx(0), options: { checkpoint: 0, truncate: 4 } } as never, null, s.batch).updates));
    const wh = s.model.paramNames.indexOf('rnn.hiddenWeight');
    expect(cut[wh]).not.toEqual(full[wh]);
    // The head's gradient needs no backpropagation through time.
    const head = s.model.paramNames.indexOf('head.weight');
    expect(cut[head]).toEqual(full[head]);

    const dni = (options: RuleOptions) => {
      const d = setup(GRU, syntheticGradients as unknown as AnyRule, { truncate: 4, ...options });
      syntheticGradients.check!(d.ctx(-1) as never);
      const st = syntheticGradients.init(d.ctx(-1) as never);
      expect(st.synths.map((x) => x.boundary)).toEqual(['rnn']);
      return syntheticGradients.step(d.ctx(0) as never, st, d.batch);
    };
    // Synthesizers start at zero: the first step is truncated BPTT.
    const first = flat(materialize(dni({}).updates));
    for (let i = 0; i < cut.length; i++) for (let k = 0; k < cut[i].length; k++) expect(first[i][k]).toBeCloseTo(cut[i][k], 6);
    const oracle = flat(materialize(dni({ oracle: true }).updates));
    for (let i = 0; i < full.length; i++) for (let k = 0; k < full[i].length; k++) expect(oracle[i][k]).toBeCloseTo(full[i][k], 6);
  });

  it('temporal DNI by hand: δ̂(h_c) enters at each cut, and the target is the next segment’s gradient plus its own δ̂, stopped there', () => {
    // Truncated BPTT with a zero tensor e_c added after each cut, and the surrogate loss
    // L + Σ_c ⟨δ̂(h_c)/terms, h_c⟩ (δ̂ a constant): its parameter gradient is the DNI update, and
    // ∂/∂e_c is what arrives at cut c from beyond it — the next segment's losses and the δ̂ its end
    // received, nothing from further on. Cuts at 3, 6 and 9 of 12 steps.
    const k = 3;
    const d = setup(GRU, syntheticGradients as unknown as AnyRule, { truncate: k, synthLr: 1e-2 });
    const st = syntheticGradients.init(d.ctx(-1) as never);
    const synth = st.synths[0];
    const r = rng(7);
    for (const p of synth.params) for (let i = 0; i < p.size; i++) p.data[i] = 0.5 * r.normal();
    const terms = d.batch.labels!.length;
    const predict = (h: Tensor) => noGrad(() => synth.net.forward(synth.params, h));

    const hs: Tensor[] = [];
    const es = [0, 1, 2].map(() => zeros([d.batch.size, 10]));
    const hand = d.model.map((m) =>
      isRecurrent(m)
        ? (m as RecurrentModule).withBoundary(k, (h) => {
            hs.push(h);
            return add(stopGradient(h), es[hs.length - 1]);
          })
        : m,
    );
    const surrogate = (all: Tensor[]) => {
      hs.length = 0;
      const params = all.slice(0, d.params.length);
      const cutGrads = all.slice(d.params.length);
      es.splice(0, es.length, ...cutGrads);
      const task = d.task.loss(hand.forward(params, d.batch.x, d.ctx(0).train), d.batch);
      return hs.reduce((acc, h) => add(acc, sum(mul(h, scaled(predict(stopGradient(h)), 1 / terms)))), task);
    };
    const { grads } = valueAndGrad(surrogate)([...d.params, ...es]);
    const expectedUpdates = flat(grads.slice(0, d.params.length));
    const targets = concat(
      grads.slice(d.params.length).map((g) => scaled(g, terms)),
      0,
    );
    const h = concat(
      hs.map((x) => stopGradient(x)),
      0,
    );
    const expectedLoss = mse(synth.net.forward(synth.params, h), targets).item();
    const expectedCos = compare(scaled(predict(h), 1 / terms), scaled(targets, 1 / terms)).cosine;

    const res = syntheticGradients.step(d.ctx(0) as never, st, d.batch);
    const got = flat(materialize(res.updates));
    for (let i = 0; i < got.length; i++) for (let j = 0; j < got[i].length; j++) expect(got[i][j]).toBeCloseTo(expectedUpdates[i][j], 6);
    expect(res.metrics['rnn.synthLoss']).toBeCloseTo(expectedLoss, 5);
    expect(res.metrics['rnn.cosTarget']).toBeCloseTo(expectedCos, 5);
    // Not vacuous: δ̂ moves the update away from truncated BPTT's.
    const cut = flat(materialize(backprop.step({ ...d.ctx(0), options: { checkpoint: 0, truncate: k } } as never, null, d.batch).updates));
    const wh = d.model.paramNames.indexOf('rnn.hiddenWeight');
    expect(Math.max(...got[wh].map((v, j) => Math.abs(v - cut[wh][j])))).toBeGreaterThan(1e-4);
  });

  it('temporal synthesizers learn to predict the gradient from beyond the cut', () => {
    const d = setup(GRU, syntheticGradients as unknown as AnyRule, { truncate: 4, synthLr: 1e-2 });
    let st = syntheticGradients.init(d.ctx(-1) as never);
    const cos: number[] = [];
    for (let step = 0; step < 60; step++) {
      const res = syntheticGradients.step(d.ctx(step) as never, st, d.batch);
      st = res.state;
      cos.push(res.metrics['rnn.cosTarget']);
    }
    // Parameters are held fixed here: the synthesizer regresses on one fixed target.
    expect(cos[0]).toBe(0);
    expect(cos.at(-1)!).toBeGreaterThan(0.5);
  });

  it('rules not defined on sequence models refuse them before training, naming the module', () => {
    const refusals: Array<[AnyRule, ModelSpec, RegExp]> = [
      [forwardForward as unknown as AnyRule, TRANSFORMER, /forward-forward: .*module "embed"/],
      [straightThrough as unknown as AnyRule, TRANSFORMER, /straight-through: .*module "embed"/],
      [reinforce as unknown as AnyRule, TRANSFORMER, /reinforce: .*module "embed"/],
      [gumbelSoftmax as unknown as AnyRule, TRANSFORMER, /gumbel-softmax: .*module "embed"/],
      [feedbackAlignment as unknown as AnyRule, GRU, /feedback-alignment: module "rnn" \(gru\) is recurrent/],
      [directFeedbackAlignment as unknown as AnyRule, GRU, /direct-feedback-alignment: module "rnn" \(gru\) is recurrent/],
      [syntheticGradients as unknown as AnyRule, GRU, /module "rnn" is recurrent; set option truncate/],
      [syntheticGradients as unknown as AnyRule, TRANSFORMER, /boundary "block0.mlp.act" carries a sequence/],
    ];
    for (const [rule, spec, msg] of refusals) {
      const s = setup(spec, rule);
      expect(() => rule.check!(s.ctx(-1)), rule.id).toThrow(SpecError);
      expect(() => rule.check!(s.ctx(-1)), rule.id).toThrow(msg);
    }
    const bp = setup(TRANSFORMER, backprop as unknown as AnyRule, { truncate: 4 });
    expect(() => backprop.check!(bp.ctx(-1) as never)).toThrow(/no recurrent module/);
  });
});
