// Where one BP training step's time goes on the WASM backend: a Backend wrapper that forwards
// every kernel call and accumulates wall time per kernel, plus a step harness that times the
// phases of runTrial's step (rule.step, optimizer.update, arena release) around it.
import type {
  Backend,
  BinaryOp,
  Buf,
  Fingerprint,
  ReduceOp,
  RoundingCounts,
  RoundingTarget,
  UnaryOp,
  WindowGeometry,
} from '../src/kernels/backend.ts';
import type { BernoulliAux, NoiseKey, NoiseKind } from '../src/kernels/noise.ts';
import { withBackend } from '../src/kernels/index.ts';
import type { WasmBackend } from '../src/kernels/wasm/index.ts';
import {
  buildModel,
  classification,
  getRule,
  loadMnist,
  optimizerFromSpec,
  rng,
  ruleContext,
  type Batch,
  type RuleContext,
  type Tensor,
} from '../src/index.ts';
import { fromArray, withArena } from '../src/tensor/tensor.ts';

export type KernelCategory = 'matmul' | 'elementwise' | 'image' | 'allocation';

export interface KernelStat {
  key: string;
  category: KernelCategory;
  calls: number;
  ms: number;
  /** matmul only: floating-point operations per call (2mnk). */
  flops?: number;
  /** Calls whose storage was not in WASM memory (they ran on the reference fallback). */
  foreign: number;
  /** Wall time of every call (ms), for medians that ignore preempted calls on a busy machine. */
  times: number[];
}

export interface MatmulCall {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
}

/** Name of a matmul call in the MLP's terms: forward x·Wᵀ, input grad dY·W, weight grad dYᵀ·X. */
export function matmulKey(c: MatmulCall): string {
  const op = `${c.transA ? 'Aᵀ' : 'A'}·${c.transB ? 'Bᵀ' : 'B'}`;
  return `matmul ${op} ${c.m}×${c.n}×${c.k}`;
}

/** A Backend that forwards to `inner` and adds each call's wall time to per-kernel counters. */
export class ProfilingBackend implements Backend {
  readonly name: string;
  readonly stats = new Map<string, KernelStat>();
  readonly matmulCalls = new Map<string, MatmulCall>();
  constructor(private readonly inner: WasmBackend) {
    this.name = `profiled(${inner.name})`;
  }

  private add(key: string, category: KernelCategory, ms: number, foreign: boolean, flops?: number): void {
    let s = this.stats.get(key);
    if (!s) this.stats.set(key, (s = { key, category, calls: 0, ms: 0, foreign: 0, flops, times: [] }));
    s.calls++;
    s.ms += ms;
    s.times.push(ms);
    if (foreign) s.foreign++;
  }

  private own(...bufs: Buf[]): boolean {
    return bufs.every((b) => this.inner.owns(b));
  }

  reset(): void {
    this.stats.clear();
  }

  /** Copy of the counters (to diff phases). */
  snapshot(): Map<string, KernelStat> {
    return new Map([...this.stats].map(([k, v]) => [k, { ...v, times: v.times.slice() }]));
  }

  alloc(n: number, zero?: boolean): Buf {
    const t0 = performance.now();
    const b = this.inner.alloc(n, zero);
    this.add('alloc', 'allocation', performance.now() - t0, !this.inner.owns(b));
    return b;
  }

  free(buf: Buf): void {
    const t0 = performance.now();
    this.inner.free(buf);
    this.add('free', 'allocation', performance.now() - t0, false);
  }

  matmul(a: Buf, b: Buf, out: Buf, m: number, n: number, k: number, transA: boolean, transB: boolean): void {
    const t0 = performance.now();
    this.inner.matmul(a, b, out, m, n, k, transA, transB);
    const ms = performance.now() - t0;
    const call = { m, n, k, transA, transB };
    const key = matmulKey(call);
    this.matmulCalls.set(key, call);
    this.add(key, 'matmul', ms, !this.own(a, b, out), 2 * m * n * k);
  }

