// The layer and preset registries: a user's kind is built like a built-in (its fields checked and
// named by path, listed among the accepted types), names are taken once, and a malformed
// definition is refused saying what is wrong.
import { describe, expect, it } from 'vitest';
import {
  buildModel,
  buildNetwork,
  defineLayer,
  definePreset,
  fromArray,
  layerFields,
  listLayers,
  listPresets,
  optional,
  registerLayer,
  registerPreset,
  rng,
  SpecError,
  type LayerSpec,
} from '../../src/index.ts';
import { leaf } from '../../src/nn/module.ts';
import { mul } from '../../src/autograd/ops.ts';

/** y = scale · x, one learnable scale per feature. */
const scaleLayer = defineLayer({
  type: 'scale',
  fields: { init: optional(layerFields.positive(), 1), frozen: optional(layerFields.bool) },
  build({ init }, { path, inShape, builder }) {
    const scale = builder.param(`${path}.scale`, [inShape[inShape.length - 1]], { kind: 'constant', value: init });
    return leaf({ kind: 'scale', path, inShape, outShape: inShape, params: { scale }, apply: (x, ctx) => mul(x, ctx.params[scale.index]) });
  },
});

describe('layer registry', () => {
  it('builds a registered kind in a spec, its parameters in build order, and lists it among the accepted types', () => {
    expect(registerLayer(scaleLayer)).toBe(scaleLayer);
    expect(listLayers().map((k) => k.type)).toContain('scale');
    const layers = [
      { type: 'dense', units: 3, name: 'fc' },
      { type: 'scale', init: 2, name: 's' },
    ] as unknown as LayerSpec[];
    const model = buildNetwork(layers, [4]);
    expect(model.paramNames).toEqual(['fc.weight', 'fc.bias', 's.scale']);
    const params = model.init(rng(0));
    expect(Array.from(params[2].data)).toEqual([2, 2, 2]);
    const x = fromArray([1, 0, 0, 0], [1, 4]);
    const plain = buildNetwork([{ type: 'dense', units: 3, name: 'fc' }], [4]).forward(params.slice(0, 2), x);
    expect(Array.from(model.forward(params, x).data)).toEqual(Array.from(plain.data).map((v) => Math.fround(2 * v)));
    expect(() => buildNetwork([{ type: 'nope' }] as never, [4])).toThrow(
      /^layers\[0\]\.type: unknown layer type "nope"; accepted: dense, .*, rnn, scale$/,
    );
  });

  it("checks a registered kind's fields and keys, naming the field path", () => {
    registerLayer(scaleLayer);
    const build = (l: unknown) => () => buildModel({ layers: [l] } as never, { sampleShape: [4], outputs: 4 });
    expect(build({ type: 'scale', init: -1 })).toThrow(/^model\.layers\[0\]\.init: expected a number in \(0, Infinity\), got -1$/);
    expect(build({ type: 'scale', frozen: 'yes' })).toThrow(/^model\.layers\[0\]\.frozen: expected a boolean, got "yes"$/);
    expect(build({ type: 'scale', sclae: 2 })).toThrow(
      /^model\.layers\[0\]\.sclae: unknown key for a scale layer; accepted: name, init, frozen$/,
    );
    expect(build({ type: 'scale', name: 'ok' })).not.toThrow();
  });

  it("takes a name once: a built-in's or another kind's name is refused, the same kind again is a no-op", () => {
    registerLayer(scaleLayer);
    expect(() => registerLayer(scaleLayer)).not.toThrow();
    const mine = defineLayer({ ...scaleLayer });
    expect(() => registerLayer(mine)).toThrow(SpecError);
    expect(() => registerLayer(mine)).toThrow(
      /^registerLayer: a layer type named "scale" is already registered \(a built-in\?\); give yours its own name$/,
    );
    expect(() => registerLayer(defineLayer({ ...scaleLayer, type: 'dense' }))).toThrow(/layer type named "dense" is already registered/);
  });

  it('refuses a malformed kind, saying what is wrong', () => {
    expect(() => registerLayer({ type: 'bad kind', fields: {}, build: () => null } as never)).toThrow(
      /^registerLayer: not a layer type definition \(type must be a name of letters/,
    );
    expect(() => registerLayer({ type: 'bad', fields: { units: 3 } } as never)).toThrow(
      /fields must map keys to fields.*build must be a function/,
    );
    expect(() => registerLayer({ type: 'bad', fields: { name: layerFields.int(1) }, build: () => null } as never)).toThrow(
      /fields must not redefine "name"/,
    );
    expect(listLayers().map((k) => k.type)).not.toContain('bad');
  });
});

describe('preset registry', () => {
  /** An MLP of `depth` hidden tanh layers of `width`. */
  const tower = definePreset({
    name: 'tower',
    fields: { width: optional(layerFields.int(1), 8), depth: optional(layerFields.int(1), 2) },
    layers: ({ width, depth }, { outputs }): LayerSpec[] => [
      ...Array.from({ length: depth }, (_, i): LayerSpec[] => [
        { type: 'dense', units: width, name: `fc${i}` },
        { type: 'activation', fn: 'tanh', name: `act${i}` },
      ]).flat(),
      { type: 'dense', units: outputs, name: 'out' },
    ],
  });

  it('builds a registered preset against the data, checks its fields, and takes its name once', () => {
    registerPreset(tower);
    expect(listPresets().map((p) => p.name)).toEqual(['lenet5', 'resnet', 'transformer', 'rnn', 'tower']);
    const model = buildModel({ preset: 'tower', depth: 3, width: 5 } as never, { sampleShape: [4], outputs: 2 });
    expect(model.paramNames).toEqual([
      'fc0.weight',
      'fc0.bias',
      'fc1.weight',
      'fc1.bias',
      'fc2.weight',
      'fc2.bias',
      'out.weight',
      'out.bias',
    ]);
    expect(model.paramShapes()[6]).toEqual([2, 5]);
    expect(() => buildModel({ preset: 'tower', depth: 0 } as never, { sampleShape: [4], outputs: 2 })).toThrow(
      /^model\.depth: expected an integer ≥ 1, got 0$/,
    );
    expect(() => buildModel({ preset: 'tower', height: 2 } as never, { sampleShape: [4], outputs: 2 })).toThrow(
      /^model\.height: unknown key for preset tower; accepted: width, depth, init$/,
    );
    expect(() => buildModel({ preset: 'towr' } as never, { sampleShape: [4], outputs: 2 })).toThrow(
      /^model\.preset: unknown preset "towr"; accepted: lenet5, resnet, transformer, rnn, tower$/,
    );
    expect(() => registerPreset(definePreset({ ...tower, name: 'lenet5' }))).toThrow(
      /^registerPreset: a preset named "lenet5" is already registered/,
    );
    expect(() => registerPreset({ name: 'x', fields: { init: layerFields.bool }, layers: () => [] } as never)).toThrow(
      /fields must not redefine "init"/,
    );
  });
});

it('LayerSpec is derived from the kinds: built-in specs type-check (tsc) and build, wrong keys do neither', () => {
  const ok: LayerSpec[] = [
    { type: 'conv2d', channels: 2, kernel: [3, 3], padding: 1 },
    'relu',
    { type: 'residual', layers: [{ type: 'conv2d', channels: 2, kernel: 3, padding: 1 }] },
    'flatten',
    { type: 'dense', units: 2 },
  ];
  expect(buildNetwork(ok, [1, 4, 4]).outputShape).toEqual([2]);
  // @ts-expect-error a key the dense kind does not have
  const typo: LayerSpec = { type: 'dense', unit: 2 };
  // @ts-expect-error nested layers are checked too
  const nested: LayerSpec = { type: 'sequential', layers: [{ type: 'dense', units: '2' }] };
  expect(() => buildNetwork([typo], [4])).toThrow(/^layers\[0\]\.unit: unknown key for a dense layer/);
  expect(() => buildNetwork([nested], [4])).toThrow(/^layers\[0\]\.layers\[0\]\.units: expected an integer ≥ 1, got "2"$/);
});
