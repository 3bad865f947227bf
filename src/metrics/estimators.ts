// Gradient estimators through stochastic binary units, measured: the gradient of the EXPECTED
// loss (exact by enumeration on tiny nets, else a many-sample score-function average) and each
// estimator's bias, variance and cost per sample against it.
import { SpecError } from '../errors.ts';
import { valueAndGrad, noGrad } from '../autograd/functional.ts';
import { add, exp, mul, reshape, sum } from '../autograd/ops.ts';
import type { Model } from '../nn/model.ts';
import type { ForwardOptions } from '../nn/module.ts';
import { bernoulliLogProb, perExampleLoss, stochasticBinary, stochasticUnits, withUnits, type StochasticNet } from '../nn/stochastic.ts';
import type { Rng } from '../random.ts';
import type { Batch, Task } from '../rules/task.ts';
import { empty, fromArray, scalar, sizeOf, type Tensor } from '../tensor/tensor.ts';

/** Most stochastic units the exact (enumerating) expected gradient accepts. */
export const MAX_ENUMERATED_UNITS = 16;

export interface ExpectedGradient {
  /** E[loss] (exact) or its sample estimate. */
  loss: number;
  grads: Tensor[];
  method: 'enumeration' | 'samples';
  /** Configurations enumerated, or samples per example drawn. */
  count: number;
  /** Sampled only, when asked: each group's own estimate per parameter (for a standard error). */
  groups: Float32Array[][] | null;
}

/** Rows of x (and labels / targets) repeated `times` times, block after block: row r ↦ r mod n. */
export function tileBatch(batch: Batch, times: number): Batch {
  const n = batch.size;
  const f = batch.x.shape[1];
  const x = empty([n * times, f]);
  for (let t = 0; t < times; t++) x.data.set(batch.x.data.subarray(0, n * f), t * n * f);
  const out: { x: Tensor; size: number; labels?: Int32Array; targets?: Tensor } = { x, size: n * times };
  if (batch.labels) {
    const l = new Int32Array(n * times);
    for (let t = 0; t < times; t++) l.set(batch.labels.subarray(0, n), t * n);
    out.labels = l;
  }
  if (batch.targets) {
    const w = batch.targets.shape[1];
    const y = empty([n * times, w]);
    for (let t = 0; t < times; t++) y.data.set(batch.targets.data.subarray(0, n * w), t * n * w);
    out.targets = y;
  }
  return out;
}

function addInto(acc: Tensor[] | null, gs: Tensor[]): Tensor[] {
  if (!acc) return gs.map((g) => g.clone());
  acc.forEach((a, i) => {
    for (let k = 0; k < a.size; k++) a.data[k] += gs[i].data[k];
  });
  return acc;
}

/** Σ over every axis but the batch axis: a unit configuration's log-probability per example. */
function perExample(t: Tensor): Tensor {
  return t.rank === 2 ? sum(t, 1) : sum(reshape(t, [t.shape[0], t.size / t.shape[0]]), 1);
}

function sumAll(ts: readonly Tensor[]): Tensor {
  return ts.reduce((a, b) => add(a, b));
}

/**
 * The exact gradient of E_h[loss] over every unit of `net`, h ~ Bernoulli(σ(slope·a)): the sum
 * over all 2^U binary configurations of ∇[p(h | x) · L(h)], batched over configurations in
 * chunks of about `chunkRows` rows. Only for U ≤ 16.
 */
