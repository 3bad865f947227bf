// The dataset registry: a user's dataset loads, describes itself and validates in a spec like a
// built-in (its own options checked and named, others refused); names are taken once.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  classificationDataset,
  defineDataset,
  describeDataset,
  field,
  getRule,
  listDatasets,
  loadDataset,
  needRng,
  optional,
  registerDataset,
  rng,
  splitGenerated,
  SpecError,
} from '../../src/index.ts';
import { loadBuiltins } from '../../src/runner/execute.ts';
import { validateSpec } from '../../src/runner/spec.ts';

/** Points on two concentric circles, labelled by circle (radius 1 or `outer`). */
const rings = defineDataset({
  name: 'rings',
  options: {
    train: optional(
      field<number>((v, at) => {
        if (!(typeof v === 'number' && Number.isInteger(v) && v > 0))
          throw new SpecError(`${at}: expected a positive integer, got ${String(v)}`);
        return v;
      }),
    ),
    outer: optional(
      field<number>((v, at) => {
        if (!(typeof v === 'number' && v > 1)) throw new SpecError(`${at}: expected a radius above 1, got ${String(v)}`);
        return v;
      }),
    ),
  },
  load(opts) {
    const r = needRng('rings', opts);
    const n = (opts.train ?? 40) + 20;
    const x = new Float32Array(2 * n);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const angle = 2 * Math.PI * r.uniform();
      y[i] = i % 2;
      const radius = y[i] ? (opts.outer ?? 2) : 1;
      x[2 * i] = radius * Math.cos(angle);
      x[2 * i + 1] = radius * Math.sin(angle);
    }
    return splitGenerated(classificationDataset('rings', x, y, [2], 2), opts.train ?? 40);
  },
});

beforeAll(() => loadBuiltins());

const spec = (data: Record<string, unknown>) => ({
  name: 'rings',
  data,
  model: { sizes: [2, 8, 2] },
  optimizer: { name: 'sgd', lr: 0.1 },
  rules: ['backprop'],
  seeds: [0],
  epochs: 1,
  batchSize: 8,
});

describe('dataset registry', () => {
  it('loads a registered dataset by name, and describes it by loading it when it has no describe of its own', () => {
    registerDataset(rings);
    expect(
      listDatasets()
        .map((d) => d.name)
        .slice(-2),
    ).toEqual(['copy', 'rings']);
    const tt = loadDataset('rings', { train: 30, outer: 3, rng: rng(1) } as never);
    expect([tt.train.n, tt.test.n]).toEqual([30, 20]);
    expect(Math.hypot(tt.train.x[2], tt.train.x[3])).toBeCloseTo(3, 5);
    expect(describeDataset('rings', { train: 30 } as never)).toEqual({
      kind: 'classification',
      available: { train: 30, test: 20 },
      train: 30,
      test: 20,
      shape: [2],
      features: 2,
      outputs: 2,
    });
  });

  it("validates a spec naming it: its own options checked and named, other datasets' options refused", () => {
    registerDataset(rings);
    expect(validateSpec(spec({ name: 'rings', train: 32, outer: 2.5, validation: 0.25 }), getRule).data).toMatchObject({
      name: 'rings',
      outer: 2.5,
    });
    expect(() => validateSpec(spec({ name: 'rings', outer: 0.5 }), getRule)).toThrow(/^data\.outer: expected a radius above 1, got 0\.5$/);
    expect(() => validateSpec(spec({ name: 'rings', noise: 0.1 }), getRule)).toThrow(
      /^data\.noise: does not apply to dataset "rings"; it takes: validation, train, outer$/,
    );
    expect(() => validateSpec(spec({ name: 'blobs', outer: 2 }), getRule)).toThrow(/^data\.outer: does not apply to dataset "blobs"/);
    expect(() => validateSpec(spec({ name: 'ring' }), getRule)).toThrow(
      /^data\.name: unknown dataset "ring"; accepted: mnist, .*, copy, rings$/,
    );
  });

  it('takes a name once and refuses a malformed dataset', () => {
    registerDataset(rings);
    expect(() => registerDataset(rings)).not.toThrow();
    expect(() => registerDataset(defineDataset({ ...rings, name: 'mnist' }))).toThrow(
      /^registerDataset: a dataset named "mnist" is already registered/,
    );
    expect(() => registerDataset({ name: 'x', options: {} } as never)).toThrow(/^registerDataset: not a dataset/);
    expect(() => registerDataset({ ...rings, name: 'y', options: { validation: rings.options.train } } as never)).toThrow(
      /must not redefine "validation"/,
    );
  });
});
