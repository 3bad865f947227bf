// Kernel threads never change a result: partitioned kernels (matmul, im2col, col2im) and a whole
// training run give bit-identical outputs for 1, 2 and 3 threads.
import { describe, expect, it } from 'vitest';
import { backprop } from '../../algorithms/backprop.ts';
import type { WindowGeometry } from '../../src/kernels/backend.ts';
import { withBackend, withThreads } from '../../src/kernels/index.ts';
import { createWasmBackend, type WasmBackend } from '../../src/kernels/wasm/index.ts';
import { rng } from '../../src/random.ts';
import type { AnyRule } from '../../src/rules/rule.ts';
import { runTrial, type TrialConfig, type TrialRecord } from '../../src/runner/trial.ts';
import { exactMismatch, fillUniform } from './helpers.ts';

const r = rng('threads');

describe('kernels split among threads are bit-identical to one thread', () => {
  const B = createWasmBackend();
  const counts = [1, 2, 3];
  const each = (fn: () => Float32Array): Float32Array[] =>
    counts.map((t) =>
      withThreads(t, () => {
        const out = fn().slice();
        expect(B.threads).toBe(t);
        return out;
      }),
    );
  const buf = (n: number) => fillUniform(B.alloc(n) as Float32Array, r);

  for (const [m, n, k, tA, tB] of [
    [128, 256, 784, false, true],
    [256, 784, 128, true, false],
    [131, 1027, 70, true, true],
    [7, 3000, 64, false, false],
    [640, 9, 300, false, true],
  ] as const) {
    it(`matmul ${m}x${n}x${k} transA=${tA} transB=${tB}`, () => {
      const a = buf(m * k),
        b = buf(k * n),
        out = B.alloc(m * n) as Float32Array;
      const outs = each(() => {
        out.fill(NaN);
        B.matmul(a, b, out, m, n, k, tA, tB);
        return out;
      });
      expect(outs[0].some(Number.isNaN)).toBe(false);
      for (let t = 1; t < outs.length; t++) expect(exactMismatch(outs[t], outs[0]), `${counts[t]} threads`).toBeNull();
    });
  }

  it('im2col and col2im (LeNet conv2 shapes, batch 32)', () => {
    const g: WindowGeometry = { n: 32, c: 6, h: 14, w: 14, kh: 5, kw: 5, sh: 1, sw: 1, ph: 0, pw: 0, oh: 10, ow: 10 };
    const x = buf(g.n * g.c * g.h * g.w);
    const cols = B.alloc(g.c * 25 * g.n * 100) as Float32Array;
    const colsOut = each(() => {
      B.im2col(x, cols, g);
      return cols;
    });
    const dx = B.alloc(x.length) as Float32Array;
    const dxOut = each(() => {
      B.col2im(cols, dx, g);
      return dx;
    });
    for (let t = 1; t < counts.length; t++) {
      expect(exactMismatch(colsOut[t], colsOut[0])).toBeNull();
      expect(exactMismatch(dxOut[t], dxOut[0])).toBeNull();
    }
  });

  it('follows the scoped thread count: stops its workers back at one thread', () => {
    const [m, n, k] = [128, 256, 784];
    const a = buf(m * k),
      b = buf(k * n),
      out = B.alloc(m * n) as Float32Array;
    withThreads(3, () => B.matmul(a, b, out, m, n, k, false, true));
    expect(B.threads).toBe(3);
    B.matmul(a, b, out, m, n, k, false, true);
    expect(B.threads).toBe(1);
    expect(() => withThreads(0, () => 0)).toThrow(/positive integer/);
  });
});

describe('a training run is bit-identical for any thread count', () => {
  it('backprop, Adam with global-norm clipping, alignment and memory on: same records with 1 and 3 threads', () => {
    const config: TrialConfig = {
      experiment: 'threads-test',
      rule: 'backprop',
      options: {},
      seed: 3,
      data: { name: 'mnist', train: 640, test: 200 },
      model: { sizes: [784, 128, 64, 10], activation: 'relu', init: 'heUniform' },
      optimizer: { name: 'adam', lr: 1e-3, clipNorm: 1 },
      batchSize: 64,
      epochs: 1,
      maxSteps: 0,
      evalEvery: 5,
      alignEvery: 3,
      alignSamples: 16,
      memory: true,
      debug: false,
    };
    const run = (threads: number): unknown[] => {
      const be: WasmBackend = createWasmBackend();
      const out: TrialRecord[] = [];
      withBackend(be, () => withThreads(threads, () => runTrial(config, 'threads', backprop as AnyRule, (rec) => out.push(rec))));
      expect(be.threads).toBe(threads);
      return out.map(({ host: _host, ...rest }) => rest);
    };
    const one = run(1);
    expect(one.length).toBeGreaterThan(2);
    expect(run(3)).toEqual(one);
  });
});