  binary(op: BinaryOp, a: Buf, aShape: readonly number[], b: Buf, bShape: readonly number[], out: Buf, outShape: readonly number[]): void {
    const t0 = performance.now();
    this.inner.binary(op, a, aShape, b, bShape, out, outShape);
    this.add(`binary ${op} [${aShape}]∘[${bShape}]`, 'elementwise', performance.now() - t0, !this.own(a, b, out));
  }

  unary(op: UnaryOp, a: Buf, out: Buf): void {
    const t0 = performance.now();
    this.inner.unary(op, a, out);
    this.add(`unary ${op} (${a.length})`, 'elementwise', performance.now() - t0, !this.own(a, out));
  }

  leakyRelu(a: Buf, out: Buf, alpha: number, grad: boolean): void {
    const t0 = performance.now();
    this.inner.leakyRelu(a, out, alpha, grad);
    this.add(`leakyRelu${grad ? ' grad' : ''} (${a.length})`, 'elementwise', performance.now() - t0, !this.own(a, out));
  }

  reduce(op: ReduceOp, a: Buf, out: Buf, outer: number, axisLen: number, inner: number): void {
    const t0 = performance.now();
    this.inner.reduce(op, a, out, outer, axisLen, inner);
    this.add(`reduce ${op} [${outer},${axisLen},${inner}]`, 'elementwise', performance.now() - t0, !this.own(a, out));
  }

  softmax(a: Buf, out: Buf, rows: number, cols: number, log: boolean): void {
    const t0 = performance.now();
    this.inner.softmax(a, out, rows, cols, log);
    this.add(`${log ? 'logSoftmax' : 'softmax'} [${rows},${cols}]`, 'elementwise', performance.now() - t0, !this.own(a, out));
  }

  transpose(a: Buf, shape: readonly number[], perm: readonly number[], out: Buf): void {
    const t0 = performance.now();
    this.inner.transpose(a, shape, perm, out);
    this.add(`transpose [${shape}] (${perm})`, 'elementwise', performance.now() - t0, !this.own(a, out));
  }

  axpby(a: Buf, scale: number, b: Buf, bScale: number, out: Buf): void {
    const t0 = performance.now();
    this.inner.axpby(a, scale, b, bScale, out);
    this.add(`axpby (${a.length})`, 'elementwise', performance.now() - t0, !this.own(a, b, out));
  }

  allFinite(a: Buf | readonly Buf[]): boolean {
    const t0 = performance.now();
    const ok = this.inner.allFinite(a);
    const bufs = ArrayBuffer.isView(a) ? [a] : a;
    this.add(`allFinite (${bufs.map((b) => b.length).join(', ')})`, 'elementwise', performance.now() - t0, !this.own(...bufs));
    return ok;
  }

  fingerprint(a: Buf): Fingerprint {
    const t0 = performance.now();
    const f = this.inner.fingerprint(a);
    this.add(`fingerprint (${a.length})`, 'elementwise', performance.now() - t0, !this.own(a));
    return f;
  }

  bernoulliSigmoid(a: Buf, key: NoiseKey, h: Buf, aux: Buf | null, kind: BernoulliAux | null, logProb: Buf | null): void {
    const t0 = performance.now();
    this.inner.bernoulliSigmoid(a, key, h, aux, kind, logProb);
    this.add(`bernoulliSigmoid (${a.length})`, 'elementwise', performance.now() - t0, !this.own(a, h));
  }

  binaryConcrete(a: Buf, key: NoiseKey, temperature: number, y: Buf, slope: Buf): void {
    const t0 = performance.now();
    this.inner.binaryConcrete(a, key, temperature, y, slope);
    this.add(`binaryConcrete (${a.length})`, 'elementwise', performance.now() - t0, !this.own(a, y, slope));
  }

  sigmoidAffine(a: Buf, scale: number, shift: number, out: Buf): void {
    const t0 = performance.now();
    this.inner.sigmoidAffine(a, scale, shift, out);
    this.add(`sigmoidAffine (${a.length})`, 'elementwise', performance.now() - t0, !this.own(a, out));
  }

