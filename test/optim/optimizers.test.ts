// Each optimizer against updates computed by hand over 2–3 steps, plus the contract every
// optimizer shares (ledger-counted state, no allocation per step, streaming = eager).
import { describe, expect, it } from 'vitest';
import { adam, adamw, momentum, rmsprop, sgd, releaseState, type Optimizer } from '../../src/optim/index.ts';
import { ShapeError } from '../../src/errors.ts';
import { ledger } from '../../src/tensor/ledger.ts';
import { Tensor, empty, fromArray, tensor } from '../../src/tensor/tensor.ts';

/** Run `opt` from `p0` over one update per step; returns the parameter after each step. */
function trajectory(opt: Optimizer, p0: number[], grads: number[][]): number[][] {
  const p = fromArray(p0, [p0.length]);
  const state = opt.init([p]);
  return grads.map((g, step) => {
    opt.update([p], [fromArray(g, [g.length])], state, step);
    return p.toArray();
  });
}

function expectClose(got: number[][], want: number[][], digits = 6): void {
  expect(got.length).toBe(want.length);
  got.forEach((row, i) => row.forEach((v, j) => expect(v, `step ${i} element ${j}`).toBeCloseTo(want[i][j], digits)));
}

describe('sgd', () => {
  it('p ← p − lr·g', () => {
    expectClose(
      trajectory(
        sgd({ lr: 0.1 }),
        [1, -2],
        [
          [0.5, -1],
          [1, 1],
        ],
      ),
      [
        [0.95, -1.9],
        [0.85, -2.0],
      ],
    );
  });

  it('weight decay adds wd·p to the update (L2)', () => {
    // step 0: g + 0.1·p = [0.6, −1.2]; step 1: [1 + 0.094, 1 − 0.188]
    expectClose(
      trajectory(
        sgd({ lr: 0.1, weightDecay: 0.1 }),
        [1, -2],
        [
          [0.5, -1],
          [1, 1],
        ],
      ),
      [
        [0.94, -1.88],
        [0.8306, -1.9612],
      ],
    );
  });
});

describe('momentum', () => {
  it('heavy ball: v ← μv + g, p ← p − lr·v', () => {
    // v = 1, 1.9, 2.71
    expectClose(trajectory(momentum({ lr: 0.1, momentum: 0.9 }), [1], [[1], [1], [1]]), [[0.9], [0.71], [0.439]]);
  });

  it('nesterov steps along g + μv, which differs from plain momentum', () => {
    // v = 1, 1.9, 2.71; direction g + 0.9·v = 1.9, 2.71, 3.439
    const nest = trajectory(momentum({ lr: 0.1, momentum: 0.9, nesterov: true }), [1], [[1], [1], [1]]);
    expectClose(nest, [[0.81], [0.539], [0.1951]]);
    expect(nest[2][0]).not.toBeCloseTo(0.439, 2);
  });

  it('weight decay enters the velocity', () => {
    // step 0: g = 1 + 0.5·1 = 1.5, v = 1.5, p = 0.85; step 1: g = 1 + 0.425, v = 1.35 + 1.425 = 2.775, p = 0.5725
    expectClose(trajectory(momentum({ lr: 0.1, momentum: 0.9, weightDecay: 0.5 }), [1], [[1], [1]]), [[0.85], [0.5725]]);
  });
});

describe('adam and adamw', () => {
  const grads = [[2], [-1], [0.5]];
  it('adam with bias correction (lr 0.1, betas 0.9/0.999)', () => {
    // step 0: m̂ = 2, v̂ = 4 → p = 1 − 0.1·2/2; step 1: m = 0.08, v = 0.004996, m̂ = 0.08/0.19, v̂ = 0.004996/0.001999
    expectClose(trajectory(adam({ lr: 0.1 }), [1], grads), [[0.9], [0.8733663], [0.8393234]]);
  });

  it('adam weightDecay is L2 (inside the moments), adamw is decoupled, and they differ', () => {
    const l2 = trajectory(adam({ lr: 0.1, weightDecay: 0.1 }), [1], grads);
    const decoupled = trajectory(adamw({ lr: 0.1, weightDecay: 0.1 }), [1], grads);
    expectClose(l2, [[0.9], [0.8681232], [0.8283763]]);
    // adamw step 0: the Adam step 0.1 plus lr·wd·p = 0.01
    expectClose(decoupled, [[0.89], [0.8544663], [0.8118787]]);
  });

  it('adamw defaults to weightDecay 0.01', () => {
    expectClose(trajectory(adamw({ lr: 0.1 }), [1], [[2]]), [[0.899]]);
  });
});

