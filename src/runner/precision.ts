// Precision as spec vocabulary: `precision: { compute, master, lossScale, rounding, accumulate }`,
// validated here, and what a trial does with it, for every rule alike (nothing here knows which
// rule runs). Its rounding points:
//   weights as used — the rule's step sees its parameters rounded to the forward format (the
//     float32 master copy is put back before the optimizer runs, unless `master` is 'compute');
//   activations — every op's output, the residuals saved for backward among them (autograd/precision.ts);
//   cotangents — every cotangent a backward pass makes, rounded at the loss scale S (q(g·S)/S:
//     what scaled backprop keeps, in the loss's units; autograd/precision.ts);
//   updates — each update the rule hands over, as the scaled gradient stored in the backward
//     format would be, q(u·S)/S (so rules without a backward pass are scaled alike);
//   optimizer state and parameters — rounded to the compute format after each step when `master` is 'compute'.
// Dynamic loss scaling (as the frameworks run it after Micikevicius et al. 2018, whose experiments
// chose one constant scale per network): a step whose scaled updates overflow is skipped and the
// scale divided by `factor`; after `window` steps without overflow it is multiplied (defaults init
// 2^16, factor 2, window 2000: PyTorch's GradScaler's; docs/precision.md compares them).
import { withPrecision, roundInPlace, tally, type PrecisionScope, type RoundingTally } from '../autograd/precision.ts';
import { SpecError } from '../errors.ts';
import { floatFormat, type FloatFormat } from '../kernels/float-formats.ts';
import { backend } from '../kernels/index.ts';
import type { Model } from '../nn/model.ts';
import type { OptState } from '../optim/index.ts';
import type { Rng } from '../random.ts';
import type { ByCategory } from '../tensor/ledger.ts';
import type { Tensor } from '../tensor/tensor.ts';

export type FormatName = 'fp32' | 'bf16' | 'fp16' | 'fp8-e4m3' | 'fp8-e5m2';

export interface DynamicLossScale {
  /** The starting scale (a power of two; default 2^16). */
  init?: number;
  /** What an overflow divides it by and a clean window multiplies it by (a power of two; default 2). */
  factor?: number;
  /** Steps without overflow before it grows (default 2000). */
  window?: number;
}

export interface PrecisionSpec {
  /** The format compute runs in: one for both passes, or the forward's and the backward's (FP8 recipes: e4m3 / e5m2). Default fp32. */
  compute?: FormatName | { forward: FormatName; backward: FormatName };
  /** Where the weights the optimizer updates live: a float32 master copy (default) or the compute (forward) format. */
  master?: 'fp32' | 'compute';
  /** A static scale (a power of two, default 1), or dynamic scaling ('dynamic' for the defaults). */
  lossScale?: number | 'dynamic' | DynamicLossScale;
  /** Default 'nearest-even'; 'stochastic' draws from the trial's 'precision' stream. */
  rounding?: 'nearest-even' | 'stochastic';
  /** The matmul accumulator: float32 (default) or the compute format. */
  accumulate?: 'fp32' | 'compute';
}

const KEYS = ['compute', 'master', 'lossScale', 'rounding', 'accumulate'];
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);
const isPow2 = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0 && 2 ** Math.round(Math.log2(x)) === x;

function choice<T extends string>(field: string, v: unknown, accepted: readonly T[]): T {
  if (!(accepted as readonly unknown[]).includes(v))
    throw new SpecError(`${field}: expected one of ${accepted.join(', ')}, got ${show(v)}`);
  return v as T;
}

/** The resolved policy: formats, not names. */
export interface Precision {
  forward: FloatFormat;
  backward: FloatFormat;
  master: 'fp32' | 'compute';
  lossScale: { static: number } | { init: number; factor: number; window: number };
  stochastic: boolean;
  accumulate: 'fp32' | 'compute';
}

/** Validate `v` (the spec's or an entry's `precision`), naming the field at fault. */
export function resolvePrecision(v: unknown, field = 'precision'): Precision {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SpecError(`${field}: expected an object, got ${show(v)}`);
  const p = v as Record<string, unknown>;
  for (const k of Object.keys(p))
    if (!KEYS.includes(k)) throw new SpecError(`${field}.${k}: unknown key; accepted keys: ${KEYS.join(', ')}`);
  let forward = floatFormat('fp32', field);
  let backward = forward;
  if (typeof p.compute === 'object' && p.compute !== null && !Array.isArray(p.compute)) {
    const c = p.compute as Record<string, unknown>;
    for (const k of Object.keys(c))
      if (k !== 'forward' && k !== 'backward') throw new SpecError(`${field}.compute.${k}: unknown key; accepted keys: forward, backward`);
    forward = floatFormat(c.forward, `${field}.compute.forward`);
    backward = floatFormat(c.backward, `${field}.compute.backward`);
  } else if (p.compute !== undefined) {
    forward = backward = floatFormat(p.compute, `${field}.compute`);
  }
  const master = p.master === undefined ? 'fp32' : choice(`${field}.master`, p.master, ['fp32', 'compute'] as const);
  const rounding =
    p.rounding === undefined ? 'nearest-even' : choice(`${field}.rounding`, p.rounding, ['nearest-even', 'stochastic'] as const);
  const accumulate = p.accumulate === undefined ? 'fp32' : choice(`${field}.accumulate`, p.accumulate, ['fp32', 'compute'] as const);
  return {
    forward,
    backward,
    master,
    lossScale: resolveLossScale(p.lossScale, `${field}.lossScale`),
    stochastic: rounding === 'stochastic',
    accumulate,
  };
}

