// The WebGPU backend (Dawn through the optional `webgpu` package): the kernel conformance suite
// with its stated tolerances, bit-identical reruns, and a short training run with the same records
// twice. Without a GPU Dawn runs on SwiftShader (`npm test`'s pretest: scripts/ensure-webgpu.sh).
// Where the optional package is absent (npm ci --omit=optional, or a platform it has no build
// for), the backend must refuse with a message saying so; that is what gets tested there.
// First: it sets up SwiftShader's environment before anything below can start Dawn.
import { webgpuPresent as present } from './webgpu-env.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { backprop } from '../../algorithms/backprop.ts';
import { feedbackAlignment } from '../../algorithms/feedback-alignment.ts';
import { mezo } from '../../algorithms/mezo.ts';
import type { NoiseKind, UnaryOp } from '../../src/kernels/backend.ts';
import { NOISE_KINDS } from '../../src/kernels/noise.ts';
import { withBackend } from '../../src/kernels/index.ts';
import { referenceBackend as ref } from '../../src/kernels/reference.ts';
import { backendFromEnv } from '../../src/kernels/select.ts';
import { createWasmBackend } from '../../src/kernels/wasm/index.ts';
import { createWebGpuBackend, DEVICE_KERNELS, eager, HOST_KERNELS, type WebGpuBackend } from '../../src/kernels/webgpu/index.ts';
import { jvp, valueAndGrad } from '../../src/autograd/functional.ts';
import { exp, logSoftmax, matmul, relu, softmaxCrossEntropy, sum } from '../../src/autograd/ops.ts';
import { IGNORE, tokenCrossEntropy } from '../../src/autograd/sequence-ops.ts';
import { rng } from '../../src/random.ts';
import { fromArray, type Tensor } from '../../src/tensor/tensor.ts';
import type { AnyRule } from '../../src/rules/rule.ts';
import { runTrial, type TrialConfig, type TrialRecord } from '../../src/runner/trial.ts';
import { kernelConformance, type NoiseTolerances, type Tolerance } from './conformance.ts';
import { exactMismatch, fillUniform, mismatch } from './helpers.ts';

