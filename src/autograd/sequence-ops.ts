// Sequence primitives: embedding lookup (gather rows of a table), batched matmul, causal masking,
// a fused causal multi-head attention, and a per-position cross-entropy that can skip positions.
// Each is one record beside its forward, in the same define({ name, forward, vjp, jvp }) form as ops.ts.
import { ShapeError } from '../errors.ts';
import { backend } from '../kernels/index.ts';
import type { Buf } from '../kernels/backend.ts';
import { empty, sizeOf, type Shape, type Tensor } from '../tensor/tensor.ts';
import {
  add,
  define,
  deviceCrossEntropy,
  deviceCrossEntropyGrad,
  deviceCrossEntropyJvp,
  deviceCrossEntropyLoss,
  mul,
  reshape,
  softmax,
  sub,
  sum,
  transpose,
} from './ops.ts';
import { matmul as accumulatingMatmul } from './precision.ts';

const fmt = (s: Shape) => `[${s.join(', ')}]`;

// ---------------------------------------------------------------- gather (embedding lookup)

export interface GatherAttrs {
  /** Row indices into the table, one per output position. */
  ids: Int32Array;
  /** Shape of the index array (the output is [...idShape, width]). */
  idShape: Shape;
}

function checkIds(op: string, ids: Int32Array, rows: number): void {
  for (let i = 0; i < ids.length; i++) {
    const r = ids[i];
    if (r < 0 || r >= rows) throw new ShapeError(`${op}: index ${r} at position ${i} is outside the table's ${rows} rows`);
  }
}

const gatherOp = define<GatherAttrs>({
  name: 'gather',
  forward: ([table], { ids, idShape }) => {
    if (table.rank !== 2) throw new ShapeError(`gather: expects a table [rows, width], got ${fmt(table.shape)}`);
    if (sizeOf(idShape) !== ids.length) throw new ShapeError(`gather: ${ids.length} indices for index shape ${fmt(idShape)}`);
    const [rows, width] = table.shape;
    checkIds('gather', ids, rows);
    const out = empty([...idShape, width]);
    for (let i = 0; i < ids.length; i++) out.data.set(table.data.subarray(ids[i] * width, (ids[i] + 1) * width), i * width);
    return { out, saved: [] };
  },
  // A row used at several positions accumulates their cotangents (scatter-add).
  vjp: (g, _s, { ids }, [st]) => {
    const width = st[1];
    const dt = empty(st);
    const d = dt.data;
    const gd = g.data;
    for (let i = 0; i < ids.length; i++) {
      const o = ids[i] * width;
      const gi = i * width;
      for (let j = 0; j < width; j++) d[o + j] += gd[gi + j];
    }
    return [dt];
  },
  // Linear in the table: the tangent's rows at the same ids.
  jvp: ([t], _p, { ids, idShape }): Tensor | null => t && gatherOp([t], { ids, idShape }),
});

/** Rows of `table` [rows, width] at `ids` (an index array of shape `idShape`): [...idShape, width]. */
export const gather = (table: Tensor, ids: Int32Array, idShape: Shape = [ids.length]): Tensor => gatherOp([table], { ids, idShape });

/** Token ids carried as float values (a batch's x) as integers, checked: names the op on a fractional or out-of-range id. */
export function tokenIds(op: string, x: Tensor, vocab: number): Int32Array {
  const ids = new Int32Array(x.size);
  for (let i = 0; i < x.size; i++) {
    const v = x.data[i];
    if (!Number.isInteger(v) || v < 0 || v >= vocab) {
      throw new ShapeError(`${op}: input ${v} at position ${i} is not a token id in [0, ${vocab}) (an embedding reads integer ids)`);
    }
    ids[i] = v;
  }
  return ids;
}

// ---------------------------------------------------------------- batched matmul

export interface BmmAttrs {
  transA: boolean;
  transB: boolean;
}

