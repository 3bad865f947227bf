// He et al. 2016's CIFAR ResNet-(6n+2): a 3×3 stem, three stages of n basic blocks (width,
// 2·width, 4·width), global average pooling, dense.
import { SpecError } from '../../errors.ts';
import { field, optional, show } from '../../fields.ts';
import type { LayerSpec } from '../layer-kind.ts';
import { oneOf } from '../layer-checks.ts';
import { definePreset, type PresetSpecOf } from '../preset-kind.ts';

const integer = (ok: (v: number) => boolean, expected: string) =>
  field<number>((v, at) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || !ok(v)) throw new SpecError(`${at}: expected ${expected}, got ${show(v)}`);
    return v;
  });

export const resnetPreset = definePreset({
  name: 'resnet',
  fields: {
    /** 6n + 2: 20 (default), 32, 44, 56, 110, … */
    depth: optional(
      integer((v) => v >= 8 && (v - 2) % 6 === 0, '6n + 2 (20, 32, 44, 56, 110, …)'),
      20,
    ),
    /** Channels of the first stage (16 in the paper, the default). */
    width: optional(
      integer((v) => v >= 1 && v <= 4096, 'a positive integer'),
      16,
    ),
    /** A: identity shortcuts, zero-padded where shapes change (the paper's CIFAR choice, the default); B: 1×1 projections there. */
    shortcut: optional(oneOf(['A', 'B'], '"A" (zero-padded identity) or "B" (projection)'), 'A'),
  },
  layers({ depth, width, shortcut }, { outputs: classes }) {
    const n = (depth - 2) / 6;
    const conv = (channels: number, stride: number, name: string): LayerSpec => ({
      type: 'conv2d',
      channels,
      kernel: 3,
      stride,
      padding: 1,
      bias: false,
      name,
    });
    const layers: LayerSpec[] = [
      conv(width, 1, 'conv1'),
      { type: 'batchNorm', name: 'bn1' },
      { type: 'activation', fn: 'relu', name: 'act1' },
    ];
    for (let stage = 0; stage < 3; stage++) {
      const c = width * 2 ** stage;
      const blocks: LayerSpec[] = [];
      for (let k = 0; k < n; k++) {
        const stride = stage > 0 && k === 0 ? 2 : 1;
        blocks.push({
          type: 'residual',
          name: String(k),
          activation: 'relu',
          shortcut: shortcut === 'B' ? 'projection' : 'identity',
          layers: [
            conv(c, stride, 'conv1'),
            { type: 'batchNorm', name: 'bn1' },
            { type: 'activation', fn: 'relu', name: 'act1' },
            conv(c, 1, 'conv2'),
            { type: 'batchNorm', name: 'bn2' },
          ],
        });
      }
      layers.push({ type: 'sequential', name: `layer${stage + 1}`, layers: blocks });
    }
    layers.push({ type: 'globalAvgPool', name: 'pool' }, { type: 'dense', units: classes, name: 'fc' });
    return layers;
  },
});

export type ResNetSpec = PresetSpecOf<typeof resnetPreset>;
