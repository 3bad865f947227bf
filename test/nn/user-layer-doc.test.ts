// docs/models.md's layer type of one's own is code a newcomer copies: saved as its own file, it
// must register its type and train through the runner. (Run from a file outside the repository
// by the CLI, a spec registering a layer is test/nn/user-layer.test.ts's case.)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EvalRecord, SummaryRecord } from '../../src/runner/record-types.ts';
import { readRecords } from '../../src/runner/records.ts';
import { runExperiment } from '../../src/runner/run.ts';
import { quiet, tmp } from '../runner/helpers.ts';

/** The page's one fenced TypeScript block that registers a layer. */
function docLayer(): string {
  const blocks = [...readFileSync('docs/models.md', 'utf8').matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  const layers = blocks.filter((b) => b.includes('registerLayer('));
  expect(layers).toHaveLength(1);
  return layers[0];
}

describe("docs/models.md's own layer type", () => {
  it('runs from a file of its own: its gain layer is built and learns', async () => {
    // Inside the repository, so that 'rulebench' resolves to this package as it does for users.
    const dir = join('.tmp', `doc-layer-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'my-layer.ts'), docLayer());
    const out = join(tmp('doc-layer'), 'out');
    const res = await runExperiment(join(dir, 'my-layer.ts'), { ...quiet, out, subset: 400 });
    expect(res.summaries.map((s: SummaryRecord) => s.status)).toEqual(['done']);
    const last = readRecords(out)
      .filter((r): r is EvalRecord => r.type === 'eval')
      .at(-1)!;
    expect(last.testAcc).toBeGreaterThan(0.3); // 10 classes: chance is about 0.1
  });
});