describe('the WebGPU backend without its optional package', () => {
  it('refuses with one line naming the package and how to get it', async () => {
    await expect(createWebGpuBackend({ specifier: 'rulebench-no-such-package' })).rejects.toThrow(
      /^RULEBENCH_BACKEND=webgpu: the optional package "rulebench-no-such-package" is not installed \(npm install/,
    );
  });
  if (!present) {
    it('RULEBENCH_BACKEND=webgpu says the same about `webgpu`', async () => {
      await expect(backendFromEnv('webgpu')).rejects.toThrow(/the optional package "webgpu" is not installed/);
    });
  }
});

if (present) {
  // Poisoned: a host read of a device-only block that skipped the accessor (Tensor.data) sees NaN.
  const B: WebGpuBackend = await createWebGpuBackend({ poison: true });
  afterAll(() => B.close());
  // The conformance suite writes and reads raw storage around each call: synced around each.
  const synced = eager(B);

  describe('WebGPU backend setup', () => {
    it('found an adapter and says which kernels stay in WASM', () => {
      expect(B.name).toBe('webgpu');
      expect(B.adapter.length).toBeGreaterThan(0);
      expect(B.hostKernels).toEqual(HOST_KERNELS);
      // Every kernel of the interface is either on the device or named as a host kernel.
      const kernels = Object.keys(ref).filter((k) => typeof (ref as unknown as Record<string, unknown>)[k] === 'function' && k !== 'alloc');
      expect([...DEVICE_KERNELS, ...HOST_KERNELS].sort()).toEqual(kernels.sort());
    });

    it('RULEBENCH_BACKEND=webgpu selects it', async () => {
      const chosen = await backendFromEnv('webgpu');
      expect(chosen.name).toBe('webgpu');
      expect(chosen.backend.name).toBe('webgpu');
    });

    it('reruns give the same bits (fixed reduction orders, no atomics)', () => {
      const r = rng('webgpu-rerun');
      const [m, n, k] = [33, 65, 300];
      const a = fillUniform(B.alloc(m * k) as Float32Array, r);
      const b = fillUniform(B.alloc(k * n) as Float32Array, r);
      const runs = [0, 1].map(() => {
        const out = B.alloc(m * n);
        synced.matmul(a, b, out, m, n, k, true, false);
        const sm = B.alloc(m * n);
        synced.softmax(out, sm, m, n, true);
        const sum = B.alloc(n);
        synced.reduce('sum', sm, sum, 1, m, n);
        return [Array.from(out), Array.from(sm), Array.from(sum)];
      });
      expect(runs[1]).toEqual(runs[0]);
    });
  });

  describe('residency: tensors stay on the device between kernels', () => {
    const r = rng('webgpu-residency');
    const values = (n: number): number[] => Array.from({ length: n }, () => r.range(-1, 1));
    const delta = (from: ReturnType<WebGpuBackend['transfers']>) => {
      const now = B.transfers();
      return {
        dispatches: now.dispatches - from.dispatches,
        uploads: now.uploads - from.uploads,
        readbacks: now.readbacks - from.readbacks,
      };
    };

    it('a chain of kernels uploads its inputs once and reads back only what the host reads', () => {
      withBackend(B, () => {
        const [a, b] = [fromArray(values(24), [4, 6]), fromArray(values(18), [6, 3])];
        const start = B.transfers();
        const loss = sum(logSoftmax(relu(matmul(a, b))));
        // matmul, relu, logSoftmax, sum: four dispatches, a and b go up, nothing comes back.
        expect(delta(start)).toEqual({ dispatches: 4, uploads: 2, readbacks: 0 });
        const value = loss.item();
        expect(delta(start)).toEqual({ dispatches: 4, uploads: 2, readbacks: 1 });
        // The same chain on the host's copies (WASM) gives a value within the suite's tolerance.
        const wasmValue = withBackend(createWasmBackend(), () =>
          sum(logSoftmax(relu(matmul(fromArray(a.toArray(), [4, 6]), fromArray(b.toArray(), [6, 3]))))).item(),
        );
        expect(Math.abs(value - wasmValue)).toBeLessThan(1e-5 * Math.abs(wasmValue));
        // Reading again costs nothing; a host write makes the next kernel upload again.
        loss.item();
        a.data[0] = 0.5;
        exp(a);
        expect(delta(start)).toEqual({ dispatches: 5, uploads: 3, readbacks: 1 });
      });
    });

    // Six positions of five classes, counted six times (not a power of two, so 1/rows rounds) or,
    // with skipped positions, three times.
    const losses: [string, (x: Tensor) => Tensor, number[]][] = [
      ['softmaxCrossEntropy', (x) => softmaxCrossEntropy(x, [0, 4, 2, 2, 1, 3]), [6, 5]],
      ['tokenCrossEntropy, positions skipped', (x) => tokenCrossEntropy(x, Int32Array.from([0, IGNORE, 2, 2, IGNORE, IGNORE])), [2, 3, 5]],
    ];
    for (const [name, loss, shape] of losses) {
      it(`${name}: loss, gradient and forward-mode derivative from kernels, nothing read back until the loss is read`, () => {
        const data = values(30);
        const direction = values(30);
        const evaluate = (be: Parameters<typeof withBackend>[0], watch: boolean) =>
          withBackend(be, () => {
            const start = B.transfers();
            const { value, grads } = valueAndGrad(loss)(fromArray(data, shape));
            if (watch) expect(delta(start).readbacks).toBe(0);
            const l = value.item();
            if (watch) expect(delta(start).readbacks).toBe(1);
            // Forward mode (forward gradients): the directional derivative along a tangent, likewise.
            const mid = B.transfers();
            const { tangent } = jvp(loss, fromArray(data, shape), fromArray(direction, shape));
            if (watch) expect(delta(mid).readbacks).toBe(0);
            return { loss: l, grad: grads.toArray(), dir: tangent.item() };
          });
        const [gpu, cpu] = [evaluate(B, true), evaluate(createWasmBackend(), false)];
        expect(Math.abs(gpu.loss - cpu.loss)).toBeLessThanOrEqual(2 ** -22 * cpu.loss);
        expect(mismatch(gpu.grad, cpu.grad, 2 ** -21, 2 ** -28)).toBeNull();
        // The same derivative from the gradient: Σ ∂L/∂x ⊙ t.
        const terms = cpu.grad.map((g, i) => g * direction[i]);
        expect(Math.abs(gpu.dir - cpu.dir)).toBeLessThanOrEqual(2 ** -20 * terms.reduce((acc, v) => acc + Math.abs(v), 0));
        expect(Math.abs(cpu.dir - terms.reduce((acc, v) => acc + v, 0))).toBeLessThan(1e-6);
      });
    }

    it('subarrays at unaligned offsets and in-place kernels (scratch copies on the device)', () => {
      const wasm = createWasmBackend();
      const data = values(3 + 5 * 7 + 7 * 2);
      const run = (be: WebGpuBackend | typeof wasm): number[] => {
        const x = be.alloc(data.length) as Float32Array;
        x.set(data);
        if (be === B) B.sync(x, 'write');
        // A [5, 7] from offset 3 times B [7, 2] from offset 38, into a subarray at offset 1.
        const out = be.alloc(1 + 10) as Float32Array;
        be.matmul(x.subarray(3, 38), x.subarray(38, 52), out.subarray(1, 11), 5, 2, 7, false, false);
        be.unary('exp', out.subarray(1, 11), out.subarray(1, 11));
        if (be === B) B.sync(out, 'read');
        return Array.from(out);
      };
      const [gpu, cpu] = [run(B), run(wasm)];
      expect(gpu[0]).toBe(0);
      gpu.forEach((v, i) => expect(Math.abs(v - cpu[i])).toBeLessThanOrEqual(1e-5 * Math.abs(cpu[i])));
    });
  });

  // WGSL leaves the accuracy of exp, log, tanh and sin/cos to the device (its spec allows exp
  // 3 + 2|x| ulp and sin/cos 2^-11 absolute on [−π, π]). These bounds hold SwiftShader's measured
  // worst cases (docs/webgpu.md) with a factor of about two; the other kernels keep the suite's own.
  const transcendental: Tolerance = { rel: 2 ** -14, abs: 2 ** -20 };
  const trig: Tolerance = { rel: 0, abs: 2 ** -11 };
  const unary: Partial<Record<UnaryOp, Tolerance>> = { sin: trig, cos: trig };
  for (const op of ['exp', 'log', 'tanh', 'sigmoid', 'softplus', 'gelu', 'geluGrad'] as const) unary[op] = transcendental;
  // The noise kernels and average pooling in f32 (docs/webgpu.md, which derives these): the
  // stream's words are exact (Rademacher draws are bit for bit), the transforms a few ulp off;
  // 2^-46 absolute holds where the reference's own 1 − σ cancels in f64.
  const noise: NoiseTolerances = {
    draws: { gaussian: { rel: 2 ** -20, abs: 2 ** -20 }, rademacher: { rel: 0, abs: 0 }, logistic: { rel: 2 ** -20, abs: 2 ** -20 } },
    arith: 2 ** -22,
    bernoulli: { band: 2 ** -21, values: { rel: 2 ** -20, abs: 2 ** -46 } },
    concrete: { z: 2 ** -20, values: { rel: 2 ** -22, abs: 2 ** -46 } },
  };
  // WGSL has no f64. axpby emulates it with f32 pairs (about 48 bits), so only near-ties may
  // round the other way: within an ulp. The optimizer programs run in f32, each of a stage's
  // dozen-odd operations rounding to 2⁻²⁴ of its operands: 2⁻²⁰ relative plus 2⁻²⁰ absolute on
  // these O(1) values; their dry-run Σu² sums exact squares of those u: 2⁻¹⁸ relative. The
  // fingerprint's sums add exact f32 terms as hi + lo pairs, at most n/256 + 8 additions of
  // 2⁻⁴⁴ each in one invocation's chain: 2⁻³² relative up to 2¹⁶ elements.
  kernelConformance('webgpu', synced, {
    unary,
    noise,
    avgPool: 2 ** -22,
    axpby: { rel: 2 ** -23, abs: 2 ** -40 },
    optimizer: { state: { rel: 2 ** -20, abs: 2 ** -20 }, sums: { rel: 2 ** -18, abs: 0 } },
    fingerprintSums: { rel: 2 ** -32, abs: 0 },
  });

  describe('the noise kernels on the device: one value per draw, the same on every run', () => {
    const keys: [number, number][] = [
      [3, 4],
      [0xffffffff, 0x80000000],
    ];
    /** addNoise at scale 1 into zeros: the device's draws offset … offset + n − 1. */
    const drawn = (key: [number, number], offset: number, n: number, kind: NoiseKind): Float32Array => {
      const out = B.alloc(n, true) as Float32Array;
      synced.addNoise(out, 1, key, offset, kind, null);
      return Float32Array.from(out);
    };
    for (const kind of NOISE_KINDS) {
      it(`${kind}: any range of a stream is the same bits as that stretch of a longer one, on every rerun`, () => {
        for (const key of keys) {
          // A long stretch across the 2^31 boundary (the logarithm's two branches swap there for
          // odd and even words alike), then ranges of it at odd and even starts and lengths.
          const base = 2 ** 31 - 1000;
          const whole = drawn(key, base, 2 * 1000 + 7, kind);
          expect(drawn(key, base, 2 * 1000 + 7, kind)).toEqual(whole);
          for (const [from, n] of [
            [0, 1],
            [1, 1],
            [3, 256],
            [999, 3],
            [1000, 1007],
            [257, 1023],
          ]) {
            expect(drawn(key, base + from, n, kind), `key ${key}, from ${from}, n ${n}`).toEqual(whole.subarray(from, from + n));
          }
        }
      });
    }

    it('addNoise into a subarray at an unaligned offset adds to its values and leaves the rest', () => {
      // The device binds such a range through a scratch copy, which must start from the range's values.
      const n = 300;
      const buf = B.alloc(n + 4) as Float32Array;
      buf.forEach((_, i) => (buf[i] = Math.cos(i)));
      const want = Float32Array.from(buf);
      synced.addNoise(buf.subarray(3, 3 + n), 0.5, [9, 10], 5, 'rademacher', null);
      ref.addNoise(want.subarray(3, 3 + n), 0.5, [9, 10], 5, 'rademacher', null);
      // Rademacher draws are exact; out + 0.5·z rounds once either way.
      expect(exactMismatch(buf, want)).toBeNull();
    });

    it('bernoulliSigmoid and binaryConcrete: the same bits on a rerun', () => {
      const n = 1001;
      const a = B.alloc(n) as Float32Array;
      a.forEach((_, i) => (a[i] = 8 * Math.sin(i)));
      const once = (): number[][] => {
        const [h, aux, lp, y, slope] = [0, 1, 2, 3, 4].map(() => B.alloc(n) as Float32Array);
        synced.bernoulliSigmoid(a, [7, 8], h, aux, 'score', lp);
        synced.binaryConcrete(a, [7, 8], 0.5, y, slope);
        return [h, aux, lp, y, slope].map((b) => Array.from(b));
      };
      const first = once();
      expect(first[0].filter((v) => v === 1).length).toBeGreaterThan(n / 4);
      expect(once()).toEqual(first);
    });
  });

  describe('a short training run on WebGPU', () => {
    const MLP = { model: { sizes: [784, 32, 10], activation: 'relu', init: 'heUniform' }, data: { name: 'mnist', train: 256, test: 100 } };
    // LeNet-5 on 32×32 MNIST: convolutions (im2col, matmul, col2im) and max pooling on the device.
    const LENET = { model: { preset: 'lenet5', init: 'xavierUniform' }, data: { name: 'mnist', train: 64, test: 32, resize: 32 } };
    type Net = { model: TrialConfig['model']; data: TrialConfig['data'] };
    const config = (rule: string, net: Net): TrialConfig => ({
      experiment: 'webgpu-test',
      rule,
      options: {},
      seed: 5,
      data: net.data,
      model: net.model,
      // SGD on LeNet: Adam's steps would hide a gradient off by a constant factor. MeZO streams
      // its updates, which clipping by the global norm cannot take: plain SGD, as in its paper.
      optimizer: net === LENET || rule === 'mezo' ? { name: 'sgd', lr: 0.05 } : { name: 'adam', lr: 1e-3, clipNorm: 1 },
      batchSize: net === LENET ? 16 : 32,
      epochs: 1,
      maxSteps: 0,
      evalEvery: net === LENET ? 2 : 4,
      alignEvery: 4,
      alignSamples: 16,
      memory: true,
      debug: false,
    });
    const run = (backend: Parameters<typeof withBackend>[0], rule: AnyRule, net: Net = MLP as Net): TrialRecord[] => {
      const out: TrialRecord[] = [];
      withBackend(backend, () => runTrial(config(rule.id, net), 'webgpu', rule, (rec) => out.push(rec)));
      return out;
    };
    const strip = (recs: TrialRecord[]): unknown[] => recs.map(({ host: _host, ...rest }) => rest);
    /** The largest relative difference between two runs' losses, over every evaluation. */
    const lossGap = (a: TrialRecord[], b: TrialRecord[]): number => {
      const losses = (recs: TrialRecord[]): number[] => recs.flatMap((x) => (x.type === 'eval' ? [x.trainLoss, x.testLoss ?? NaN] : []));
      const [la, lb] = [losses(a), losses(b)];
      expect(la.length).toBe(lb.length);
      return Math.max(...la.map((v, i) => Math.abs(v - lb[i]) / Math.abs(lb[i])));
    };

    for (const rule of [backprop, feedbackAlignment] as AnyRule[]) {
      it(`${rule.id}: the same records on two reruns, and the loss WASM reaches`, () => {
        const first = run(B, rule);
        expect(first.filter((x) => x.type === 'eval').length).toBeGreaterThan(1);
        expect(strip(run(B, rule))).toEqual(strip(first));
        // Not bit-identical to WASM (other summation orders, other exp): close over 8 steps.
        expect(lossGap(first, run(createWasmBackend(), rule))).toBeLessThan(1e-3);
      });
    }

    it('MeZO (the noise kernels perturb the parameters on the device): the same records on two reruns', () => {
      const first = run(B, mezo as AnyRule);
      expect(first.filter((x) => x.type === 'eval').length).toBeGreaterThan(1);
      expect(strip(run(B, mezo as AnyRule))).toEqual(strip(first));
    });

    it('LeNet-5, backprop: the same records on two reruns, and the loss WASM reaches', () => {
      const first = run(B, backprop as AnyRule, LENET as Net);
      expect(first.filter((x) => x.type === 'eval').length).toBeGreaterThan(1);
      expect(strip(run(B, backprop as AnyRule, LENET as Net))).toEqual(strip(first));
      expect(lossGap(first, run(createWasmBackend(), backprop as AnyRule, LENET as Net))).toBeLessThan(1e-3);
    });
  });
}
