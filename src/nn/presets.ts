// Model specs: the MLP shorthand ({ sizes }), explicit layer lists ({ layers }) and presets
// ({ preset }), the registry of presets (the built-ins: LeNet-5, ResNet, a transformer and a
// recurrent LM; a user registers their own alike), and the MLP shorthand's layer list.
import { SpecError } from '../errors.ts';
import { field, optional, show, type Fields, type SpecOf } from '../fields.ts';
import { Registry } from '../registry.ts';
import { resolveActivation } from './activations.ts';
import { initByName } from './init.ts';
import { layerList, type LayerSpec } from './layer-kind.ts';
import { bool } from './layer-checks.ts';
import { BUILTIN_PRESETS } from './preset-kinds/index.ts';
import type { Preset, PresetSpecOf } from './preset-kind.ts';

export type { LeNetSpec } from './preset-kinds/lenet5.ts';
export type { ResNetSpec } from './preset-kinds/resnet.ts';
export type { RecurrentSpec, TransformerSpec } from './preset-kinds/language-models.ts';

/** A model's default weight scheme (biases start at zero). */
export const modelInit = optional(
  field<string>((v, at) => {
    if (typeof v !== 'string') throw new SpecError(`${at}: expected a scheme name, got ${show(v)}`);
    try {
      initByName(v);
    } catch (e) {
      throw new SpecError(`${at}: ${(e as Error).message}`);
    }
    return v;
  }),
  'heUniform',
);

export const MLP_FIELDS = {
  /** Layer widths, input first, output last, e.g. [784, 256, 256, 10]. */
  sizes: field<number[]>((v, at) => {
    if (!Array.isArray(v) || v.length < 2)
      throw new SpecError(`${at}: expected at least two layer widths (input … output), got ${show(v)}`);
    // An index loop: forEach would skip the holes of a sparse array like [4, , 3].
    for (let i = 0; i < v.length; i++) {
      if (!Number.isInteger(v[i]) || v[i] < 1 || v[i] > 1e6)
        throw new SpecError(`${at}[${i}]: expected a positive integer, got ${show(v[i])}`);
    }
    return v;
  }),
  /** Hidden activation: a built-in name or an expression in x such as "x * sigmoid(x)" (default relu). */
  activation: optional(
    field<string>((v, at) => {
      if (typeof v !== 'string') throw new SpecError(`${at}: expected a string, got ${show(v)}`);
      try {
        resolveActivation(v);
      } catch (e) {
        throw new SpecError(`${at}: ${(e as Error).message}`);
      }
      return v;
    }),
  ),
  init: modelInit,
  /** LayerNorm after each hidden linear map. */
  layerNorm: optional(bool),
  /** Dropout probability after each hidden activation (training only). */
  dropout: optional(
    field<number>((v, at) => {
      if (!(typeof v === 'number' && v >= 0 && v < 1)) throw new SpecError(`${at}: expected a probability in [0, 1), got ${show(v)}`);
      return v;
    }),
  ),
  /** Dropout probability on the input itself, before the first layer (training only). */
  inputDropout: optional(
    field<number>((v, at) => {
      if (!(typeof v === 'number' && v >= 0 && v < 1)) throw new SpecError(`${at}: expected a probability in [0, 1), got ${show(v)}`);
      return v;
    }),
  ),
  /** Hidden blocks whose width is unchanged add their input. */
  residual: optional(bool),
};

export const LAYERS_FIELDS = { layers: layerList, init: modelInit };

export type MlpSpec = SpecOf<typeof MLP_FIELDS>;
export type LayersSpec = SpecOf<typeof LAYERS_FIELDS>;
/** A preset's spec, for the built-in presets. */
export type PresetSpec = PresetSpecOf<(typeof BUILTIN_PRESETS)[number]>;
export type ModelSpec = MlpSpec | LayersSpec | PresetSpec;

const presets = new Registry<Preset>(
  'preset',
  { name: 'name', fields: 'fields', functions: ['layers'], reserved: ['preset', 'init'] },
  BUILTIN_PRESETS as unknown as Preset[],
);

/** Make a preset usable in specs by its name (returns it); call it from a spec file or a file it imports. */
export function registerPreset<const N extends string, F extends Fields>(preset: Preset<N, F>): Preset<N, F> {
  presets.register(preset, 'registerPreset');
  return preset;
}

export function getPreset(name: unknown): Preset | undefined {
  return presets.get(name);
}

/** Every registered preset, built-ins first. */
export function listPresets(): Preset[] {
  return presets.values();
}

/** The MLP shorthand as layers: [drop0], fc1, [norm1], act1, [drop1], …, fcL (blocks res<i> when residual). */
export function mlpLayers(spec: MlpSpec): LayerSpec[] {
  const { sizes } = spec;
  const act = spec.activation ?? 'relu';
  const layers: LayerSpec[] = spec.inputDropout ? [{ type: 'dropout', p: spec.inputDropout, name: 'drop0' }] : [];
  for (let i = 1; i < sizes.length - 1; i++) {
    const block: LayerSpec[] = [{ type: 'dense', units: sizes[i], name: `fc${i}` }];
    if (spec.layerNorm) block.push({ type: 'layerNorm', name: `norm${i}` });
    block.push({ type: 'activation', fn: act, name: `act${i}` });
    if (spec.dropout) block.push({ type: 'dropout', p: spec.dropout, name: `drop${i}` });
    if (spec.residual && sizes[i] === sizes[i - 1]) layers.push({ type: 'residual', name: `res${i}`, layers: block });
    else layers.push(...block);
  }
  layers.push({ type: 'dense', units: sizes[sizes.length - 1], name: `fc${sizes.length - 1}` });
  return layers;
}
