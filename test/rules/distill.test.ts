// Distillation (Hinton et al. 2015): the loss against its closed form computed here in float64,
// its gradient gradchecked and equal to Hinton's (q − p)·T/n per soft logit, and bad specs and
// teacher files refused in one line.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradcheck } from '../../src/autograd/gradcheck.ts';
import { valueAndGrad } from '../../src/autograd/functional.ts';
import { buildModel } from '../../src/nn/model.ts';
import { writeParamFile } from '../../src/nn/param-file.ts';
import { rng } from '../../src/random.ts';
import { distillationLoss, parseDistill } from '../../src/rules/distill.ts';
import { readTeacher } from '../../src/runner/param-files.ts';
import { prepareTrial, type TrialConfig } from '../../src/runner/trial.ts';
import { fromArray, normal, type Tensor } from '../../src/tensor/tensor.ts';

const softmax = (row: number[], T: number) => {
  const m = Math.max(...row.map((v) => v / T));
  const e = row.map((v) => Math.exp(v / T - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
};

/** w·T²·mean KL(p_T ‖ q_T) + (1 − w)·mean CE(q_1, y), in float64 from the definitions. */
function closedForm(s: number[][], t: number[][], y: number[], T: number, w: number): number {
  let kl = 0;
  let ce = 0;
  s.forEach((row, i) => {
    const p = softmax(t[i], T);
    const q = softmax(row, T);
    kl += p.reduce((a, pj, j) => a + pj * Math.log(pj / q[j]), 0);
    ce -= Math.log(softmax(row, 1)[y[i]]);
  });
  return (w * T * T * kl + (1 - w) * ce) / s.length;
}

const rows = (t: Tensor) => Array.from({ length: t.shape[0] }, (_, i) => Array.from(t.data.subarray(i * t.shape[1], (i + 1) * t.shape[1])));

describe('the distillation loss', () => {
  const s = normal([5, 4], 0, 2, rng('student'));
  const t = normal([5, 4], 0, 3, rng('teacher'));
  const y = Int32Array.from([0, 3, 1, 2, 3]);

  for (const [T, w] of [
    [1, 0.5],
    [4, 0.9],
    [2.5, 1],
    [3, 0],
  ]) {
    it(`matches its closed form at T = ${T}, weight ${w}`, () => {
      const got = distillationLoss(s, t, y, T, w).item();
      expect(got).toBeCloseTo(closedForm(rows(s), rows(t), Array.from(y), T, w), 5);
    });
  }

  it('is zero for a student equal to its teacher (weight 1), at any temperature', () => {
    expect(Math.abs(distillationLoss(t, t, y, 3, 1).item())).toBeLessThan(1e-6);
  });

  it("has the gradient gradcheck finds, and Hinton et al.'s (q − p)·T/n per logit with the T² scaling", () => {
    const r = gradcheck((x: Tensor) => distillationLoss(x, t, y, 4, 0.7), [s], { atol: 1e-5, rtol: 1e-4 });
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
    const T = 4;
    const g = valueAndGrad((x: Tensor[]) => distillationLoss(x[0], t, y, T, 1))([s]).grads[0];
    const S = rows(s);
    const Tt = rows(t);
    for (let i = 0; i < 5; i++) {
      const p = softmax(Tt[i], T);
      const q = softmax(S[i], T);
      for (let j = 0; j < 4; j++) expect(g.data[i * 4 + j]).toBeCloseTo(((q[j] - p[j]) * T) / 5, 5);
    }
  });
});

describe('distill specs and teacher files', () => {
  const teacher = { model: { sizes: [6, 8, 3], activation: 'tanh' }, params: '/nonexistent.json' };
  it('bad fields are refused in one line naming them', () => {
    expect(() => parseDistill({ teacher, temperature: 0, weight: 0.5 })).toThrow(
      /^distill\.temperature: expected a positive number, got 0$/,
    );
    expect(() => parseDistill({ teacher, temperature: 2, weight: 1.5 })).toThrow(/^distill\.weight: expected a number in \[0, 1\]/);
    expect(() => parseDistill({ teacher: { model: teacher.model }, temperature: 2, weight: 0.5 })).toThrow(
      /^distill\.teacher: expected \{ model/,
    );
    expect(() => parseDistill({ teacher, temperature: 2, weight: 0.5, alpha: 1 })).toThrow(/^distill\.alpha: unknown key/);
  });

  const config: TrialConfig = {
    experiment: 'distill-test',
    rule: 'backprop',
    options: {},
    seed: 1,
    data: { name: 'blobs', train: 32, test: 16, classes: 3, features: 6, spread: 0.5 },
    model: { sizes: [6, 5, 3] },
    optimizer: { name: 'sgd', lr: 0.1 },
    batchSize: 8,
    epochs: 1,
    maxSteps: 0,
    evalEvery: 0,
    alignEvery: 0,
    alignSamples: 4,
    memory: false,
    debug: false,
  };

  it('a missing file, a file of another architecture, and a teacher scoring other classes each give one line', () => {
    const data = prepareTrial(config);
    const dir = mkdtempSync(join(tmpdir(), 'rulebench-distill-'));
    const spec = (model: object, params: string) => parseDistill({ teacher: { model, params }, temperature: 2, weight: 0.5 });
    expect(() => readTeacher(spec(teacher.model, join(dir, 'none.json')), data)).toThrow(
      /^distill\.teacher\.params: no parameter file at /,
    );
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, 'not json');
    expect(() => readTeacher(spec(teacher.model, bad), data)).toThrow(/^distill\.teacher\.params: .* is not a parameter file/);
    const other = buildModel({ sizes: [6, 9, 3] });
    const file = join(dir, 'other.json');
    writeParamFile(file, other, other.init(rng(0)), [], {});
    expect(() => readTeacher(spec(teacher.model, file), data)).toThrow(
      /^distill\.teacher\.params: .*: parameter "fc1.weight" is \[9, 6\], the model's is \[8, 6\]$/,
    );
    expect(() => readTeacher(spec({ sizes: [6, 8, 4] }, file), data)).toThrow(
      /^distill\.teacher\.model\.sizes\[2\]: 4 outputs, but the task needs 3/,
    );
    const teacherModel = buildModel({ sizes: [6, 8, 3], activation: 'tanh' });
    const good = join(dir, 'good.json');
    writeParamFile(good, teacherModel, teacherModel.init(rng(1)), [], {});
    const tt = readTeacher(spec(teacher.model, good), data);
    expect(tt.forward(fromArray(new Float32Array(12), [2, 6])).shape).toEqual([2, 3]);
  });
});