function bmmForward(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  if (a.rank !== 3 || b.rank !== 3 || a.shape[0] !== b.shape[0]) {
    throw new ShapeError(`bmm: expects [batch, m, k] and [batch, k, n] with one batch size, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
  const batch = a.shape[0];
  const [m, k] = transA ? [a.shape[2], a.shape[1]] : [a.shape[1], a.shape[2]];
  const [k2, n] = transB ? [b.shape[2], b.shape[1]] : [b.shape[1], b.shape[2]];
  if (k !== k2)
    throw new ShapeError(
      `bmm: inner dimensions differ: ${fmt(a.shape)}${transA ? 'ᵀ' : ''} · ${fmt(b.shape)}${transB ? 'ᵀ' : ''} (${k} vs ${k2})`,
    );
  const out = empty([batch, m, n]);
  for (let i = 0; i < batch; i++) {
    accumulatingMatmul(
      a.buf.subarray(i * m * k, (i + 1) * m * k),
      b.buf.subarray(i * k * n, (i + 1) * k * n),
      out.buf.subarray(i * m * n, (i + 1) * m * n),
      m,
      n,
      k,
      transA,
      transB,
    );
  }
  return out;
}

const bmmOp = define<BmmAttrs>({
  name: 'bmm',
  forward: ([a, b], { transA, transB }) => ({ out: bmmForward(a, b, transA, transB), saved: [a, b] }),
  // The same four cases as matmul, per batch element.
  vjp: (g, [a, b], { transA, transB }, _shapes, [needA, needB]) => {
    const when = (need: boolean, f: () => Tensor) => (need ? f() : null);
    if (!transA && !transB) return [when(needA, () => bmm(g, b, false, true)), when(needB, () => bmm(a, g, true, false))];
    if (!transA && transB) return [when(needA, () => bmm(g, b, false, false)), when(needB, () => bmm(g, a, true, false))];
    if (transA && !transB) return [when(needA, () => bmm(b, g, false, true)), when(needB, () => bmm(a, g, false, false))];
    return [when(needA, () => bmm(b, g, true, true)), when(needB, () => bmm(g, a, true, true))];
  },
  // Bilinear: d(op(A)·op(B)) = op(dA)·op(B) + op(A)·op(dB).
  jvp: ([ta, tb], { inputs: [a, b] }, { transA, transB }) => {
    const left = ta && bmm(ta, b, transA, transB);
    const right = tb && bmm(a, tb, transA, transB);
    return left && right ? add(left, right) : (left ?? right);
  },
});

/** op(A[i])·op(B[i]) for every i of A [batch, m, k], B [batch, k, n]. */
export const bmm = (a: Tensor, b: Tensor, transA = false, transB = false): Tensor => bmmOp([a, b], { transA, transB });

// ---------------------------------------------------------------- causal mask

/**
 * What masked scores become: finite (anomaly mode flags ±Inf) and so negative that exp(s − max)
 * underflows to exactly 0 in float32 and float64 alike.
 */
export const MASKED = -1e30;

function squareTail(op: string, x: Tensor): number {
  const t = x.shape[x.rank - 1];
  if (x.rank < 2 || x.shape[x.rank - 2] !== t) throw new ShapeError(`${op}: expects scores [..., T, T], got ${fmt(x.shape)}`);
  return t;
}

const causalMaskOp = define<null>({
  name: 'causalMask',
  forward: ([x]) => {
    const t = squareTail('causalMask', x);
    const out = empty(x.shape);
    out.data.set(x.data);
    for (let o = 0; o < x.size; o += t * t) for (let i = 0; i < t; i++) out.data.fill(MASKED, o + i * t + i + 1, o + (i + 1) * t);
    return { out, saved: [] };
  },
  // A masked score is a constant: no cotangent reaches it, and it carries no tangent.
  vjp: (g) => [zeroAboveDiagonal(g)],
  jvp: ([t]) => t && zeroAboveDiagonal(t),
});

function zeroAboveDiagonal(g: Tensor): Tensor {
  const t = g.shape[g.rank - 1];
  const dx = empty(g.shape);
  dx.data.set(g.data);
  for (let o = 0; o < g.size; o += t * t) for (let i = 0; i < t; i++) dx.data.fill(0, o + i * t + i + 1, o + (i + 1) * t);
  return dx;
}

/** Scores [..., T, T] with every entry above the diagonal (a query looking at a later key) set to MASKED. */
export const causalMask = (scores: Tensor): Tensor => causalMaskOp([scores], null);

// ---------------------------------------------------------------- attention

export interface AttentionAttrs {
  heads: number;
  causal: boolean;
}

function attentionShapes(q: Tensor, k: Tensor, v: Tensor, heads: number) {
  for (const [name, t] of [
    ['k', k],
    ['v', v],
  ] as const) {
    if (t.rank !== 3 || t.shape.some((d, i) => d !== q.shape[i]))
      throw new ShapeError(`attention: ${name} ${fmt(t.shape)} differs from q ${fmt(q.shape)}`);
  }
  if (q.rank !== 3) throw new ShapeError(`attention: expects q, k, v [batch, T, dim], got ${fmt(q.shape)}`);
  const [n, t, d] = q.shape;
  if (!Number.isInteger(heads) || heads < 1 || d % heads !== 0)
    throw new ShapeError(`attention: ${heads} heads do not divide the width ${d}`);
  return { n, t, d, dh: d / heads };
}

/**
 * [n, T, h, dh] → [n, h, T, dh] (or back with `back`): each head's rows contiguous, as the GEMM
 * wants them (the generic transpose kernel has no fast path for this permutation).
 */
function splitHeads(x: Tensor, n: number, t: number, h: number, dh: number, back = false): Tensor {
  const out = empty(back ? [n, t, h * dh] : [n, h, t, dh]);
  const src = x.data;
  const dst = out.data;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < t; i++) {
      for (let j = 0; j < h; j++) {
        const a = ((b * t + i) * h + j) * dh; // [n, T, h, dh]
        const c = ((b * h + j) * t + i) * dh; // [n, h, T, dh]
        // Element loops: a subarray per dh-long run would cost more than the copy.
        if (back) for (let e = 0; e < dh; e++) dst[a + e] = src[c + e];
        else for (let e = 0; e < dh; e++) dst[c + e] = src[a + e];
      }
    }
  }
  return out;
}

/**
 * The scores of every head of one sample, S_j = Q_j·K_jᵀ (q already scaled by 1/√dh), into
 * `s` [h, T, T], causally masked. The heads of a sample go through one kernel call where they can
 * (mask, softmax, exp): per-head calls on T×T blocks cost more in call overhead than in work.
 */
function sampleScores(qs: Tensor, ks: Tensor, b: number, h: number, t: number, dh: number, s: Tensor, causal: boolean): void {
  const block = t * dh;
  for (let j = 0; j < h; j++) {
    const off = (b * h + j) * block;
    accumulatingMatmul(
      qs.buf.subarray(off, off + block),
      ks.buf.subarray(off, off + block),
      s.buf.subarray(j * t * t, (j + 1) * t * t),
      t,
      t,
      dh,
      false,
      true,
    );
  }
  if (causal) for (let r = 0; r < h * t; r++) s.data.fill(MASKED, r * t + (r % t) + 1, (r + 1) * t);
}

/** x·c into a new tensor (no tape). */
function scaledCopy(x: Tensor, c: number): Tensor {
  const out = empty(x.shape);
  const k = empty([]);
  k.data[0] = c;
  backend().binary('mul', x.buf, x.shape, k.buf, [], out.buf, x.shape);
  k.dispose();
  return out;
}

/**
 * Fused causal multi-head self-attention: per head, softmax(Q·Kᵀ/√dh + mask)·V. It saves q, k, v,
 * its output and one log-sum-exp per query row; the T×T probabilities are recomputed in backward
 * (FlashAttention's trade), so its saved memory grows with T, not T².
 */
const attentionOp = define<AttentionAttrs>({
  name: 'attention',
  forward: ([q, k, v], { heads, causal }) => {
    const { n, t, dh } = attentionShapes(q, k, v, heads);
    const be = backend();
    const qh = splitHeads(q, n, t, heads, dh);
    const qs = scaledCopy(qh, 1 / Math.sqrt(dh));
    const [ks, vs] = [k, v].map((x) => splitHeads(x, n, t, heads, dh));
    const os = empty([n, heads, t, dh]);
    const lse = empty([n, heads, t]);
    const s = empty([heads, t, t]);
    const p = empty([heads, t, t]);
    const block = t * dh;
    for (let b = 0; b < n; b++) {
      sampleScores(qs, ks, b, heads, t, dh, s, causal);
      be.softmax(s.buf, p.buf, heads * t, t, true);
      // Column 0 is never masked: lse_r = S_r0 − log P_r0.
      for (let r = 0; r < heads * t; r++) lse.data[b * heads * t + r] = s.data[r * t] - p.data[r * t];
      be.unary('exp', p.buf, p.buf);
      for (let j = 0; j < heads; j++) {
        const off = (b * heads + j) * block;
        accumulatingMatmul(
          p.buf.subarray(j * t * t, (j + 1) * t * t),
          vs.buf.subarray(off, off + block),
          os.buf.subarray(off, off + block),
          t,
          dh,
          t,
          false,
          false,
        );
      }
    }
    const out = splitHeads(os, n, t, heads, dh, true);
    for (const x of [qh, qs, ks, vs, os, s, p]) x.dispose();
    return { out, saved: [q, k, v, out, lse] };
  },
  // dV = Pᵀ·dO; dP = dO·Vᵀ; dS = P ⊙ (dP − rowsum(dO ⊙ O)); dQ = dS·K/√dh; dK = dSᵀ·Q/√dh.
  vjp: (g, [q, k, v, out, lse], { heads, causal }) => {
    const { n, t, dh } = attentionShapes(q, k, v, heads);
    const be = backend();
    const qh = splitHeads(q, n, t, heads, dh);
    const qs = scaledCopy(qh, 1 / Math.sqrt(dh));
    const [ks, vs, os, gs] = [k, v, out, g].map((x) => splitHeads(x, n, t, heads, dh));
    const [dq, dk, dv] = [0, 1, 2].map(() => empty([n, heads, t, dh]));
    // rowsum(dO ⊙ O) for every query row of every head at once.
    const go = empty(gs.shape);
    be.binary('mul', gs.buf, gs.shape, os.buf, os.shape, go.buf, gs.shape);
    const D = empty([n * heads * t]);
    be.reduce('sum', go.buf, D.buf, n * heads * t, dh, 1);
    const s = empty([heads, t, t]);
    const p = empty([heads, t, t]);
    const dp = empty([heads, t, t]);
    const ds = empty([heads, t, t]);
    const block = t * dh;
    const rows = [heads * t, t];
    for (let b = 0; b < n; b++) {
      sampleScores(qs, ks, b, heads, t, dh, s, causal);
      const rowsOf = (x: Tensor) => x.buf.subarray(b * heads * t, (b + 1) * heads * t);
      be.binary('sub', s.buf, rows, rowsOf(lse), [heads * t, 1], p.buf, rows);
      be.unary('exp', p.buf, p.buf);
      for (let j = 0; j < heads; j++) {
        const off = (b * heads + j) * block;
        const sq = (x: Tensor) => x.buf.subarray(j * t * t, (j + 1) * t * t);
        accumulatingMatmul(sq(p), gs.buf.subarray(off, off + block), dv.buf.subarray(off, off + block), t, dh, t, true, false);
        accumulatingMatmul(gs.buf.subarray(off, off + block), vs.buf.subarray(off, off + block), sq(dp), t, t, dh, false, true);
      }
      be.binary('sub', dp.buf, rows, rowsOf(D), [heads * t, 1], ds.buf, rows);
      be.binary('mul', ds.buf, rows, p.buf, rows, ds.buf, rows);
      for (let j = 0; j < heads; j++) {
        const off = (b * heads + j) * block;
        const dsj = ds.buf.subarray(j * t * t, (j + 1) * t * t);
        accumulatingMatmul(dsj, ks.buf.subarray(off, off + block), dq.buf.subarray(off, off + block), t, dh, t, false, false);
        accumulatingMatmul(dsj, qs.buf.subarray(off, off + block), dk.buf.subarray(off, off + block), t, dh, t, true, false);
      }
    }
    const dqs = scaledCopy(dq, 1 / Math.sqrt(dh));
    const grads = [dqs, dk, dv].map((x) => splitHeads(x, n, t, heads, dh, true));
    for (const x of [qh, qs, ks, vs, os, gs, dq, dqs, dk, dv, go, D, s, p, dp, ds]) x.dispose();
    return grads;
  },
  // Forward mode from primitives (it runs once per forward-gradient step, where T×T is affordable):
  // dS = (dQ·Kᵀ + Q·dKᵀ)/√dh, dP = P ⊙ (dS − rowsum(P ⊙ dS)), dO = dP·V + P·dV. Masked entries
  // have P = 0, so they carry no tangent.
  jvp: ([tq, tk, tv], { inputs: [q, k, v] }, { heads, causal }) => {
    if (!tq && !tk && !tv) return null;
    const { n, t, d, dh } = attentionShapes(q, k, v, heads);
    const split = (x: Tensor) => reshape(transpose(reshape(x, [n, t, heads, dh]), [0, 2, 1, 3]), [n * heads, t, dh]);
    const c = scalarLike(q, 1 / Math.sqrt(dh));
    const [qs, ks, vs] = [q, k, v].map(split);
    const scores = mul(bmm(qs, ks, false, true), c);
    const p = softmax(causal ? causalMask(scores) : scores);
    let dO: Tensor | null = tv ? bmm(p, split(tv)) : null;
    if (tq || tk) {
      const a = tq && bmm(split(tq), ks, false, true);
      const b = tk && bmm(qs, split(tk), false, true);
      const ds = mul(a && b ? add(a, b) : (a ?? b)!, c);
      const pds = mul(p, ds);
      const dp = sub(pds, mul(p, sum(pds, -1, true)));
      const term = bmm(dp, vs);
      dO = dO ? add(dO, term) : term;
    }
    return reshape(transpose(reshape(dO!, [n, heads, t, dh]), [0, 2, 1, 3]), [n, t, d]);
  },
});

/** Multi-head self-attention of q, k, v [batch, T, dim] (heads split the last axis in order), causal by default. */
export const attention = (q: Tensor, k: Tensor, v: Tensor, heads: number, causal = true): Tensor =>
  attentionOp([q, k, v], { heads, causal });

/** The same attention composed from primitives (reshape, transpose, bmm, causalMask, softmax): the fused op's oracle. */
export function attentionComposed(q: Tensor, k: Tensor, v: Tensor, heads: number, causal = true): Tensor {
  const { n, t, d, dh } = attentionShapes(q, k, v, heads);
  const split = (x: Tensor) => reshape(transpose(reshape(x, [n, t, heads, dh]), [0, 2, 1, 3]), [n * heads, t, dh]);
  const scores = mul(bmm(split(q), split(k), false, true), scalarLike(q, 1 / Math.sqrt(dh)));
  const p = softmax(causal ? causalMask(scores) : scores);
  const o = bmm(p, split(v));
  return reshape(transpose(reshape(o, [n, heads, t, dh]), [0, 2, 1, 3]), [n, t, d]);
}

function scalarLike(_x: Tensor, v: number): Tensor {
  const s = empty([]);
  s.data[0] = v;
  return s;
}

// ---------------------------------------------------------------- per-position cross-entropy

/** Targets below zero mark positions the loss skips (a copy task scores only its recall). */
export const IGNORE = -1;

function tokenCeCheck(x: Tensor, targets: Int32Array): { rows: number; cols: number; counted: number } {
  if (x.rank < 2) throw new ShapeError(`tokenCrossEntropy: expects logits [..., classes], got ${fmt(x.shape)}`);
  const cols = x.shape[x.rank - 1];
  const rows = x.size / cols;
  if (targets.length !== rows)
    throw new ShapeError(`tokenCrossEntropy: ${targets.length} targets for ${rows} positions of logits ${fmt(x.shape)}`);
  let counted = 0;
  for (let i = 0; i < rows; i++) {
    const y = targets[i];
    if (y >= cols || (y < 0 && y !== IGNORE))
      throw new ShapeError(`tokenCrossEntropy: target ${y} at position ${i} is outside [0, ${cols}) (or ${IGNORE} to skip it)`);
    if (y >= 0) counted++;
  }
  return { rows, cols, counted };
}

const tokenCrossEntropyOp = define<Int32Array>({
  name: 'tokenCrossEntropy',
  forward: ([x], targets) => {
    const { rows, cols, counted } = tokenCeCheck(x, targets);
    const logp = empty([rows, cols]);
    backend().softmax(x.buf, logp.buf, rows, cols, true);
    if (backend().sync && counted > 0) {
      // Storage on a device: from kernels, nothing read back (ops.ts, deviceCrossEntropy).
      const ce = deviceCrossEntropy(targets, rows, cols, counted);
      return { out: deviceCrossEntropyLoss(logp, ce), saved: [logp, ce.weights, ce.rowScale] };
    }
    let loss = 0;
    for (let i = 0; i < rows; i++) if (targets[i] >= 0) loss -= logp.data[i * cols + targets[i]];
    const out = empty([]);
    out.data[0] = counted > 0 ? loss / counted : 0;
    return { out, saved: [logp] };
  },
  vjp: (g, [logp, weights, rowScale], targets, [sx]) => {
    if (weights) return [reshape(deviceCrossEntropyGrad(logp, { weights, rowScale }, g), sx)];
    const [rows, cols] = logp.shape;
    let counted = 0;
    for (let i = 0; i < rows; i++) if (targets[i] >= 0) counted++;
    const dx = empty(sx);
    if (counted === 0) return [dx];
    const scale = g.data[0] / counted;
    const d = dx.data;
    for (let i = 0; i < rows; i++) {
      if (targets[i] < 0) continue;
      const o = i * cols;
      for (let j = 0; j < cols; j++) d[o + j] = Math.exp(logp.data[o + j]) * scale;
      d[o + targets[i]] -= scale;
    }
    return [dx];
  },
  // dL = Σᵢ over counted positions Σⱼ (softmax − onehot)ᵢⱼ · tᵢⱼ / counted.
  jvp: ([t], { saved: [logp, weights, rowScale] }, targets) => {
    if (!t) return null;
    if (weights) return deviceCrossEntropyJvp(logp, { weights, rowScale }, reshape(t, logp.shape));
    const [rows, cols] = logp.shape;
    let counted = 0;
    let s = 0;
    for (let i = 0; i < rows; i++) {
      if (targets[i] < 0) continue;
      counted++;
      for (let j = 0; j < cols; j++) s += Math.exp(logp.data[i * cols + j]) * t.data[i * cols + j];
      s -= t.data[i * cols + targets[i]];
    }
    const out = empty([]);
    out.data[0] = counted > 0 ? s / counted : 0;
    return out;
  },
});

/**
 * Mean softmax cross-entropy of logits [..., classes] against one target per position (flat, in
 * row-major order), over the positions whose target is not IGNORE.
 */
export const tokenCrossEntropy = (logits: Tensor, targets: Int32Array): Tensor => tokenCrossEntropyOp([logits], targets);

/** Summed cross-entropy (nats), arg-max hits and counted positions, without a tape (evaluation). */
export function tokenScores(logits: Tensor, targets: Int32Array): { lossSum: number; correct: number; count: number } {
  const { rows, cols, counted } = tokenCeCheck(logits, targets);
  const logp = empty([rows, cols]);
  backend().softmax(logits.buf, logp.buf, rows, cols, true);
  let lossSum = 0;
  let correct = 0;
  for (let i = 0; i < rows; i++) {
    const y = targets[i];
    if (y < 0) continue;
    const o = i * cols;
    lossSum -= logp.data[o + y];
    let best = 0;
    for (let j = 1; j < cols; j++) if (logp.data[o + j] > logp.data[o + best]) best = j;
    if (best === y) correct++;
  }
  logp.dispose();
  return { lossSum, correct, count: counted };
}

/** The row of logits [n, T, classes] at (sample i, position t) as a view (for sampling). */
export function positionLogits(logits: Tensor, i: number, t: number): Buf {
  const [, T, c] = logits.shape;
  return logits.data.subarray((i * T + t) * c, (i * T + t + 1) * c);
}
