import { describe, expect, it } from 'vitest';
import { layerNorms } from '../../experiments/vanishing-gradients.ts';

const ratio = (a: string, i: string, r: boolean) => {
  const rows = layerNorms(a, i, r);
  return { rows, firstOverLast: rows[0].norm / rows[rows.length - 1].norm };
};

describe('vanishing gradients at init (784-128×20-10)', () => {
  it('sigmoid shrinks the gradient layer by layer toward the input; residual connections rescue it', () => {
    const plain = ratio('sigmoid', 'xavierNormal', false);
    expect(plain.firstOverLast).toBeLessThan(1e-6);
    // σ′ ≤ 0.25: every hidden layer passes on at most about a quarter (times the weights' gain).
    const norms = plain.rows.map((r) => r.norm);
    const shrinking = norms.slice(1, -1).filter((v, k) => v < norms[k + 2]).length;
    expect(shrinking).toBeGreaterThanOrEqual(17);
    expect(ratio('sigmoid', 'xavierNormal', true).firstOverLast).toBeGreaterThan(1e-3);
  });

  it('ReLU keeps its gradient scale with He init but not with Xavier', () => {
    const he = ratio('relu', 'heNormal', false).firstOverLast;
    expect(he).toBeGreaterThan(0.1);
    expect(he).toBeLessThan(10);
    expect(ratio('relu', 'xavierNormal', false).firstOverLast).toBeLessThan(0.1);
  });
});
