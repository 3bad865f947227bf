// The one-vs-all objective (task: 'one-vs-all'): a logistic unit per class against the one-hot
// label, summed over classes and averaged over the batch, so the error it sends back is
// (σ(out) − onehot)/batch, checked against values computed by hand.
import { describe, expect, it } from 'vitest';
import { valueAndGrad } from '../../src/autograd/functional.ts';
import { SpecError } from '../../src/errors.ts';
import { classification, withObjective } from '../../src/rules/task.ts';
import { fromArray, type Tensor } from '../../src/tensor/tensor.ts';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('task one-vs-all', () => {
  const task = withObjective('one-vs-all', classification(3));
  const z = [0.5, -1, 2, 0, 1.5, -0.5];
  const labels = Int32Array.from([2, 0]);
  const batch = { x: fromArray([0], [1, 1]), labels, size: 2 };

  it('loss: Σ over classes of −[y·log σ(z) + (1−y)·log(1−σ(z))], the batch mean', () => {
    let want = 0;
    z.forEach((v, k) => {
      const y = Math.floor(k / 3) === 0 ? (k % 3 === 2 ? 1 : 0) : k % 3 === 0 ? 1 : 0;
      want -= y * Math.log(sigmoid(v)) + (1 - y) * Math.log(1 - sigmoid(v));
    });
    expect(task.name).toBe('one-vs-all');
    expect(task.loss(fromArray(z, [2, 3]), batch).item()).toBeCloseTo(want / 2, 5);
  });

  it('sends (σ(out) − onehot)/batch back to the output', () => {
    const { grads } = valueAndGrad((out: Tensor) => task.loss(out, batch))(fromArray(z, [2, 3]));
    const onehot = [0, 0, 1, 1, 0, 0];
    grads.toArray().forEach((g, k) => expect(g, `element ${k}`).toBeCloseTo((sigmoid(z[k]) - onehot[k]) / 2, 6));
  });

  it('scores hits by the arg-max output', () => {
    // Row 0's largest output is class 2 (its label), row 1's is class 1 (label 0).
    expect(task.score(fromArray(z, [2, 3]), batch).correct).toBe(1);
  });

  it('refuses outputs that are not one score per class, naming the task', () => {
    expect(() => task.loss(fromArray([1, 2], [2, 1]), batch)).toThrow(SpecError);
    expect(() => task.loss(fromArray([1, 2], [2, 1]), batch)).toThrow(/task one-vs-all: expects scores \[batch, 3\]/);
  });
});
