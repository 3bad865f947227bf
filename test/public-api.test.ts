// The public entries, reached by the package's own name as a user reaches them: a rule written
// against 'rulebench' passes the suite from 'rulebench/testing'; internals stay out of the main
// entry; rules and experiments import nothing else.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defineRule, taskGradient } from 'rulebench';
import { CONFORMANCE_MODELS, checkConformance } from 'rulebench/testing';

const scaledBackprop = defineRule({
  id: 'scaled-backprop',
  description: 'the task gradient, scaled',
  defaults: { scale: 0.5 },
  cost: () => 3,
  init: () => null,
  step(ctx, state, batch) {
    const { loss, grads } = taskGradient(ctx, batch);
    for (const g of grads) for (let i = 0; i < g.size; i++) g.data[i] *= ctx.options.scale;
    return { updates: grads, state, loss, metrics: {} };
  },
});

/** Every module specifier a file imports, statically or dynamically. */
function specifiers(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(/(?:^import\s[^;]*?from\s*|^import\s*|import\()\s*'([^']+)'/gm)].map((m) => m[1]);
}

describe('public entries', () => {
  it("'rulebench/testing' runs the conformance suite on a rule written against 'rulebench'", () => {
    expect(Object.keys(CONFORMANCE_MODELS)).toEqual(['mlp', 'conv', 'residual']);
    expect(checkConformance(scaledBackprop).filter((c) => !c.ok)).toEqual([]);
  });

  it('each subpath is the entry file package.json names', async () => {
    const { exports } = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, Record<string, string>> };
    for (const [sub, { default: file, types }] of Object.entries(exports)) {
      // Its declarations (types/, from scripts/build-types.mjs) mirror the entry file.
      expect(types, sub).toBe(file.replace(/^\.\/src\//, './types/').replace(/\.ts$/, '.d.ts'));
      const byName = await import(/* @vite-ignore */ `rulebench${sub.slice(1)}`);
      expect(byName, sub).toBe(await import(/* @vite-ignore */ new URL(`../${file}`, import.meta.url).href));
    }
  });

  it('the main entry leaves out the kernel and test internals, which the other entries hold', async () => {
    const main = await import('rulebench');
    const kernels = await import('rulebench/kernels');
    const testing = await import('rulebench/testing');
    for (const name of ['installBackend', 'withBackend', 'withThreads', 'backend', 'kUnary', 'kBinary', 'withFloat64']) {
      expect(name in main, name).toBe(false);
      expect(name in kernels, name).toBe(true);
    }
    for (const name of ['checkConformance', 'gradcheck', 'vjpCheck', 'jvpCheck']) {
      expect(name in main, name).toBe(false);
      expect(name in testing, name).toBe(true);
    }
    for (const name of ['OPS', 'conv2dBackwardInput', 'conv2dBackwardParams', 'setAnomalyMode', 'AlignmentMeter'])
      expect(name in main, name).toBe(false);
  });

  it('rules and experiments import only public entries (and each other)', () => {
    const PUBLIC = ['../src/index.ts', '../src/core.ts', '../src/testing.ts', '../src/kernels-api.ts', '../src/report/index.ts'];
    const bad: string[] = [];
    for (const dir of ['algorithms', 'experiments']) {
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
        for (const s of specifiers(`${dir}/${f}`)) {
          const ok =
            s.startsWith('node:') ||
            PUBLIC.includes(s) ||
            /^\.\/[\w-]+\.ts$/.test(s) ||
            (dir === 'experiments' && /^\.\.\/algorithms\/[\w-]+\.ts$/.test(s));
          if (!ok) bad.push(`${dir}/${f}: ${s}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });
});
