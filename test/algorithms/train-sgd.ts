// A small training loop for rule tests: 256 blobs, batches of 32, plain SGD applied to the rule's
// updates, with a callback after each step (before the update is applied).
import {
  blobs,
  buildModel,
  classification,
  fromArray,
  materialize,
  noGrad,
  rng,
  ruleContext,
  sgd,
  type AnyRule,
  type Batch,
  type ModelSpec,
  type RuleOptions,
  type Tensor,
} from '../../src/index.ts';

export const MLP: ModelSpec = { sizes: [20, 32, 32, 4], activation: 'tanh', init: 'xavierUniform' };

/** Train `rule` with plain SGD at rate `lr` on 256 blobs, calling `each` after every step. */
export function trainSgd(
  rule: AnyRule,
  options: RuleOptions,
  steps: number,
  lr: number,
  spec: ModelSpec = MLP,
  sample = [20],
  each?: (step: number, state: unknown, ctx: ReturnType<typeof ruleContext>, updates: Tensor[]) => void,
) {
  const model = buildModel(spec, { sampleShape: sample, outputs: 4 });
  const params = model.init(rng(0).child('init'));
  const task = classification(4);
  const ds = blobs(256, 4, model.inputSize, 1.0, rng(0).child('data'));
  const opt = sgd({ lr });
  const optState = opt.init(params);
  const ctxAt = (step: number) =>
    ruleContext({ model, task, params, rule, options, rng: rng(0).child('rule'), dropout: rng(0).child('dropout'), step });
  let state = rule.init(ctxAt(-1));
  const f = model.inputSize;
  for (let s = 0; s < steps; s++) {
    const b = s % 8;
    const batch: Batch = {
      x: fromArray(ds.x.subarray(b * 32 * f, (b + 1) * 32 * f), [32, f]),
      labels: ds.y.subarray(b * 32, (b + 1) * 32),
      size: 32,
    };
    const res = rule.step(ctxAt(s), state, batch);
    state = res.state;
    const updates = materialize(res.updates);
    each?.(s, state, ctxAt(s), updates);
    noGrad(() => opt.update(params, updates, optState, s));
  }
  return { model, params, state, ctx: ctxAt(steps) };
}
