// LeNet-5 as BioTorch builds it for 32×32 inputs: conv 6@5×5, act, pool 2, conv 16@5×5, act,
// pool 2, dense 120, act, dense 84, act, dense classes.
import { optional } from '../../fields.ts';
import type { LayerSpec } from '../layer-kind.ts';
import { oneOf, text } from '../layer-checks.ts';
import { definePreset, type PresetSpecOf } from '../preset-kind.ts';

export const lenet5Preset = definePreset({
  name: 'lenet5',
  fields: {
    /** Hidden activation (default relu). */
    activation: optional(text('an activation name'), 'relu'),
    pool: optional(oneOf(['max', 'avg']), 'max'),
    /**
     * The 120-unit layer: 'dense' (default), or 'conv' — a 5×5 convolution over the 16 5×5 maps, as
     * LeCun's C5 and BioTorch's LeNetMNIST build it. Same function; the init fans differ (PyTorch
     * counts a kernel's receptive field), so Xavier draws it, and BioTorch scales uSF's feedback, smaller.
     */
    c5: optional(oneOf(['dense', 'conv']), 'dense'),
  },
  layers({ activation: act, pool: p, c5 }, { outputs: classes }) {
    const pool = p === 'avg' ? 'avgPool2d' : 'maxPool2d';
    const features: LayerSpec[] = [
      { type: 'conv2d', channels: 6, kernel: 5, name: 'conv1' },
      { type: 'activation', fn: act, name: 'act1' },
      { type: pool, kernel: 2, name: 'pool1' },
      { type: 'conv2d', channels: 16, kernel: 5, name: 'conv2' },
      { type: 'activation', fn: act, name: 'act2' },
      { type: pool, kernel: 2, name: 'pool2' },
    ];
    if (c5 === 'conv') {
      return [
        ...features,
        { type: 'conv2d', channels: 120, kernel: 5, name: 'conv3' },
        { type: 'activation', fn: act, name: 'act3' },
        { type: 'flatten', name: 'flatten' },
        { type: 'dense', units: 84, name: 'fc1' },
        { type: 'activation', fn: act, name: 'act4' },
        { type: 'dense', units: classes, name: 'fc2' },
      ];
    }
    return [
      ...features,
      { type: 'flatten', name: 'flatten' },
      { type: 'dense', units: 120, name: 'fc1' },
      { type: 'activation', fn: act, name: 'act3' },
      { type: 'dense', units: 84, name: 'fc2' },
      { type: 'activation', fn: act, name: 'act4' },
      { type: 'dense', units: classes, name: 'fc3' },
    ];
  },
});

export type LeNetSpec = PresetSpecOf<typeof lenet5Preset>;