export function exactExpectedGradient(
  model: Model,
  net: StochasticNet,
  task: Task,
  params: readonly Tensor[],
  batch: Batch,
  opts: { chunkRows?: number; forward?: ForwardOptions } = {},
): ExpectedGradient {
  const units = stochasticUnits(model, net);
  if (units > MAX_ENUMERATED_UNITS) {
    throw new SpecError(
      `exactExpectedGradient: the network has ${units} stochastic units; enumeration allows at most ${MAX_ENUMERATED_UNITS} (use sampledExpectedGradient)`,
    );
  }
  const n = batch.size;
  const configs = 2 ** units;
  const perChunk = Math.max(1, Math.min(configs, Math.floor((opts.chunkRows ?? 8192) / n)));
  const offsets = new Map<string, number>();
  net.paths.reduce((o, p) => (offsets.set(p, o), o + sizeOf(model.find(p)!.outShape)), 0);
  let acc: Tensor[] | null = null;
  let loss = 0;
  for (let c0 = 0; c0 < configs; c0 += perChunk) {
    const cc = Math.min(perChunk, configs - c0);
    const tiled = tileBatch(batch, cc);
    // Row t·n + i holds example i under configuration c0 + t.
    const fixed = new Map(
      net.paths.map((p) => {
        const width = sizeOf(model.find(p)!.outShape);
        const h = empty([cc * n, ...model.find(p)!.outShape]);
        for (let t = 0; t < cc; t++) {
          for (let j = 0; j < width; j++) {
            const bit = Math.floor((c0 + t) / 2 ** (offsets.get(p)! + j)) % 2;
            if (bit) for (let i = 0; i < n; i++) h.data[(t * n + i) * width + j] = 1;
          }
        }
        return [p, h] as const;
      }),
    );
    const objective = (p: Tensor[]) => {
      const logps: Tensor[] = [];
      const stoch = withUnits(model, net, (a, path) => {
        const h = fixed.get(path)!;
        logps.push(perExample(bernoulliLogProb(a, h)));
        return h;
      });
      const out = stoch.forward(p, tiled.x, opts.forward ?? {});
      const perRow = perExampleLoss(task, out, tiled);
      return mul(sum(mul(exp(sumAll(logps)), perRow)), scalar(1 / n));
    };
    const { value, grads } = valueAndGrad(objective)([...params]);
    loss += value.item();
    acc = addInto(acc, grads);
  }
  return { loss, grads: acc as Tensor[], method: 'enumeration', count: configs, groups: null };
}

/**
 * A many-sample estimate of the gradient of E_h[loss]: the score-function estimator with a
 * leave-one-out baseline (unbiased) plus the pathwise gradient of the layers after the last
 * stochastic one, averaged over `samples` (≥ 2) draws per example, in groups of `group`.
 * Each group's own estimate is kept (outside the ledger) when `keepGroups` is set, so a
 * comparison with it can carry a jackknife standard error.
 */
export function sampledExpectedGradient(
  model: Model,
  net: StochasticNet,
  task: Task,
  params: readonly Tensor[],
  batch: Batch,
  opts: { samples: number; rng: Rng; group?: number; keepGroups?: boolean; forward?: ForwardOptions },
): ExpectedGradient {
  const n = batch.size;
  const group = Math.max(2, Math.min(opts.group ?? 16, opts.samples));
  const groups = Math.max(1, Math.round(opts.samples / group));
  const tiled = tileBatch(batch, group);
  const kept: Float32Array[][] | null = opts.keepGroups ? [] : null;
  let acc: Tensor[] | null = null;
  let loss = 0;
  for (let gi = 0; gi < groups; gi++) {
    const r = opts.rng.child(gi);
    const objective = (p: Tensor[]) => {
      const logps: Tensor[] = [];
      const stoch = withUnits(model, net, (a, path) => {
        const h = stochasticBinary(a, r.child(path));
        logps.push(perExample(bernoulliLogProb(a, h)));
        return h;
      });
      const out = stoch.forward(p, tiled.x, opts.forward ?? {});
      const perRow = perExampleLoss(task, out, tiled);
      const signal = noGrad(() => {
        const sig = empty([n * group]);
        for (let i = 0; i < n; i++) {
          let tot = 0;
          for (let t = 0; t < group; t++) tot += perRow.data[t * n + i];
          for (let t = 0; t < group; t++) {
            const l = perRow.data[t * n + i];
            sig.data[t * n + i] = l - (tot - l) / (group - 1);
          }
        }
        return sig;
      });
      const surrogate = sum(add(perRow, mul(signal, sumAll(logps))));
      return { loss: mul(surrogate, scalar(1 / (n * group))), aux: perRow };
    };
    const { grads, aux } = valueAndGrad(objective)([...params]);
    for (let k = 0; k < aux!.size; k++) loss += aux!.data[k] / (n * group * groups);
    kept?.push(grads.map((g) => Float32Array.from(g.data)));
    acc = addInto(acc, grads);
  }
  const grads = (acc as Tensor[]).map((g) => {
    for (let k = 0; k < g.size; k++) g.data[k] /= groups;
    return g;
  });
  return { loss, grads, method: 'samples', count: groups * group, groups: kept };
}