describe('rmsprop', () => {
  it('v ← αv + (1−α)g², p ← p − lr·g/(√v + ε), no bias correction (lr 0.01, α 0.9)', () => {
    // v = 0.4, 0.46, 0.439: p = 1 − 0.01·2/√0.4, then − 0.01·(−1)/√0.46, then − 0.01·0.5/√0.439
    expectClose(trajectory(rmsprop({ lr: 0.01, alpha: 0.9 }), [1], [[2], [-1], [0.5]]), [[0.9683772], [0.9831214], [0.9755751]]);
  });

  it('defaults to alpha 0.99 (first step 1/√0.01 = 10 times the rate)', () => {
    expectClose(trajectory(rmsprop({ lr: 0.01 }), [1], [[3]]), [[0.9]]);
  });

  it('refuses an alpha outside [0, 1), naming the field', () => {
    expect(() => rmsprop({ lr: 0.01, alpha: 1 })).toThrow(/optimizer rmsprop: "alpha" must be in \[0, 1\)/);
  });
});

const all: Array<[string, () => Optimizer, number]> = [
  ['sgd', () => sgd({ lr: 0.1 }), 0],
  ['momentum', () => momentum({ lr: 0.1, nesterov: true }), 1],
  ['rmsprop', () => rmsprop({ lr: 0.01 }), 2],
  ['adam', () => adam({ lr: 0.01 }), 2],
  ['adamw', () => adamw({ lr: 0.01 }), 2],
];

describe.each(all)('%s: the shared contract', (name, make, slots) => {
  const params = () => [
    tensor([
      [0.5, -1, 2],
      [0.1, 0.2, -0.3],
    ]),
    tensor([1, -1, 0.25]),
  ];
  const updates = [
    tensor([
      [1, -2, 0.5],
      [0.3, 0, -1],
    ]),
    tensor([0.2, -0.4, 0.6]),
  ];

  it(`creates ${slots} state slot(s) per parameter under the 'optimizer' ledger category`, () => {
    const before = ledger().liveBytes().optimizer;
    const opt = make();
    expect(opt.name).toBe(name);
    const state = ledger().withCategory('param', () => opt.init(params()));
    // 9 float32 elements per slot; created as 'optimizer' even inside another category.
    expect(ledger().liveBytes().optimizer - before).toBe(slots * 9 * 4);
    expect(Object.keys(state.slots).length).toBe(slots);
    releaseState(state);
    expect(ledger().liveBytes().optimizer).toBe(before);
  });

  it('streaming with updateOne gives exactly the eager result', () => {
    const opt = make();
    const [pa, pb] = [params(), params()];
    const [sa, sb] = [opt.init(pa), opt.init(pb)];
    for (let step = 0; step < 3; step++) {
      opt.update(pa, updates, sa, step);
      pb.forEach((p, i) => opt.updateOne(i, p, updates[i], sb, step));
    }
    expect(pb.map((p) => p.toArray())).toEqual(pa.map((p) => p.toArray()));
    expect(pa[0].toArray()).not.toEqual(params()[0].toArray());
  });

  it('allocates no tensors per step and leaves the updates untouched', () => {
    const opt = make();
    const p = params();
    const state = opt.init(p);
    const before = updates.map((u) => u.toArray());
    opt.update(p, updates, state, 0); // warm
    const first = empty([1]).id;
    for (let step = 1; step < 20; step++) opt.update(p, updates, state, step);
    expect(empty([1]).id).toBe(first + 1);
    expect(updates.map((u) => u.toArray())).toEqual(before);
  });

  it('rejects mismatched updates naming the optimizer', () => {
    const opt = make();
    const p = params();
    const state = opt.init(p);
    expect(() => opt.update(p, [updates[0]], state, 0)).toThrow(ShapeError);
    expect(() => opt.update(p, [updates[1], updates[0]], state, 0)).toThrow(new RegExp(`optimizer ${name}: update 0`));
    if (slots > 0) expect(() => opt.updateOne(2, new Tensor(new Float32Array(2), [2]), tensor([1, 1]), state, 0)).toThrow(/state slot/);
  });
});

describe('streaming a parameter in ranges', () => {
  it('updateRange over any split equals updateOne, bit for bit, with its state', async () => {
    const { adam, momentum: mom, fromArray, rng: seeded } = await import('../../src/index.ts');
    for (const make of [() => adam({ lr: 0.01 }), () => mom({ lr: 0.1, momentum: 0.9, nesterov: true })]) {
      const r = seeded('ranges');
      const init = Array.from({ length: 37 }, () => r.normal());
      const whole = [fromArray(init, [37])];
      const split = [fromArray(init, [37])];
      const a = make();
      const b = make();
      const sa = a.init(whole);
      const sb = b.init(split);
      for (let step = 0; step < 3; step++) {
        const u = Array.from({ length: 37 }, () => r.normal());
        a.updateOne(0, whole[0], fromArray(u, [37]), sa, step);
        for (const [off, len] of [
          [0, 10],
          [10, 1],
          [11, 26],
        ])
          b.updateRange(0, split[0], fromArray(u.slice(off, off + len), [len]), off, sb, step);
      }
      expect(Array.from(split[0].data)).toEqual(Array.from(whole[0].data));
      expect(() => b.updateRange(0, split[0], fromArray([1, 2], [2]), 36, sb, 3)).toThrow(/offset 36/);
    }
  });
});

