// The engine: the core's process-wide state in one object, changed only in scopes; and no module of
// src/ keeps mutable state of its own outside it, apart from the caches and registries named here.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineState, install, scoped, slot } from '../src/engine.ts';
import { anomalyMode, withAnomalyMode } from '../src/autograd/tape.ts';
import { backend, kernelThreads, withBackend, withThreads } from '../src/kernels/index.ts';
import { referenceBackend } from '../src/kernels/reference.ts';

describe('engine slots', () => {
  it('scoped sets a value for fn only, also when fn throws', () => {
    const s = slot('test: scoped', 1);
    expect(scoped(s, 2, () => scoped(s, 3, () => s.get()))).toBe(3);
    expect(() =>
      scoped(s, 4, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(s.get()).toBe(1);
  });

  it('a name is declared once, and install is refused inside a scope of its slot', () => {
    const s = slot('test: install', 'a');
    expect(() => slot('test: install', 'b')).toThrow(/declared twice/);
    install(s, 'b');
    expect(s.get()).toBe('b');
    expect(() => scoped(s, 'c', () => install(s, 'd'))).toThrow(/inside a scope/);
    expect(engineState()['test: install']).toBe('b');
  });

  it('backend, threads and anomaly mode are scoped: nothing for a caller to undo', () => {
    const before = backend();
    const inside = withBackend(referenceBackend, () => withThreads(3, () => [backend(), kernelThreads()]));
    expect(inside).toEqual([referenceBackend, 3]);
    expect([backend(), kernelThreads()]).toEqual([before, 1]);
    expect(withAnomalyMode(() => [anomalyMode(), withAnomalyMode(anomalyMode, false), anomalyMode()])).toEqual([true, false, true]);
    expect(anomalyMode()).toBe(false);
  });
});

/**
 * Module-level state that may live outside the engine, by file and name, each with why: caches
 * of what loads the same every time, and registries of named vocabularies.
 */
const ALLOWED: Record<string, Record<string, string>> = {
  'src/engine.ts': { names: 'the engine', values: 'the engine', depth: 'the engine' },
  'src/runner/execute.ts': { builtinsLoaded: 'cache: the built-in rules load once' },
  'src/runner/self-import.ts': { registered: 'cache: the module hook is registered once per thread' },
  'src/report/page.ts': { bundleCache: 'cache: the Vega bundles read once' },
  'src/kernels/wasm/index.ts': {
    cached: 'cache: one WASM backend per thread',
    compiled: 'cache: compiled WASM modules',
  },
  'src/kernels/wasm/instance.ts': { RELAXED_PROBE: 'constant: a module probing for relaxed SIMD' },
  'src/runner/self-import-hook.mjs': { root: "constant: the package's root URL" },
  'src/kernels/native/index.ts': { cached: 'cache: one native backend per thread' },
  'src/kernels/webgpu/index.ts': { cached: 'cache: one WebGPU backend (device thread) per thread' },
  'src/kernels/webgpu/device-worker.mjs': {
    signal: "the device thread's view of its control word",
    gpu: "the device thread's own GPU, adapter and device",
    memory: "the device thread's view of the newest WASM memory",
    pipelines: "cache: the device thread's compiled shaders",
    queue: "the device thread's requests, in order",
  },
  'src/data/mnist.ts': { cache: 'cache: parsed IDX files' },
  'src/data/fashion-mnist.ts': { cache: 'cache: parsed IDX files' },
  'src/data/cifar10.ts': { cache: 'cache: parsed batch files' },
  'src/rules/registry.ts': { rules: 'registry: learning rules by id' },
  'src/rules/feedback.ts': { dataReadersOf: 'cache: the weight layers that read the data, per model (weakly held)' },
  'src/autograd/ops.ts': { OPS: 'registry: primitive op records by name' },
  'src/nn/build.ts': { kinds: 'registry: layer kinds' },
  'src/nn/activations.ts': { sigmoidTemplate: 'cache: the sigmoid template of expression activations, parsed once' },
  'src/nn/presets.ts': { presets: 'registry: model presets' },
  'src/data/index.ts': { kinds: 'registry: datasets' },
  'src/optim/spec.ts': { kinds: 'registry: optimizers' },
  'src/optim/schedules.ts': { kinds: 'registry: learning-rate schedules' },
};

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'assembly' ? [] : files(p); // AssemblyScript: WASM globals, not JS state
    return /\.(ts|mjs)$/.test(e.name) ? [p] : [];
  });

/** Top-level `let`/`var`, collections made at top level (unless typed read-only), and static class fields that are not readonly. */
function mutableDeclarations(text: string): string[] {
  const found: string[] = [];
  for (const line of text.split('\n')) {
    let m = /^(?:export\s+)?(?:let|var)\s+(\w+)/.exec(line);
    if (m) found.push(m[1]);
    m = /^(?:export\s+)?const\s+(\w+)\s*(?::\s*([^=]+))?=\s*(?:new\s+[A-Z]\w*|\[\s*\]|\{\s*\})/.exec(line);
    if (m && !/^\s*Readonly/.test(m[2] ?? '')) found.push(m[1]);
    m = /^\s+(?:private\s+|protected\s+|public\s+)?static\s+(?!readonly)(\w+)\s*[:=]/.exec(line);
    if (m) found.push(m[1]);
  }
  return found;
}

describe('process state', () => {
  it('no module of src/ keeps mutable state outside the engine, but the caches and registries named here', () => {
    const root = join(import.meta.dirname, '..');
    const stray: string[] = [];
    for (const f of files(join(root, 'src'))) {
      const rel = relative(root, f);
      for (const name of mutableDeclarations(readFileSync(f, 'utf8'))) if (!ALLOWED[rel]?.[name]) stray.push(`${rel}: ${name}`);
    }
    expect(stray).toEqual([]);
  });

  it('the scan finds what it must', () => {
    const text =
      'let a = 1;\nexport let b;\nconst c = new Map();\nconst d: X[] = [];\nconst e: ReadonlySet<string> = new Set();\nclass K {\n  private static f = 1;\n  static readonly g = 2;\n}\nconst h = new Registry();';
    expect(mutableDeclarations(text)).toEqual(['a', 'b', 'c', 'd', 'f', 'h']);
  });
});