/** Exact by enumeration when the network has ≤ 16 stochastic units, else a many-sample estimate. */
export function expectedGradient(
  model: Model,
  net: StochasticNet,
  task: Task,
  params: readonly Tensor[],
  batch: Batch,
  opts: { samples?: number; rng?: Rng; keepGroups?: boolean; forward?: ForwardOptions } = {},
): ExpectedGradient {
  if (stochasticUnits(model, net) <= MAX_ENUMERATED_UNITS)
    return exactExpectedGradient(model, net, task, params, batch, { forward: opts.forward });
  if (!opts.rng) throw new SpecError('expectedGradient: a network this large is estimated by sampling; pass opts.rng');
  return sampledExpectedGradient(model, net, task, params, batch, {
    samples: opts.samples ?? 1024,
    rng: opts.rng,
    keepGroups: opts.keepGroups,
    forward: opts.forward,
  });
}

export interface EstimatorLayerStats {
  layer: string;
  /** Cosine between the estimator's mean over draws and the reference gradient. */
  cosine: number;
  /** ‖mean − reference‖ / ‖reference‖. */
  relError: number;
  /** ‖mean − reference‖². */
  biasSq: number;
  /** Trace of the covariance of one draw (sum of per-element variances, n−1 normalized). */
  variance: number;
  /** variance / draws: the expected ‖mean − reference‖² of an unbiased estimator. */
  noiseFloor: number;
  referenceNormSq: number;
}

export interface EstimatorStats {
  estimator: string;
  draws: number;
  layers: EstimatorLayerStats[];
  overall: EstimatorLayerStats;
  /** Wall time per draw (one gradient estimate on the batch), in ms. */
  msPerSample: number;
  /** The mean over draws, per parameter. */
  mean: Tensor[];
}

/**
 * Draw an estimator `draws` times (draw(i) must use stream i) and compare the draws with a
 * reference gradient per layer (block) and overall. Uses Welford sums in float64.
 */
export function measureEstimator(
  estimator: string,
  model: Model,
  reference: readonly Tensor[],
  draw: (i: number) => readonly Tensor[],
  draws: number,
): EstimatorStats {
  if (!(draws >= 2)) throw new SpecError(`measureEstimator: need at least 2 draws, got ${draws}`);
  const mean = reference.map((r) => new Float64Array(r.size));
  const m2 = reference.map((r) => new Float64Array(r.size));
  let ms = 0;
  for (let d = 0; d < draws; d++) {
    const t0 = performance.now();
    const g = draw(d);
    ms += performance.now() - t0;
    if (g.length !== reference.length)
      throw new SpecError(`measureEstimator(${estimator}): ${g.length} gradients for ${reference.length} parameters`);
    g.forEach((t, i) => {
      const mu = mean[i];
      const s = m2[i];
      for (let k = 0; k < t.size; k++) {
        const x = t.data[k];
        const delta = x - mu[k];
        mu[k] += delta / (d + 1);
        s[k] += delta * (x - mu[k]);
      }
    });
  }
  type Acc = { dot: number; mm: number; rr: number; err: number; v: number };
  const blank = (): Acc => ({ dot: 0, mm: 0, rr: 0, err: 0, v: 0 });
  const per = new Map(model.layers.map((l) => [l, blank()]));
  const all = blank();
  reference.forEach((r, i) => {
    const a = per.get(model.paramOwner[i])!;
    for (let k = 0; k < r.size; k++) {
      const mu = mean[i][k];
      const ref = r.data[k];
      const v = m2[i][k] / (draws - 1);
      for (const t of [a, all]) {
        t.dot += mu * ref;
        t.mm += mu * mu;
        t.rr += ref * ref;
        t.err += (mu - ref) ** 2;
        t.v += v;
      }
    }
  });
  const finish = (layer: string, t: Acc): EstimatorLayerStats => {
    const denom = Math.sqrt(t.mm * t.rr);
    return {
      layer,
      cosine: denom > 0 ? t.dot / denom : 0,
      relError: t.rr > 0 ? Math.sqrt(t.err / t.rr) : Math.sqrt(t.err),
      biasSq: t.err,
      variance: t.v,
      noiseFloor: t.v / draws,
      referenceNormSq: t.rr,
    };
  };
  return {
    estimator,
    draws,
    layers: model.layers.map((l) => finish(l, per.get(l)!)),
    overall: finish('overall', all),
    msPerSample: ms / draws,
    mean: mean.map((m, i) => fromArray(m, reference[i].shape)),
  };
}
