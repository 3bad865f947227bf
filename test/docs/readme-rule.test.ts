// The README's example rule is code a newcomer copies: it must load from its own file, import the
// public API as 'rulebench', and pass the conformance suite (whose checks include: the loss falls).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulesFrom } from '../../src/index.ts';
import { checkConformance } from 'rulebench/testing';

/** The README's one fenced TypeScript block that defines a rule. */
function readmeRule(): string {
  const readme = readFileSync('README.md', 'utf8');
  const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  const rules = blocks.filter((b) => b.includes('defineRule('));
  expect(rules).toHaveLength(1);
  return rules[0];
}

describe("the README's example rule", () => {
  it('loads from a file of its own and passes the conformance suite on an MLP and a conv net', async () => {
    // Inside the repository, so that 'rulebench' resolves to this package as it does for users.
    mkdirSync('.tmp/readme-rule', { recursive: true });
    const file = `.tmp/readme-rule/my-rule-${process.pid}.ts`;
    writeFileSync(file, readmeRule());
    const [rule] = await loadRulesFrom(file);
    for (const architecture of ['mlp', 'conv'] as const) {
      expect(checkConformance(rule, { architecture }).filter((c) => !c.ok)).toEqual([]);
    }
  });
});
