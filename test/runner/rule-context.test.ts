// What a rule's context tells it about where training stands: the step, the epoch it belongs to
// and the steps in an epoch ("redraw every epoch" needs no hand-computed constant); and what
// evaluation makes of a rule's own `predict`, as its `predicts` declares it.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExperiment } from '../../src/runner/run.ts';
import { readRecords } from '../../src/runner/records.ts';
import type { EvalRecord } from '../../src/runner/record-types.ts';
import { main } from '../../src/cli.ts';
import { quiet, tmp } from './helpers.ts';

const api = join(import.meta.dirname, '..', '..', 'src', 'index.ts');

/** Backprop under another id whose `predict` returns `returns` (an expression of the model's output `out`), declared as `predicts`. */
const predicting = (id: string, returns: string, predicts?: string) =>
  `defineRule({ id: '${id}', description: 'x', defaults: {}, cost: () => 3, init: () => null,
    step(ctx, state, batch) { const { loss, grads } = taskGradient(ctx, batch); return { updates: grads, state, loss, metrics: {} }; },
    predict(ctx, _s, x) { const out = ctx.model.forward(ctx.params, x, ctx.infer); return ${returns}; },
    ${predicts ? `predicts: '${predicts}',` : ''} })`;

function predictSpec(rules: string[]): { file: string; out: string } {
  const dir = tmp('predict');
  const file = join(dir, 'exp.ts');
  writeFileSync(
    file,
    `import { defineRule, mul, scalar, softmax, taskGradient } from '${api}';
export default {
  name: 'predict-loss',
  data: { name: 'blobs', train: 64, test: 32, classes: 3, features: 4, validation: 16 },
  model: { sizes: [4, 8, 3] },
  optimizer: { name: 'sgd', lr: 0.1 },
  rules: ['backprop', ${rules.map((r) => `{ rule: ${r} }`).join(', ')}],
  seeds: [0],
  epochs: 2,
  batchSize: 16,
};
`,
  );
  return { file, out: join(dir, 'out') };
}

describe('the rule context', () => {
  it('holds the epoch and the steps per epoch at every step', async () => {
    const dir = tmp('rule-context');
    const file = join(dir, 'exp.ts');
    writeFileSync(
      file,
      `import { defineRule, taskGradient } from '${api}';
export default {
  name: 'rule-context',
  data: { name: 'blobs', train: 64, test: 16, classes: 3, features: 4 },
  model: { sizes: [4, 8, 3] },
  optimizer: { name: 'sgd', lr: 0.1 },
  rules: [{ rule: defineRule({ id: 'epoch-aware', description: 'x', defaults: {}, cost: () => 3, init: () => null,
    step(ctx, state, batch) {
      const { loss, grads } = taskGradient(ctx, batch);
      const epochStart = ctx.step % ctx.stepsPerEpoch === 0 ? 1 : 0;
      return { updates: grads, state, loss, metrics: { epoch: ctx.epoch, stepsPerEpoch: ctx.stepsPerEpoch, epochStart } };
    } }) }],
  seeds: [0],
  epochs: 3,
  batchSize: 16,
};
`,
    );
    const res = await runExperiment(file, { out: join(dir, 'out'), ...quiet });
    expect(res.summaries.map((s) => s.status)).toEqual(['done']);
    const evals = readRecords(join(dir, 'out')).filter((r): r is EvalRecord => r.type === 'eval');
    // One evaluation per epoch; its metrics are means over the epoch's 64 / 16 = 4 steps.
    expect(evals.map((e) => [e.epoch, e.metrics])).toEqual(
      [0, 1, 2].map((epoch) => [epoch, { epoch, stepsPerEpoch: 4, epochStart: 0.25 }]),
    );
  });

  it("computes the validation and test loss from a rule's predict (logits or probabilities), and says why there is none for scores", async () => {
    // Each rule is backprop bit for bit; only its predict differs, so each loss is backprop's.
    const { file, out } = predictSpec([
      predicting('predicts-logits', 'out', 'logits'),
      predicting('predicts-probabilities', 'softmax(out)', 'probabilities'),
      predicting('predicts-scores', 'mul(out, scalar(2))', 'scores'),
    ]);
    const res = await runExperiment(file, { out, ...quiet });
    expect(res.summaries.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done']);
    const evals = readRecords(out).filter((r): r is EvalRecord => r.type === 'eval');
    const of = (rule: string) => evals.filter((e) => e.rule === rule);
    const bp = of('backprop');
    expect(bp.every((e) => typeof e.valLoss === 'number' && typeof e.testLoss === 'number')).toBe(true);
    expect(of('predicts-logits').map((e) => [e.valLoss, e.testLoss, e.lossNote])).toEqual(
      bp.map((e) => [e.valLoss, e.testLoss, undefined]),
    );
    for (const [e, b] of of('predicts-probabilities').map((e, i) => [e, bp[i]])) {
      expect(e.valLoss).toBeCloseTo(b.valLoss!, 5);
      expect(e.testLoss).toBeCloseTo(b.testLoss!, 5);
    }
    const scores = of('predicts-scores');
    expect(scores.map((e) => [e.valAcc, e.testAcc])).toEqual(bp.map((e) => [e.valAcc, e.testAcc]));
    expect(scores.map((e) => [e.valLoss, e.testLoss])).toEqual(bp.map(() => [null, null]));
    for (const e of scores)
      expect(e.lossNote).toMatch(/rule "predicts-scores" predicts class scores that only rank the classes .*: no loss/);
  });

  it('refuses a rule with predict that does not declare predicts, in one line, before anything is written', async () => {
    const { file, out } = predictSpec([predicting('predicts-unsaid', 'out')]);
    let stderr = '';
    const code = await main(['run', file, '--out', out, '--workers', '1', '--no-report'], {
      stdout: () => {},
      stderr: (s) => (stderr += s),
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^rulebench: SpecError: rules\[1\]\.rule: rule "predicts-unsaid" has predict but no predicts; declare what it returns: 'logits', 'probabilities', 'scores'/,
    );
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });
});