function resolveLossScale(v: unknown, field: string): Precision['lossScale'] {
  if (v === undefined) return { static: 1 };
  if (typeof v === 'number') {
    if (!isPow2(v)) throw new SpecError(`${field}: a static scale must be a power of two (so scaling is exact), got ${show(v)}`);
    return { static: v };
  }
  const d = v === 'dynamic' ? {} : v;
  if (typeof d !== 'object' || d === null || Array.isArray(d))
    throw new SpecError(`${field}: expected a power of two, 'dynamic', or { init, factor, window }, got ${show(v)}`);
  const o = d as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!['init', 'factor', 'window'].includes(k)) throw new SpecError(`${field}.${k}: unknown key; accepted keys: init, factor, window`);
  const init = o.init ?? 2 ** 16;
  const factor = o.factor ?? 2;
  const window = o.window ?? 2000;
  if (!isPow2(init)) throw new SpecError(`${field}.init: expected a power of two, got ${show(o.init)}`);
  if (!isPow2(factor) || factor < 2) throw new SpecError(`${field}.factor: expected a power of two ≥ 2, got ${show(o.factor)}`);
  if (typeof window !== 'number' || !Number.isInteger(window) || window < 1)
    throw new SpecError(`${field}.window: expected a positive integer, got ${show(o.window)}`);
  return { init, factor, window };
}

/** What the records carry of a trial's precision, per evaluation interval. */
export interface PrecisionRecord {
  /** The loss scale now, and its lowest and highest during the interval. */
  lossScale: number;
  lossScaleRange: [number, number];
  /** Steps skipped for overflow: in the interval, and in the trial so far. */
  skippedSteps: number;
  skippedTotal: number;
  /** Per layer (op path) and per parameter: the share of entries rounded to zero from nonzero, and saturated. */
  cotangents: Record<string, { flushed: number; saturated: number }>;
  updates: Record<string, { flushed: number; saturated: number }>;
  activations: Record<string, { flushed: number; saturated: number }>;
}

interface Carried {
  scale: number;
  clean: number;
  skippedTotal: number;
}

/** A trial's precision: its rounding points around each step, its loss scale, its tallies. */
export class PrecisionRun {
  private scale: number;
  /** Steps since the last overflow (dynamic scaling). */
  private clean = 0;
  private skippedTotal = 0;
  private interval = this.freshInterval();
  /** The step under way (its rounding draws continue from the rule's step into its updates). */
  private scope: PrecisionScope | null = null;
  private skipping = false;

  constructor(
    readonly policy: Precision,
    private readonly model: Model,
    private readonly rng: Rng,
  ) {
    this.scale = 'static' in policy.lossScale ? policy.lossScale.static : policy.lossScale.init;
  }

  private freshInterval() {
    return {
      low: Infinity,
      high: -Infinity,
      skipped: 0,
      cotangents: new Map<string, RoundingTally>(),
      updates: new Map<string, RoundingTally>(),
      activations: new Map<string, RoundingTally>(),
    };
  }

  /**
   * Bytes per float32 byte of each ledger category as the trial stores it: parameters at the
   * master width (plus the forward-format copy the step uses, beside a float32 master), optimizer
   * and rule state at the master width, gradients at the backward width, saved activations and
   * transients (op outputs, the batch) at the forward width. Tensors are float32 here; the ledger
   * counts them as the hardware would hold them. Undefined at float32 throughout.
   */
  ledgerWidths(): ByCategory | undefined {
    const { forward, backward, master } = this.policy;
    if (forward.bits === 32 && backward.bits === 32) return undefined;
    const masterBits = master === 'fp32' ? 32 : forward.bits;
    const param = (masterBits + (master === 'fp32' && forward.bits < 32 ? forward.bits : 0)) / 32;
    return {
      param,
      optimizer: masterBits / 32,
      'rule-state': masterBits / 32,
      grad: backward.bits / 32,
      'saved-activation': forward.bits / 32,
      transient: forward.bits / 32,
      other: 1,
      // Frozen weights (an adapted model's base, a teacher) are only read: held as used, in the forward format.
      frozen: forward.bits / 32,
    };
  }

  /** The starting parameters: with master 'compute', rounded to the forward format (to nearest) once, before any step. */
  adopt(params: readonly Tensor[]): void {
    if (this.policy.master !== 'compute') return;
    const scope = { ...this.scopeFor(-1), key: null };
    for (const p of params) roundInPlace(scope, p.buf, this.policy.forward);
  }

