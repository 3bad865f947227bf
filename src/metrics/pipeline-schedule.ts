// A pipeline-schedule simulator: one step of a network split into K stages (one device each) fed
// M micro-batches, under a schedule and a rule's dependency structure, with given per-stage costs.
// It answers what backprop's locking costs a pipeline: time per step, the bubble (the idle share
// of the devices' time), utilisation and the activations each stage holds at its peak.
//
// Each device runs its operations in the schedule's fixed order; an operation starts when its
// device is free and what it depends on has finished:
//   forward  F(s, m) after F(s-1, m) (every rule is forward-locked: a stage needs its input);
//   backward B(s, m) after F(s, m) and, by the rule's `updateWaitsFor`,
//     'layer-above'  B(s+1, m)   (backprop: the gradient comes down stage by stage),
//     'output-error' F(K-1, m)   (DFA: the error at the output, sent to every stage at once),
//     'nothing'      nothing     (forward-forward, local losses, synthetic gradients);
//   update   U(s) after every B(s, ·) (a synchronous step: gradients accumulate over micro-batches).
// "Backward" is whatever the rule does per stage after the forward pass to get its update
// direction (a true gradient, a random projection of the error, a local loss's gradient).
import type { UpdateWaitsFor } from '../rules/rule.ts';

export interface StageCost {
  /** Time of one micro-batch's forward pass through the stage. */
  forward: number;
  /** Time of one micro-batch's backward pass (or the rule's own signal) through the stage. */
  backward: number;
  /** Time of the stage's parameter update, once per step. */
  update: number;
}

/**
 * 'gpipe': every forward, then every backward (Huang et al. 2019).
 * '1f1b': a few forwards to fill the pipeline, then one forward, one backward in turn (PipeDream-
 * flush, Narayanan et al. 2021) — as many warm-up forwards at stage s as micro-batches can be in
 * flight before its first backward may start: K−1−s when that backward waits for the last stage,
 * none when it waits for nothing.
 */
export type Schedule = 'gpipe' | '1f1b';

export interface PipelineCase {
  stages: readonly StageCost[];
  microBatches: number;
  schedule: Schedule;
  waitsFor: UpdateWaitsFor;
}

export type OpKind = 'forward' | 'backward' | 'update';

export interface Op {
  stage: number;
  kind: OpKind;
  /** The micro-batch (-1 for the update). */
  micro: number;
  start: number;
  end: number;
}

export interface PipelineResult {
  /** Time from the first forward to the last update. */
  timePerStep: number;
  /** Busy device time over K × timePerStep. */
  utilisation: number;
  /** 1 − utilisation: the share of device time spent idle. */
  bubble: number;
  /** Per stage, the most micro-batches whose activations it held at once (forward done, backward not). */
  peakActivations: number[];
  /** Every operation with its start and end (a Gantt chart's bars), in start order. */
  ops: Op[];
}

function check(c: PipelineCase): void {
  if (c.stages.length < 1) throw new RangeError('pipeline: stages: need at least one stage');
  if (!Number.isInteger(c.microBatches) || c.microBatches < 1)
    throw new RangeError(`pipeline: microBatches: expected a positive integer, got ${c.microBatches}`);
  c.stages.forEach((s, i) => {
    for (const k of ['forward', 'backward', 'update'] as const)
      if (!(Number.isFinite(s[k]) && s[k] >= 0))
        throw new RangeError(`pipeline: stages[${i}].${k}: expected a finite time ≥ 0, got ${s[k]}`);
  });
}

/** Each device's operations in the order the schedule runs them. */
function order(c: PipelineCase): Array<Array<{ kind: OpKind; micro: number }>> {
  const K = c.stages.length;
  const M = c.microBatches;
  return c.stages.map((_, s) => {
    const ops: Array<{ kind: OpKind; micro: number }> = [];
    const F = (m: number) => ops.push({ kind: 'forward', micro: m });
    const B = (m: number) => ops.push({ kind: 'backward', micro: m });
    if (c.schedule === 'gpipe') {
      for (let m = 0; m < M; m++) F(m);
      for (let m = 0; m < M; m++) B(m);
    } else {
      const warmup = Math.min(c.waitsFor === 'nothing' ? 0 : K - 1 - s, M);
      for (let m = 0; m < warmup; m++) F(m);
      for (let m = warmup; m < M; m++) {
        F(m);
        B(m - warmup);
      }
      for (let m = M - warmup; m < M; m++) B(m);
    }
    ops.push({ kind: 'update', micro: -1 });
    return ops;
  });
}

