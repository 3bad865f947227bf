// Paths recorded and printed as the user would type them: relative below the working directory,
// absolute outside it, so a committed experiment.json holds no machine's absolute path.
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildManifest } from '../../src/runner/manifest.ts';
import { shownPath } from '../../src/runner/shown-path.ts';
import type { ValidatedSpec } from '../../src/runner/spec.ts';

describe('shownPath', () => {
  it('is relative inside the working directory and absolute outside it', () => {
    expect(shownPath(resolve('experiments/mezo-pretrain.ts'))).toBe(join('experiments', 'mezo-pretrain.ts'));
    expect(shownPath(process.cwd())).toBe('.');
    const outside = join(tmpdir(), 'elsewhere', 'pre.ts');
    expect(shownPath(outside)).toBe(outside);
  });

  it("names a spec's stage files that way in experiment.json", () => {
    const need = { experiment: resolve('experiments/mezo-pretrain.ts'), out: 'results/pre' };
    const spec = { name: 'x', rules: [], needs: [need], quick: { epochs: 1, needs: [need] } } as unknown as ValidatedSpec;
    const m = buildManifest(spec, 'experiments/x.ts', [], false, {});
    const rel = join('experiments', 'mezo-pretrain.ts');
    expect(m.spec.needs).toEqual([{ experiment: rel, out: 'results/pre' }]);
    expect(m.spec.quick).toEqual({ epochs: 1, needs: [{ experiment: rel, out: 'results/pre' }] });
  });
});
