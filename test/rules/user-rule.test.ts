// A rule from a file outside algorithms/ loads by path, swaps layers through the public layer
// API, and runs exactly like a built-in one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backprop } from '../../algorithms/backprop.ts';
import {
  blobs,
  buildModel,
  classification,
  fromArray,
  getRule,
  loadRulesFrom,
  materialize,
  rng,
  ruleContext,
  type AnyRule,
} from '../../src/index.ts';
import { CONFORMANCE_MODELS, checkConformance } from '../../src/testing.ts';

const FILE = 'test/fixtures/user-rules/noisy-feedback.ts';

describe('user rules', () => {
  it('load by path, register by id and pass the conformance suite on an MLP and a conv net', async () => {
    const [rule] = await loadRulesFrom(FILE);
    expect(rule.id).toBe('noisy-feedback');
    expect(getRule('noisy-feedback')).toBe(rule);
    for (const architecture of ['mlp', 'conv'] as const) {
      expect(checkConformance(rule, { architecture, options: { noise: 0.1 } }).filter((c) => !c.ok)).toEqual([]);
    }
  });

  it('with no noise it is backprop, bit for bit, on a conv net', async () => {
    const [rule] = await loadRulesFrom(FILE);
    const model = buildModel(CONFORMANCE_MODELS.conv, { sampleShape: [1, 6, 6], outputs: 4 });
    const params = model.init(rng(1));
    const ds = blobs(16, 4, 36, 0.5, rng(2));
    const batch = { x: fromArray(ds.x, [16, 36]), labels: ds.y, size: 16 };
    const at = (r: AnyRule, options = {}) =>
      ruleContext({ model, task: classification(4), params, rule: r, options, rng: rng(3), dropout: rng(4), step: 0 });
    const mine = materialize(rule.step(at(rule, { noise: 0 }), null, batch).updates);
    const bp = materialize(backprop.step(at(backprop as AnyRule) as never, null, batch).updates);
    mine.forEach((u, i) => expect(Array.from(u.data)).toEqual(Array.from(bp[i].data)));
  });

  it('a file exporting no rule gets an error naming the file', async () => {
    await expect(loadRulesFrom('test/fixtures/mlp-gradients.json')).rejects.toThrow(/mlp-gradients\.json/);
  });

  it('the rule-author guide (docs/writing-rules.md) shows this exact example rule', () => {
    const guide = readFileSync('docs/writing-rules.md', 'utf8');
    expect(guide).toContain(readFileSync(FILE, 'utf8'));
  });
});
