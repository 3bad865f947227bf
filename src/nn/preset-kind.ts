// Presets: one definition per named model carries its spec fields (errors name model.<key>) and
// the layer list it expands to. presets.ts holds the registry; a user registers their own alike.
import type { Fields, Parsed, SpecOf } from '../fields.ts';
import type { LayerSpec } from './layer-kind.ts';

/** What a preset is built for: the outputs per sample (classes, targets, or a vocabulary). */
export interface PresetData {
  readonly outputs: number;
}

export interface Preset<N extends string = string, F extends Fields = Fields> {
  /** The spec's `preset`. */
  readonly name: N;
  /** The spec's keys besides preset and init, each checked before `layers` runs. */
  readonly fields: F;
  /** The layer list (checks across fields throw SpecErrors naming model.<key>). */
  layers(spec: Parsed<F>, data: PresetData): LayerSpec[];
}

/** A preset with its spec and field types inferred (register it with registerPreset to use it in specs). */
export function definePreset<const N extends string, F extends Fields>(preset: Preset<N, F>): Preset<N, F> {
  return preset;
}

/** The model spec a preset accepts. */
export type PresetSpecOf<P> = P extends Preset<infer N, infer F> ? { preset: N; init?: string } & SpecOf<F> : never;
