// Kolen-Pollack: under SGD its feedback follows the explicit KP recursion B ← B − η(δxᵀ + λB), and
// on a small task the angle between B and W falls toward 0 while plain FA's stays near 90°.
import { describe, expect, it } from 'vitest';
import { feedbackAlignment } from '../../algorithms/feedback-alignment.ts';
import { kolenPollack } from '../../algorithms/kolen-pollack.ts';
import { CONFORMANCE_MODELS } from '../../src/testing.ts';
import {
  adamw,
  blobs,
  buildModel,
  classification,
  compare,
  feedbackLayers,
  fromArray,
  materialize,
  noGrad,
  rng,
  ruleContext,
  type AnyRule,
  type Batch,
  type ModelSpec,
  type RuleOptions,
  type Tensor,
} from '../../src/index.ts';
import { MLP, trainSgd } from './train-sgd.ts';

const angles = (rule: AnyRule, ctx: ReturnType<typeof ruleContext>, state: unknown) =>
  Object.entries(rule.diagnostics!(ctx as never, state as never))
    .filter(([k]) => k.endsWith('feedbackAngleDeg'))
    .map(([, v]) => v);

describe('kolen-pollack', () => {
  it('under SGD, B follows KP’s recursion B ← B − η(δxᵀ + λB) with δxᵀ the weight gradient of each step', () => {
    const lr = 0.1;
    const decay = 0.05;
    let explicit: Map<string, Float64Array> | null = null;
    let worst = 0;
    trainSgd(kolenPollack as AnyRule, { lr, decay }, 40, lr, MLP, [20], (step, state, ctx, updates) => {
      const s = state as { offset: Record<string, Tensor> };
      const layers = feedbackLayers(ctx.model);
      if (!explicit) {
        // B₀ = W₀ + D₀ before the first update.
        explicit = new Map(
          layers.map((l) => {
            const w = ctx.params[l.params.weight.index];
            return [l.path, Float64Array.from(w.data, (v, k) => v + s.offset[l.path].data[k] / (1 - lr * decay))];
          }),
        );
      }
      for (const l of layers) {
        const i = l.params.weight.index;
        const w = ctx.params[i];
        const B = explicit.get(l.path)!;
        // The rule's W update is δxᵀ + λW: recover δxᵀ and take B's own KP step.
        for (let k = 0; k < B.length; k++) B[k] -= lr * (updates[i].data[k] - decay * w.data[k] + decay * B[k]);
        // After this step W will be w − lr·update; the rule's B is then W + D.
        for (let k = 0; k < B.length; k++) {
          const ruleB = w.data[k] - lr * updates[i].data[k] + s.offset[l.path].data[k];
          worst = Math.max(worst, Math.abs(ruleB - B[k]));
        }
      }
    });
    expect(worst).toBeLessThan(1e-5);
  });

  it('under AdamW with its decay left to the optimizer, B takes exactly W’s Adam steps and the same decay', () => {
    const lr = 0.01;
    const decay = 0.5;
    const model = buildModel(MLP, null);
    const params = model.init(rng(6).child('init'));
    const ds = blobs(64, 4, 20, 1, rng(6).child('data'));
    const task = classification(4);
    const opt = adamw({ lr, weightDecay: decay });
    const optState = opt.init(params);
    const rule = kolenPollack as AnyRule;
    const options = { lr, decay, coupled: false };
    const ctxAt = (step: number) => ruleContext({ model, task, params, rule, options, rng: rng(6).child('rule'), dropout: rng(6), step });
    const state = kolenPollack.init(ctxAt(-1) as never);
    const layers = feedbackLayers(model);
    // The explicit recursion: each B with its own AdamW, fed W's gradient.
    const explicit = layers.map((l) => {
      const B = params[l.params.weight.index].clone();
      for (let k = 0; k < B.size; k++) B.data[k] += state.offset[l.path].data[k];
      return B;
    });
    const bOpt = adamw({ lr, weightDecay: decay });
    const bState = bOpt.init(explicit);
    for (let s = 0; s < 30; s++) {
      const batch: Batch = {
        x: fromArray(ds.x.subarray((s % 2) * 640, (s % 2) * 640 + 640), [32, 20]),
        labels: ds.y.subarray((s % 2) * 32, (s % 2) * 32 + 32),
        size: 32,
      };
      const u = materialize(kolenPollack.step(ctxAt(s) as never, state, batch).updates);
      noGrad(() =>
        bOpt.update(
          explicit,
          layers.map((l) => u[l.params.weight.index]),
          bState,
          s,
        ),
      );
      noGrad(() => opt.update(params, u, optState, s));
    }
    layers.forEach((l, j) => {
      const w = params[l.params.weight.index];
      for (let k = 0; k < w.size; k++) expect(Math.abs(w.data[k] + state.offset[l.path].data[k] - explicit[j].data[k])).toBeLessThan(1e-5);
    });
  });

  it('the B–W angle falls toward 0 on a small task while plain FA’s stays near 90°', () => {
    const kp = trainSgd(kolenPollack as AnyRule, { lr: 0.1, decay: 0.1 }, 300, 0.1);
    const fa = trainSgd(feedbackAlignment as AnyRule, {}, 300, 0.1);
    const kpAngles = angles(kolenPollack as AnyRule, kp.ctx, kp.state);
    const faAngles = angles(feedbackAlignment as AnyRule, fa.ctx, fa.state);
    for (const a of kpAngles) expect(a).toBeLessThan(20);
    // FA's fixed B: only W moves, and it aligns with B partly (FA's own alignment), far from 0.
    for (const a of faAngles) expect(a).toBeGreaterThan(45);
    expect(Math.max(...kpAngles)).toBeLessThan(Math.min(...faAngles) / 2);
  });

  it('starts from FA’s random feedback: step 0 equals feedback alignment’s update below the decay term', () => {
    const model = buildModel(MLP, null);
    const params = model.init(rng(4).child('init'));
    const ds = blobs(32, 4, 20, 1, rng(4).child('data'));
    const batch: Batch = { x: fromArray(ds.x, [32, 20]), labels: ds.y, size: 32 };
    const ctx = (rule: AnyRule, options: RuleOptions) =>
      ruleContext({ model, task: classification(4), params, rule, options, rng: rng(4).child('rule'), dropout: rng(4), step: 0 });
    const kpCtx = ctx(kolenPollack as AnyRule, { decay: 0 });
    const faCtx = ctx(feedbackAlignment as AnyRule, {});
    const kpU = materialize(kolenPollack.step(kpCtx as never, kolenPollack.init(kpCtx as never), batch).updates);
    const faU = materialize(feedbackAlignment.step(faCtx as never, feedbackAlignment.init(faCtx as never), batch).updates);
    kpU.forEach((u, i) => expect(compare(u, faU[i]).cosine, model.paramNames[i]).toBeGreaterThan(1 - 1e-6));
  });

  it('works on conv layers (B is a kernel) and refuses a single weight layer, naming the rule', () => {
    const conv = trainSgd(kolenPollack as AnyRule, { lr: 0.05, decay: 1 }, 120, 0.05, CONFORMANCE_MODELS.conv as ModelSpec, [1, 6, 6]);
    const start = trainSgd(kolenPollack as AnyRule, {}, 0, 0, CONFORMANCE_MODELS.conv as ModelSpec, [1, 6, 6]);
    const before = angles(kolenPollack as AnyRule, start.ctx, start.state);
    const after = angles(kolenPollack as AnyRule, conv.ctx, conv.state);
    before.forEach((a) => expect(a).toBeGreaterThan(75));
    after.forEach((a) => expect(a).toBeLessThan(10));
    const single = buildModel({ sizes: [6, 3] }, null);
    const c = ruleContext({
      model: single,
      task: classification(3),
      params: single.init(rng(0)),
      rule: kolenPollack as AnyRule,
      rng: rng(0),
      dropout: rng(0),
      step: -1,
    });
    expect(() => kolenPollack.check!(c as never)).toThrow(/^kolen-pollack: .*at least two dense or conv layers/);
  });
});