  addNoise(out: Buf, scale: number, key: NoiseKey, offset: number, kind: NoiseKind, elementScale: Buf | null): void {
    const t0 = performance.now();
    this.inner.addNoise(out, scale, key, offset, kind, elementScale);
    this.add(`addNoise (${out.length})`, 'elementwise', performance.now() - t0, !this.own(out));
  }

  matmulRounded(
    a: Buf,
    b: Buf,
    out: Buf,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    target: RoundingTarget,
    scale?: number,
  ): void {
    const t0 = performance.now();
    this.inner.matmulRounded(a, b, out, m, n, k, transA, transB, target, scale);
    this.add(`matmulRounded (${m}x${n}x${k})`, 'matmul', performance.now() - t0, !this.own(a, b, out));
  }

  quantize(x: Buf, out: Buf, target: RoundingTarget, key: NoiseKey | null, offset: number, scale?: number): RoundingCounts {
    const t0 = performance.now();
    const counts = this.inner.quantize(x, out, target, key, offset, scale);
    this.add(`quantize (${x.length})`, 'elementwise', performance.now() - t0, !this.own(x, out));
    return counts;
  }

  optimizerStep(program: Float64Array, stages: number, param: Buf, update: Buf, slots: readonly Buf[], mode: number): number {
    const t0 = performance.now();
    const res = this.inner.optimizerStep(program, stages, param, update, slots, mode);
    this.add(`optimizerStep (${update.length})`, 'elementwise', performance.now() - t0, !this.own(param, update, ...slots));
    return res;
  }

  private timed(key: string, bufs: Buf[], run: () => void): void {
    const t0 = performance.now();
    run();
    this.add(key, 'image', performance.now() - t0, !this.own(...bufs));
  }

  im2col(x: Buf, cols: Buf, g: WindowGeometry): void {
    this.timed('im2col', [x, cols], () => this.inner.im2col(x, cols, g));
  }

  col2im(cols: Buf, dx: Buf, g: WindowGeometry): void {
    this.timed('col2im', [cols, dx], () => this.inner.col2im(cols, dx, g));
  }

  maxPool2d(x: Buf, out: Buf, argmax: Buf, g: WindowGeometry): void {
    this.timed('maxPool2d', [x, out, argmax], () => this.inner.maxPool2d(x, out, argmax, g));
  }

  maxPool2dBackward(gOut: Buf, argmax: Buf, dx: Buf, g: WindowGeometry): void {
    this.timed('maxPool2dBackward', [gOut, argmax, dx], () => this.inner.maxPool2dBackward(gOut, argmax, dx, g));
  }

  avgPool2d(x: Buf, out: Buf, g: WindowGeometry): void {
    this.timed('avgPool2d', [x, out], () => this.inner.avgPool2d(x, out, g));
  }

  avgPool2dBackward(gOut: Buf, dx: Buf, g: WindowGeometry): void {
    this.timed('avgPool2dBackward', [gOut, dx], () => this.inner.avgPool2dBackward(gOut, dx, g));
  }
}

export interface PhaseRow {
  /** What the time is spent on. */
  part: string;
  msPerStep: number;
  /** Share of the profiled step (rule.step + finite check + optimizer + arena release). */
  share: number;
}

