// A rule from a file outside algorithms/ loads by path and runs exactly like a built-in one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getRule, loadRulesFrom } from '../../src/index.ts';
import { checkConformance } from '../../src/rules/conformance.ts';

const FILE = 'test/fixtures/user-rules/noisy-sign-backprop.ts';

describe('user rules', () => {
  it('load by path, register by id and pass the conformance suite', async () => {
    const [rule] = await loadRulesFrom(FILE);
    expect(rule.id).toBe('noisy-sign-backprop');
    expect(getRule('noisy-sign-backprop')).toBe(rule);
    expect(checkConformance(rule, { options: { noise: 0.1 } }).filter((c) => !c.ok)).toEqual([]);
  });

  it('a file exporting no rule gets an error naming the file', async () => {
    await expect(loadRulesFrom('test/fixtures/mlp-gradients.json')).rejects.toThrow(/mlp-gradients\.json/);
  });

  it('the README shows this exact example rule', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain(readFileSync(FILE, 'utf8'));
  });
});