describe('one implementation, every backend: the chains against plain float64 loops', () => {
  // PyTorch's update rules written out element by element (clamp, L2 or decoupled decay, the
  // method, the rate), in the order the chains compose them: the kernel must agree bit for bit.
  type Plain = (p: Float32Array, u: Float32Array, s: Float32Array[], step: number) => void;
  const clamp = (x: number, c: number) => (x > c ? c : x < -c ? -c : x);
  const cases: Array<[string, () => Optimizer, number, Plain]> = [
    [
      'sgd + clipValue + L2',
      () => sgd({ lr: 0.1, weightDecay: 0.01, clipValue: 0.5 }),
      0,
      (p, u) => {
        for (let i = 0; i < p.length; i++) p[i] = p[i] + (clamp(u[i], 0.5) + 0.01 * p[i]) * -0.1;
      },
    ],
    [
      'nesterov momentum + L2',
      () => momentum({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }),
      1,
      (p, u, [v]) => {
        for (let i = 0; i < p.length; i++) {
          const g = u[i] + 1e-3 * p[i];
          const vi = 0.9 * v[i] + g;
          v[i] = vi;
          p[i] = p[i] + (g + 0.9 * vi) * -0.05;
        }
      },
    ],
    [
      'adam + L2 + clipValue',
      () => adam({ lr: 1e-3, weightDecay: 0.01, clipValue: 1 }),
      2,
      (p, u, [m, v], step) => {
        const bc1 = 1 - 0.9 ** (step + 1),
          bc2 = 1 - 0.999 ** (step + 1);
        for (let i = 0; i < p.length; i++) {
          const g = clamp(u[i], 1) + 0.01 * p[i];
          const mi = 0.9 * m[i] + (1 - 0.9) * g;
          const vi = 0.999 * v[i] + (1 - 0.999) * g * g;
          m[i] = mi;
          v[i] = vi;
          p[i] = p[i] + (mi / bc1 / (Math.sqrt(vi / bc2) + 1e-8)) * -1e-3;
        }
      },
    ],
    [
      'adamw',
      () => adamw({ lr: 1e-3, weightDecay: 0.05 }),
      2,
      (p, u, [m, v], step) => {
        const bc1 = 1 - 0.9 ** (step + 1),
          bc2 = 1 - 0.999 ** (step + 1);
        for (let i = 0; i < p.length; i++) {
          const mi = 0.9 * m[i] + (1 - 0.9) * u[i];
          const vi = 0.999 * v[i] + (1 - 0.999) * u[i] * u[i];
          m[i] = mi;
          v[i] = vi;
          p[i] = p[i] + (mi / bc1 / (Math.sqrt(vi / bc2) + 1e-8) + 0.05 * p[i]) * -1e-3;
        }
      },
    ],
  ];

  it.each(cases)('%s: eager, streamed and ranged paths equal the plain loop exactly', async (_name, make, nSlots, plain) => {
    const { rng: seeded } = await import('../../src/index.ts');
    const r = seeded(`plain-${_name}`);
    const n = 1031; // odd: SIMD body and scalar tail
    const init = Float32Array.from({ length: n }, () => r.normal());
    const steps = Array.from({ length: 4 }, () => Float32Array.from({ length: n }, () => 2 * r.normal()));
    const want = Float32Array.from(init);
    const slots = Array.from({ length: nSlots }, () => new Float32Array(n));
    steps.forEach((u, step) => plain(want, u, slots, step));
    for (const path of ['update', 'updateOne', 'updateRange'] as const) {
      const opt = make();
      const p = fromArray(init, [n]);
      const st = opt.init([p]);
      steps.forEach((u0, step) => {
        const u = fromArray(u0, [n]);
        if (path === 'update') opt.update([p], [u], st, step);
        else if (path === 'updateOne') opt.updateOne(0, p, u, st, step);
        else
          for (const [off, len] of [
            [0, 300],
            [300, 1],
            [301, 730],
          ])
            opt.updateRange(0, p, fromArray(u0.subarray(off, off + len), [len]), off, st, step);
      });
      expect(Array.from(p.data), `${path}`).toEqual(Array.from(want));
      const stSlots = Object.values(st.slots).map((t) => Array.from(t[0].data));
      expect(stSlots, `${path} state`).toEqual(slots.map((s) => Array.from(s)));
    }
  });
});