export interface StepProfile {
  steps: number;
  /** Sum of the breakdown's parts (kernel medians × calls, phase medians): a preemption-robust step. */
  stepMs: number;
  /** Measured median of rule.step (forward + backward + loss read), preemptions included. */
  ruleStepMs: number;
  finiteCheckMs: number;
  optimizerMs: number;
  arenaReleaseMs: number;
  /** Kernel calls per step. */
  callsPerStep: number;
  breakdown: PhaseRow[];
  /** Per kernel: msPerStep = median call time × calls per step; meanMsPerStep includes preempted calls. */
  kernels: Array<Omit<KernelStat, 'times'> & { medianCallMs: number; msPerStep: number; meanMsPerStep: number; gflops?: number }>;
  matmulCalls: MatmulCall[];
  foreignCalls: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

function diff(after: Map<string, KernelStat>, before: Map<string, KernelStat>): Map<string, KernelStat> {
  const out = new Map<string, KernelStat>();
  for (const [k, a] of after) {
    const b = before.get(k);
    const d = {
      ...a,
      calls: a.calls - (b?.calls ?? 0),
      ms: a.ms - (b?.ms ?? 0),
      foreign: a.foreign - (b?.foreign ?? 0),
      times: a.times.slice(b?.times.length ?? 0),
    };
    if (d.calls > 0) out.set(k, d);
  }
  return out;
}

/** Robust total: each kernel's median call time × its call count (a preempted call does not count double). */
const sumMs = (m: Map<string, KernelStat>, cat?: KernelCategory): number =>
  [...m.values()].filter((s) => !cat || s.category === cat).reduce((a, s) => a + median(s.times) * s.calls, 0);

/**
 * Profile `steps` BP steps (after `warmup` untimed ones) of the 784-256-256-10 ReLU MLP, SGD lr 0.1,
 * batch 128 on real MNIST batches, the way runTrial runs a step: inside an arena, rule.step then
 * optimizer.update, on a profiling wrapper around `wasm`.
 */
export function profileBpStep(wasm: WasmBackend, steps = 60, warmup = 20): StepProfile {
  const prof = new ProfilingBackend(wasm);
  return withBackend(prof, () => {
    const root = rng(0);
    const model = buildModel({ sizes: [784, 256, 256, 10], activation: 'relu', init: 'heUniform' });
    const params = model.init(root.child('init'));
    const optimizer = optimizerFromSpec({ name: 'sgd', lr: 0.1 });
    const optState = optimizer.init(params);
    const rule = getRule('backprop');
    const task = classification(10);
    const options = { ...rule.defaults };
    const ruleRng = root.child('rule');
    const train = loadMnist('train');
    const B = 128;

    const phase = { rule: [] as number[], glue: [] as number[], check: [] as number[], opt: [] as number[], arena: [] as number[] };
    const kernRule = new Map<string, KernelStat>();
    const kernOpt = new Map<string, KernelStat>();
    const kernArena = new Map<string, KernelStat>();
    const accumulate = (into: Map<string, KernelStat>, d: Map<string, KernelStat>): void => {
      for (const [k, s] of d) {
        const t = into.get(k);
        if (t) {
          t.calls += s.calls;
          t.ms += s.ms;
          t.foreign += s.foreign;
          t.times.push(...s.times);
        } else into.set(k, { ...s, times: s.times.slice() });
      }
    };

    const ctxAt = (step: number): RuleContext =>
      ruleContext({ model, task, options, rule, rng: ruleRng, dropout: root.child('dropout'), params, step });
    let state: unknown = rule.init(ctxAt(-1));
    for (let step = 0; step < warmup + steps; step++) {
      const from = (step * B) % (train.n - B);
      const measured = step >= warmup;
      let tRule = 0,
        tCheck = 0,
        tOpt = 0,
        innerEnd = 0;
      let before = prof.snapshot(),
        afterRule = before,
        afterOpt = before;
      withArena(() => {
        // Built outside the clock, as in runTrial.
        const batch: Batch = {
          x: fromArray(train.x.subarray(from * 784, (from + B) * 784), [B, 784]),
          labels: (train.y as Int32Array).subarray(from, from + B),
          size: B,
        };
        before = prof.snapshot();
        const ctx = ctxAt(step);
        const s0 = performance.now();
        const res = rule.step(ctx, state, batch);
        const s1 = performance.now();
        afterRule = prof.snapshot();
        // BP hands its updates as a plain array (never lazily). runTrial checks each update is
        // finite inside its timed step, so this does too.
        const updates = res.updates as Tensor[];
        for (const u of updates) prof.allFinite(u.data);
        const s1b = performance.now();
        optimizer.update(params, updates, optState, step);
        const s2 = performance.now();
        afterOpt = prof.snapshot();
        state = res.state;
        tRule = s1 - s0;
        tCheck = s1b - s1;
        tOpt = s2 - s1b;
        innerEnd = performance.now();
      });
      const tArena = performance.now() - innerEnd;
      if (!measured) continue;
      const afterArena = prof.snapshot();
      const ruleKernels = diff(afterRule, before);
      // This step's glue: rule.step minus its kernels' raw time, so a preemption inside a kernel
      // does not land in the glue.
      phase.glue.push(tRule - [...ruleKernels.values()].reduce((a, k) => a + k.ms, 0));
      accumulate(kernRule, ruleKernels);
      accumulate(kernOpt, diff(afterOpt, afterRule));
      accumulate(kernArena, diff(afterArena, afterOpt));
      phase.rule.push(tRule);
      phase.check.push(tCheck);
      phase.opt.push(tOpt);
      phase.arena.push(tArena);
    }
    const perStep = (ms: number): number => ms / steps;
    const ruleStepMs = median(phase.rule);
    const optimizerMs = median(phase.opt);
    const checkMs = median(phase.check);
    const releaseFreeMs = median(phase.arena);

    const kRule = {
      matmul: perStep(sumMs(kernRule, 'matmul')),
      elementwise: perStep(sumMs(kernRule, 'elementwise')),
      allocation: perStep(sumMs(kernRule, 'allocation')),
    };
    const kOptKernels = perStep(sumMs(kernOpt));
    // Kernel sums and phases are medians (robust to a busy machine); glue is the rest of rule.step.
    const ruleGlue = Math.max(0, median(phase.glue));
    // The sum of robust parts: what a step costs when the machine does not preempt us.
    const stepMs = kRule.matmul + kRule.elementwise + kRule.allocation + ruleGlue + checkMs + optimizerMs + releaseFreeMs;
    const rows: PhaseRow[] = [
      { part: `matmul kernels (${wasm.name})`, msPerStep: kRule.matmul },
      { part: 'elementwise/reduce/softmax kernels (WASM)', msPerStep: kRule.elementwise },
      { part: 'alloc/free in step (JS allocator)', msPerStep: kRule.allocation },
      { part: 'JS glue in rule.step (tape, tensor objects, VJP dispatch, loss.item)', msPerStep: ruleGlue },
      { part: 'runner finite check of updates (WASM allFinite)', msPerStep: checkMs },
      {
        part: `optimizer.update (one optimizer-kernel pass per parameter${kOptKernels > 0 ? ', kernels included' : ''})`,
        msPerStep: optimizerMs,
      },
      { part: 'arena release (dispose + free; outside runTrial stepMs)', msPerStep: releaseFreeMs },
    ].map((r) => ({ ...r, share: r.msPerStep / stepMs }));

    for (const p of params) p.dispose();
    const all = new Map<string, KernelStat>();
    accumulate(all, kernRule);
    accumulate(all, kernOpt);
    accumulate(all, kernArena);
    const kernels = [...all.values()]
      .map(({ times, ...s }) => {
        const med = median(times);
        return {
          ...s,
          medianCallMs: med,
          msPerStep: perStep(med * s.calls),
          meanMsPerStep: perStep(s.ms),
          gflops: s.flops ? s.flops / (med * 1e6) : undefined,
        };
      })
      .sort((a, b) => b.msPerStep - a.msPerStep);
    return {
      steps,
      stepMs,
      ruleStepMs,
      finiteCheckMs: checkMs,
      optimizerMs,
      arenaReleaseMs: releaseFreeMs,
      callsPerStep: kernels.reduce((a, s) => a + s.calls, 0) / steps,
      breakdown: rows,
      kernels,
      matmulCalls: [...prof.matmulCalls.values()],
      foreignCalls: kernels.reduce((a, s) => a + s.foreign, 0),
    };
  });
}

export { median };
