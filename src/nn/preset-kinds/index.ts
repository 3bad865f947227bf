// The built-in presets, in the order errors and `rulebench list` name them.
import { transformerPreset, rnnPreset } from './language-models.ts';
import { lenet5Preset } from './lenet5.ts';
import { resnetPreset } from './resnet.ts';

export const BUILTIN_PRESETS = [lenet5Preset, resnetPreset, transformerPreset, rnnPreset] as const;
