// One table of inputs per primitive op, shared by the reverse-mode (gradcheck) and forward-mode
// (jvp) suites: an op registered without a case here fails both.
import * as R from '../../src/index.ts';
import { Tensor, rng } from '../../src/index.ts';

export type Case = { inputs: Tensor[]; f: (...xs: Tensor[]) => Tensor };
const r = rng('gradcheck');
const u = (shape: number[], lo = -2, hi = 2) => R.uniform(shape, lo, hi, r);
// Values kept away from kinks (relu, abs, sign) so finite differences are meaningful.
const awayFromZero = (shape: number[]) => {
  const t = u(shape, 0.2, 2);
  for (let i = 0; i < t.size; i++) if (r.uniform() < 0.5) t.data[i] = -t.data[i];
  return t;
};
const labels = [2, 0, 1];
/** A random permutation of 0.2·k: no ties anywhere. */
const spread = (shape: number[]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const perm = r.permutation(n);
  return R.fromArray(
    Array.from(perm, (k) => 0.2 * k - 0.1 * n),
    shape,
  );
};

export const CASES: Record<string, Case[]> = {
  add: [
    { inputs: [u([3, 4]), u([4])], f: R.add },
    { inputs: [u([2, 1, 3]), u([4, 1])], f: R.add },
  ],
  sub: [{ inputs: [u([3, 4]), u([3, 1])], f: R.sub }],
  mul: [
    { inputs: [u([3, 4]), u([1, 4])], f: R.mul },
    { inputs: [u([2, 3]), u([])], f: R.mul },
  ],
  div: [{ inputs: [u([3, 4]), u([3, 4], 0.5, 2)], f: R.div }],
  maximum: [{ inputs: [u([3, 4]), u([3, 4])], f: R.maximum }],
  neg: [{ inputs: [u([5])], f: R.neg }],
  exp: [{ inputs: [u([2, 3])], f: R.exp }],
  log: [{ inputs: [u([2, 3], 0.2, 3)], f: R.log }],
  tanh: [{ inputs: [u([2, 3])], f: R.tanh }],
  sigmoid: [{ inputs: [u([2, 3])], f: R.sigmoid }],
  relu: [{ inputs: [awayFromZero([2, 3])], f: R.relu }],
  leakyRelu: [{ inputs: [awayFromZero([2, 3])], f: (x) => R.leakyRelu(x, 0.1) }],
  softplus: [{ inputs: [u([2, 3])], f: R.softplus }],
  gelu: [{ inputs: [u([2, 3])], f: R.gelu }],
  sqrt: [{ inputs: [u([2, 3], 0.3, 3)], f: R.sqrt }],
  square: [{ inputs: [u([2, 3])], f: R.square }],
  abs: [{ inputs: [awayFromZero([2, 3])], f: R.abs }],
  sin: [{ inputs: [u([4])], f: R.sin }],
  cos: [{ inputs: [u([4])], f: R.cos }],
  // Piecewise constant: the gradient is zero and finite differences agree away from jumps.
  sign: [{ inputs: [awayFromZero([4])], f: (x) => R.mul(R.sign(x), x) }],
  step: [{ inputs: [awayFromZero([4])], f: (x) => R.mul(R.step(x), x) }],
  pow: [
    { inputs: [u([2, 3], 0.3, 2)], f: (x) => R.pow(x, 2.5) },
    { inputs: [u([3])], f: (x) => R.pow(x, 3) },
  ],
  matmul: [
    { inputs: [u([3, 4]), u([4, 5])], f: (a, b) => R.matmul(a, b) },
    { inputs: [u([3, 4]), u([5, 4])], f: (a, b) => R.matmul(a, b, false, true) },
    { inputs: [u([4, 3]), u([4, 5])], f: (a, b) => R.matmul(a, b, true, false) },
    { inputs: [u([4, 3]), u([5, 4])], f: (a, b) => R.matmul(a, b, true, true) },
  ],
  sum: [
    { inputs: [u([2, 3, 4])], f: (x) => R.sum(x) },
    { inputs: [u([2, 3, 4])], f: (x) => R.sum(x, 1) },
    { inputs: [u([2, 3, 4])], f: (x) => R.sum(x, -1, true) },
  ],
  mean: [
    { inputs: [u([2, 3, 4])], f: (x) => R.mean(x, 0) },
    { inputs: [u([3, 4])], f: (x) => R.mean(x) },
  ],
  max: [
    { inputs: [u([3, 5])], f: (x) => R.max(x, 1) },
    { inputs: [u([3, 5])], f: (x) => R.max(x) },
  ],
  broadcastTo: [{ inputs: [u([3, 1])], f: (x) => R.broadcastTo(x, [2, 3, 4]) }],
  reshape: [{ inputs: [u([2, 6])], f: (x) => R.tanh(R.reshape(x, [3, -1])) }],
  transpose: [
    { inputs: [u([2, 3, 4])], f: (x) => R.transpose(x, [2, 0, 1]) },
    { inputs: [u([2, 3])], f: (x) => R.transpose(x) },
  ],
  slice: [{ inputs: [u([3, 5, 2])], f: (x) => R.slice(x, 1, 1, 4) }],
  concat: [{ inputs: [u([2, 3]), u([2, 1]), u([2, 2])], f: (...xs) => R.concat(xs, 1) }],
  softmax: [{ inputs: [u([3, 4])], f: R.softmax }],
  logSoftmax: [{ inputs: [u([3, 4])], f: R.logSoftmax }],
  pick: [{ inputs: [u([3, 4])], f: (x) => R.pick(x, labels) }],
  softmaxCrossEntropy: [{ inputs: [u([3, 4])], f: (x) => R.softmaxCrossEntropy(x, labels) }],
  conv2d: [
    { inputs: [u([2, 2, 5, 4]), u([3, 2, 3, 2]), u([3])], f: (x, w, b) => R.conv2d(x, w, b) },
    { inputs: [u([1, 2, 6, 6]), u([2, 2, 3, 3])], f: (x, w) => R.conv2d(x, w, null, { stride: 2, padding: 1 }) },
    { inputs: [u([1, 1, 5, 5]), u([2, 1, 1, 1]), u([2])], f: (x, w, b) => R.conv2d(x, w, b, { stride: [2, 1], padding: [0, 1] }) },
  ],
  batchNorm: [
    { inputs: [u([4, 3, 2, 2]), u([3]), u([3])], f: (x, g, b) => R.batchNorm(x, g, b, { training: true }) },
    { inputs: [u([5, 3]), u([3]), u([3])], f: (x, g, b) => R.batchNorm(x, g, b, { training: true, eps: 0.1 }) },
  ],
  // Distinct values at least 0.2 apart within a window keep the winner fixed under ±eps.
  maxPool2d: [
    { inputs: [spread([2, 2, 4, 6])], f: (x) => R.maxPool2d(x, { kernel: 2 }) },
    { inputs: [spread([1, 2, 5, 5])], f: (x) => R.maxPool2d(x, { kernel: 3, stride: 2, padding: 1 }) },
  ],
  avgPool2d: [
    { inputs: [u([2, 2, 4, 6])], f: (x) => R.avgPool2d(x, { kernel: 2 }) },
    { inputs: [u([1, 2, 5, 5])], f: (x) => R.avgPool2d(x, { kernel: 3, stride: 2, padding: 1 }) },
  ],
  // Row 1 is read three times: its cotangents must add up.
  gather: [{ inputs: [u([4, 3])], f: (tbl) => R.gather(tbl, Int32Array.from([1, 3, 1, 0, 1, 2]), [2, 3]) }],
  bmm: [
    { inputs: [u([2, 3, 4]), u([2, 4, 5])], f: (a, b) => R.bmm(a, b) },
    { inputs: [u([2, 3, 4]), u([2, 5, 4])], f: (a, b) => R.bmm(a, b, false, true) },
    { inputs: [u([2, 4, 3]), u([2, 4, 5])], f: (a, b) => R.bmm(a, b, true, false) },
    { inputs: [u([2, 4, 3]), u([2, 5, 4])], f: (a, b) => R.bmm(a, b, true, true) },
  ],
  causalMask: [{ inputs: [u([2, 4, 4])], f: (x) => R.softmax(R.causalMask(x)) }],
  attention: [
    { inputs: [u([2, 5, 6]), u([2, 5, 6]), u([2, 5, 6])], f: (q, k, v) => R.attention(q, k, v, 2) },
    { inputs: [u([1, 4, 4]), u([1, 4, 4]), u([1, 4, 4])], f: (q, k, v) => R.attention(q, k, v, 1, false) },
  ],
  tokenCrossEntropy: [
    { inputs: [u([2, 3, 5])], f: (x) => R.tokenCrossEntropy(x, Int32Array.from([4, 0, 2, 1, 1, 3])) },
    // Skipped positions (IGNORE) get no gradient and do not count in the mean.
    { inputs: [u([2, 3, 5])], f: (x) => R.tokenCrossEntropy(x, Int32Array.from([R.IGNORE, 0, 2, R.IGNORE, R.IGNORE, 3])) },
  ],
};
