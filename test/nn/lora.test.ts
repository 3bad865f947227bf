// LoRA adapters: gradients of A and B gradchecked (the taped forward and the replaced-input-VJP
// path the feedback-alignment family uses), the adapted model starting exactly at the base model,
// the base weights never moving under any rule defined on adapters, memory by category, and
// refusals and bad specs in one line.
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES } from '../../algorithms/index.ts';
import { gradcheck } from '../../src/autograd/gradcheck.ts';
import { adaptedLayers, parseAdapters, withAdapters } from '../../src/nn/adapters.ts';
import { buildModel } from '../../src/nn/model.ts';
import { replaceInputVjp, weightNow } from '../../src/nn/weight-layer.ts';
import { rng } from '../../src/random.ts';
import type { AnyRule } from '../../src/rules/rule.ts';
import { nodeHost, prepareTrial, type EvalRecord, type TrialConfig } from '../../src/runner/trial.ts';
import { runTraining, type Training } from '../../src/runner/loop.ts';
import { startingParams } from '../../src/runner/param-files.ts';
import { normal, type Tensor } from '../../src/tensor/tensor.ts';

const rule = (id: string) => BUILTIN_RULES.find((r) => r.id === id)! as AnyRule;

function adapted(rank = 2, alpha = 4) {
  const base = buildModel({ sizes: [5, 7, 4], activation: 'tanh', init: 'xavierUniform' });
  const baseParams = base.init(rng('base'));
  const model = withAdapters(base, baseParams, { kind: 'lora', rank, alpha });
  const params = model.init(rng('adapters'));
  // B starts at zero; give it values so its gradient and A's are both exercised.
  for (const p of params) for (let i = 0; i < p.size; i++) p.data[i] += 0.3 * Math.sin(7 * i + p.size);
  return { base, baseParams, model, params };
}

describe('LoRA adapters', () => {
  it('the adapted model trains only A and B, and starts exactly at the base model (B = 0)', () => {
    const base = buildModel({ sizes: [5, 7, 4], activation: 'tanh', init: 'xavierUniform' });
    const bp = base.init(rng('base'));
    const model = withAdapters(base, bp, { kind: 'lora', rank: 3 });
    expect(model.paramNames).toEqual(['fc1.loraA', 'fc1.loraB', 'fc2.loraA', 'fc2.loraB']);
    expect(model.paramShapes()).toEqual([
      [3, 5],
      [7, 3],
      [3, 7],
      [4, 3],
    ]);
    const x = normal([6, 5], 0, 1, rng('x'));
    const y0 = base.forward(bp, x);
    const y1 = model.forward(model.init(rng('a')), x);
    expect(Array.from(y1.data)).toEqual(Array.from(y0.data));
  });

  it("A's and B's gradients pass gradcheck through the adapted forward", () => {
    const { model, params } = adapted();
    const x = normal([3, 5], 0, 1, rng('x'));
    const r = gradcheck((...p: Tensor[]) => model.forward(p, x), params, { atol: 1e-5, rtol: 1e-4 });
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  });

  it('with its input VJP replaced (the feedback family), A and B keep their exact local gradients, and the input gets what was asked', () => {
    const { model, params } = adapted();
    // The true input VJP through the derived weight W₀ + s·BA: the whole map must then gradcheck, input included.
    const swapped = model.map((m) =>
      adaptedLayers(model).some((l) => l === m)
        ? replaceInputVjp(m as never, (g, x) =>
            (m as never as { inputVjp: (g: Tensor, k: Tensor, s: readonly number[]) => Tensor }).inputVjp(
              g,
              weightNow(m as never, params),
              x.shape,
            ),
          )
        : m,
    );
    const x = normal([3, 5], 0, 1, rng('x'));
    const r = gradcheck((...p: Tensor[]) => swapped.forward(p.slice(1), p[0]), [x, ...params], { atol: 1e-5, rtol: 1e-4 });
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  });

  it('bad adapter specs are refused in one line naming the field', () => {
    expect(() => parseAdapters({ kind: 'lora', rank: 0 })).toThrow(/^adapters\.rank: expected an integer ≥ 1, got 0$/);
    expect(() => parseAdapters({ kind: 'loha', rank: 2 })).toThrow(/^adapters\.kind: expected one of 'lora'/);
    expect(() => parseAdapters({ kind: 'lora', rank: 2, alpha: -1 })).toThrow(/^adapters\.alpha: /);
    expect(() => parseAdapters({ kind: 'lora', rank: 2, where: [] })).toThrow(/^adapters\.where: unknown key/);
    const lenet = buildModel({ preset: 'lenet5' }, { sampleShape: [28, 28], outputs: 10 });
    const p = lenet.init(rng(0));
    expect(() => withAdapters(lenet, p, { kind: 'lora', rank: 2, layers: ['conv1'] })).toThrow(
      /^adapters\.layers\[0\]: "conv1" is a conv2d layer; LoRA adapters go on dense layers/,
    );
    expect(() => withAdapters(lenet, p, { kind: 'lora', rank: 2, layers: ['fc*', 'head'] })).toThrow(
      /^adapters\.layers\[1\]: "head" matches no dense layer; the model's dense layers: fc1, fc2, fc3$/,
    );
    expect(adaptedLayers(withAdapters(lenet, p, { kind: 'lora', rank: 2, layers: ['fc*'] })).map((l) => l.path)).toEqual([
      'fc1',
      'fc2',
      'fc3',
    ]);
  });
});