  private scopeFor(step: number): PrecisionScope {
    const { forward, backward, stochastic } = this.policy;
    return {
      forward,
      backward,
      accumulate: this.policy.accumulate === 'compute',
      key: stochastic ? this.rng.child(step).key() : null,
      lossScale: this.scale,
      draws: 0,
      activations: this.interval.activations,
      cotangents: this.interval.cotangents,
    };
  }

  /**
   * Run the rule's step at this precision: its parameters rounded to the forward format while it
   * runs (the float32 masters back afterwards), its ops and backward passes rounding as they go.
   */
  step<T>(params: readonly Tensor[], step: number, fn: () => T): T {
    const { forward } = this.policy;
    const scope = this.scopeFor(step);
    this.scope = scope;
    this.skipping = false;
    // With master 'compute' the parameters are in the forward format already (adopt, afterStep).
    const masters = this.policy.master === 'fp32' && forward.bits < 32 ? params.map((p) => Float32Array.from(p.data)) : null;
    if (masters) for (const p of params) roundInPlace(scope, p.buf, forward);
    try {
      return withPrecision(scope, fn);
    } finally {
      if (masters) params.forEach((p, i) => p.data.set(masters[i]));
    }
  }

  /**
   * The rule's step result under dynamic scaling: a non-finite metric is an overflow inside the
   * step (a rule that iterates on cotangents, as predictive coding's inference does, carries an
   * overflowed one into its states), so the step is skipped like one whose updates overflow, and
   * those metrics are left out of its result. Anything else, and any non-finite loss, passes as it is.
   */
  settle<R extends { metrics: Record<string, number> }>(r: R): R {
    if ('static' in this.policy.lossScale) return r;
    const finite = Object.entries(r.metrics).filter(([, v]) => Number.isFinite(v));
    if (finite.length === Object.keys(r.metrics).length) return r;
    this.skipping = true;
    return { ...r, metrics: Object.fromEntries(finite) };
  }

  /**
   * Round parameter i's update (in place) as the scaled gradient in the backward format would be.
   * False when it overflowed under dynamic scaling: the step is then skipped.
   */
  roundUpdate(i: number, u: Tensor): boolean {
    const scope = this.scope;
    if (!scope) throw new Error('precision: roundUpdate outside a step');
    if (this.skipping) return false;
    tally(this.interval.updates, this.model.paramNames[i], u.size, roundInPlace(scope, u.buf, this.policy.backward, this.scale));
    if ('static' in this.policy.lossScale || backend().allFinite(u.buf)) return true;
    this.skipping = true;
    return false;
  }

  /** After the optimizer (or the skip): rounds what lives in the compute format, and moves the loss scale. */
  afterStep(params: readonly Tensor[], optState: OptState): void {
    const scope = this.scope!;
    if (this.policy.master === 'compute') {
      for (const p of params) roundInPlace(scope, p.buf, this.policy.forward);
      for (const slot of Object.values(optState.slots)) for (const t of slot) roundInPlace(scope, t.buf, this.policy.forward);
    }
    const ls = this.policy.lossScale;
    if (!('static' in ls)) {
      if (this.skipping) {
        this.scale = Math.max(this.scale / ls.factor, 2 ** -24);
        this.clean = 0;
        this.skippedTotal++;
        this.interval.skipped++;
      } else if (++this.clean >= ls.window) {
        this.scale = Math.min(this.scale * ls.factor, 2 ** 24);
        this.clean = 0;
      }
    }
    this.interval.low = Math.min(this.interval.low, scope.lossScale, this.scale);
    this.interval.high = Math.max(this.interval.high, scope.lossScale, this.scale);
    this.scope = null;
  }

  /** True when the step under way overflowed (its remaining updates are not applied). */
  get skipped(): boolean {
    return this.skipping;
  }

  /** The interval's record; the interval starts afresh. */
  record(): PrecisionRecord {
    const i = this.interval;
    const shares = (m: Map<string, RoundingTally>) =>
      Object.fromEntries(
        [...m].map(([k, t]) => [
          k || '(outside layers)',
          { flushed: t.flushed / Math.max(1, t.entries), saturated: t.saturated / Math.max(1, t.entries) },
        ]),
      );
    const out: PrecisionRecord = {
      lossScale: this.scale,
      lossScaleRange: [Math.min(i.low, this.scale), Math.max(i.high, this.scale)],
      skippedSteps: i.skipped,
      skippedTotal: this.skippedTotal,
      cotangents: shares(i.cotangents),
      updates: shares(i.updates),
      activations: shares(i.activations),
    };
    this.interval = this.freshInterval();
    return out;
  }

  snapshot(): Carried {
    return { scale: this.scale, clean: this.clean, skippedTotal: this.skippedTotal };
  }

  restore(c: Carried): void {
    this.scale = c.scale;
    this.clean = c.clean;
    this.skippedTotal = c.skippedTotal;
  }
}