/** Simulate one step; throws a RangeError naming the field on bad input. */
export function simulatePipeline(c: PipelineCase): PipelineResult {
  check(c);
  const K = c.stages.length;
  const M = c.microBatches;
  const queues = order(c);
  const fEnd = Array.from({ length: K }, () => new Array<number>(M).fill(NaN));
  const bEnd = Array.from({ length: K }, () => new Array<number>(M).fill(NaN));
  const free = new Array<number>(K).fill(0);
  const next = new Array<number>(K).fill(0);
  const ops: Op[] = [];

  /** When the op's dependencies have all finished, or NaN while one has not. */
  const ready = (s: number, kind: OpKind, m: number): number => {
    if (kind === 'forward') return s === 0 ? 0 : fEnd[s - 1][m];
    if (kind === 'update') return bEnd[s].reduce((a, t) => Math.max(a, t), 0);
    const own = fEnd[s][m];
    if (c.waitsFor === 'layer-above') return s === K - 1 ? own : Math.max(own, bEnd[s + 1][m]);
    if (c.waitsFor === 'output-error') return Math.max(own, fEnd[K - 1][m]);
    return own;
  };

  // Times depend only on finished ops, so visiting devices in turn and running each head op whose
  // dependencies are done computes every start exactly; a round with no progress is a deadlock.
  for (let done = 0, total = K * (2 * M + 1); done < total;) {
    let progressed = false;
    for (let s = 0; s < K; s++) {
      while (next[s] < queues[s].length) {
        const { kind, micro } = queues[s][next[s]];
        const at = ready(s, kind, micro);
        if (Number.isNaN(at)) break;
        const start = Math.max(free[s], at);
        const end = start + c.stages[s][kind];
        if (kind === 'forward') fEnd[s][micro] = end;
        if (kind === 'backward') bEnd[s][micro] = end;
        free[s] = end;
        ops.push({ stage: s, kind, micro, start, end });
        next[s]++;
        done++;
        progressed = true;
      }
    }
    if (!progressed) throw new Error(`pipeline: the ${c.schedule} schedule deadlocks with ${K} stages and ${M} micro-batches`);
  }

  const timePerStep = ops.reduce((a, o) => Math.max(a, o.end), 0);
  const busy = ops.reduce((a, o) => a + (o.end - o.start), 0);
  const utilisation = timePerStep > 0 ? busy / (K * timePerStep) : 1;
  const peakActivations = queues.map((q) => {
    let held = 0;
    let peak = 0;
    for (const o of q) {
      if (o.kind === 'forward') peak = Math.max(peak, ++held);
      if (o.kind === 'backward') held--;
    }
    return peak;
  });
  ops.sort((a, b) => a.start - b.start || a.stage - b.stage);
  return { timePerStep, utilisation, bubble: 1 - utilisation, peakActivations, ops };
}

/**
 * Split a network's layers, in forward order, into K contiguous stages (each at least one layer)
 * that minimise the busiest stage's forward + backward time — the balance a pipeline's slowest
 * stage sets its pace by. Each stage's cost is the sum of its layers'. `first[s]` is the index of
 * stage s's first layer. Ties keep the first cut found (the last stage starting earliest).
 */
export function splitStages(layers: readonly StageCost[], K: number): { stages: StageCost[]; first: number[] } {
  const n = layers.length;
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`pipeline: stages: expected a positive integer, got ${K}`);
  if (K > n) throw new RangeError(`pipeline: stages: ${K} stages need at least ${K} layers, the network has ${n}`);
  const prefix = [0];
  for (const l of layers) prefix.push(prefix[prefix.length - 1] + l.forward + l.backward);
  const span = (a: number, b: number) => prefix[b] - prefix[a];
  // best[k][i]: the least busiest-stage cost of layers [0, i) in k stages; cut[k][i]: where its last stage starts.
  const best = Array.from({ length: K + 1 }, () => new Array<number>(n + 1).fill(Infinity));
  const cut = Array.from({ length: K + 1 }, () => new Array<number>(n + 1).fill(-1));
  best[0][0] = 0;
  for (let k = 1; k <= K; k++)
    for (let i = k; i <= n; i++)
      for (let j = k - 1; j < i; j++) {
        const v = Math.max(best[k - 1][j], span(j, i));
        if (v < best[k][i]) {
          best[k][i] = v;
          cut[k][i] = j;
        }
      }
  const first = new Array<number>(K);
  for (let k = K, i = n; k >= 1; k--) {
    first[k - 1] = cut[k][i];
    i = cut[k][i];
  }
  const stages = first.map((a, s) => {
    const b = s + 1 < K ? first[s + 1] : n;
    const c: StageCost = { forward: 0, backward: 0, update: 0 };
    for (let i = a; i < b; i++) {
      c.forward += layers[i].forward;
      c.backward += layers[i].backward;
      c.update += layers[i].update;
    }
    return c;
  });
  return { stages, first };
}