const config = (ruleId: string, over: Partial<TrialConfig> = {}): TrialConfig => ({
  experiment: 'lora-test',
  rule: ruleId,
  options: {},
  seed: 3,
  data: { name: 'blobs', train: 64, test: 32, classes: 3, features: 6, spread: 0.5 },
  model: { sizes: [6, 10, 10, 3], activation: 'tanh', init: 'xavierUniform' },
  adapters: { kind: 'lora', rank: 2, alpha: 4 },
  optimizer: { name: 'adam', lr: 0.05 },
  batchSize: 16,
  epochs: 2,
  maxSteps: 0,
  evalEvery: 0,
  alignEvery: 2,
  alignSamples: 4,
  memory: true,
  debug: false,
  ...over,
});

describe('every rule defined on adapters trains only them', () => {
  for (const id of ['backprop', 'mezo', 'feedback-alignment', 'direct-feedback-alignment']) {
    it(`${id}: the base weights do not move, the adapters do`, () => {
      const c = config(id);
      const data = prepareTrial(c);
      // Drawn inside the trial's ledger (in start), as a trial draws them, so they count as its frozen bytes.
      let start: ReturnType<typeof startingParams> | null = null;
      let frozenCopy: number[][] = [];
      let finalBase: number[][] = [];
      let trained: Training | null = null;
      let firstAdapters: number[][] = [];
      const evals: EvalRecord[] = [];
      runTraining({
        config: c,
        id,
        rule: rule(id),
        data,
        host: nodeHost,
        emit: (r) => void (r.type === 'eval' && evals.push(r)),
        start: (init) => {
          start = startingParams(c, { seed: c.seed, rule: id }, data.model, data.train, init);
          frozenCopy = start.params.map((p) => Array.from(p.data));
          return start;
        },
        observers: (t) => {
          trained = t;
          firstAdapters = t.params.map((p) => Array.from(p.data));
          return [{ name: 'base-after', onFinish: () => void (finalBase = start!.params.map((p) => Array.from(p.data))) }];
        },
      });
      expect(frozenCopy.length).toBe(6);
      expect(finalBase).toEqual(frozenCopy);
      const t = trained! as Training;
      expect(t.params.map((p) => p.size)).toEqual([12, 20, 20, 20, 20, 6]);
      expect(t.params.some((p, i) => p.data.some((v, k) => v !== firstAdapters[i][k]))).toBe(true);
      // Memory by category: the adapters are the parameters; Adam's state is theirs (2 per entry); the base is frozen.
      const m = evals[evals.length - 1].memory!;
      const adapterBytes = 4 * (12 + 20 + 20 + 20 + 20 + 6);
      const baseBytes = 4 * (6 * 10 + 10 + 10 * 10 + 10 + 10 * 3 + 3);
      expect(m.atPeak.param).toBe(adapterBytes);
      expect(m.atPeak.optimizer).toBe(2 * adapterBytes);
      expect(m.atPeak.frozen).toBe(baseBytes);
    });
  }

  it('every built-in rule either refuses adapters in its check or trains them with the base unmoved', () => {
    const refused: string[] = [];
    for (const r of BUILTIN_RULES) {
      // fc1 left frozen: a frozen weight layer below the adapted ones, as the feedback family must pass errors through.
      const c = config(r.id, {
        epochs: 1,
        maxSteps: 3,
        alignEvery: 0,
        memory: false,
        adapters: { kind: 'lora', rank: 2, layers: ['fc2', 'fc3'] },
      });
      const data = prepareTrial(c);
      let base: Tensor[] = [];
      let copy: number[][] = [];
      let after: number[][] = [];
      let adapters: Tensor[] = [];
      let first: number[][] = [];
      try {
        runTraining({
          config: c,
          id: r.id,
          rule: r as AnyRule,
          data,
          host: nodeHost,
          emit: () => {},
          start: (init) => {
            const s = startingParams(c, { seed: c.seed, rule: r.id }, data.model, data.train, init);
            base = s.params;
            copy = base.map((p) => Array.from(p.data));
            return s;
          },
          observers: (t) => {
            adapters = t.params;
            first = t.params.map((p) => Array.from(p.data));
            return [{ name: 'base-after', onFinish: () => void (after = base.map((p) => Array.from(p.data))) }];
          },
        });
      } catch (e) {
        expect((e as Error).message, r.id).toMatch(
          new RegExp(`^${r.id}: not defined for adapters \\(layer "fc2" is LoRA-adapted\\): .{20,}`),
        );
        refused.push(r.id);
        continue;
      }
      expect(after, r.id).toEqual(copy);
      expect(
        adapters.some((p, i) => p.data.some((v, k) => v !== first[i][k])),
        `${r.id} moved no adapter`,
      ).toBe(true);
    }
    expect(refused.sort()).toEqual(['equilibrium-propagation', 'kolen-pollack', 'pepita', 'weight-mirroring']);
  });

  it('rules not defined on adapters refuse them in their check, naming the layer and why', () => {
    const c = config('kolen-pollack');
    const data = prepareTrial(c);
    const run = (id: string) => () =>
      runTraining({
        config: { ...c, rule: id },
        id,
        rule: rule(id),
        data,
        host: nodeHost,
        emit: () => {},
        start: (init) => startingParams(c, { seed: 3, rule: id }, data.model, data.train, init),
      });
    expect(run('kolen-pollack')).toThrow(/^kolen-pollack: not defined for adapters \(layer "fc1" is LoRA-adapted\): /);
  });

  it('a run without adapters records no frozen category (records stay as they were)', () => {
    const c = config('backprop', { adapters: undefined });
    const data = prepareTrial(c);
    const evals: EvalRecord[] = [];
    runTraining({
      config: c,
      id: 'x',
      rule: rule('backprop'),
      data,
      host: nodeHost,
      emit: (r) => void (r.type === 'eval' && evals.push(r)),
      start: (init) => startingParams(c, { seed: 3, rule: 'backprop' }, data.model, data.train, init),
    });
    expect(Object.keys(evals[0].memory!.atPeak)).not.toContain('frozen');
  });
});
