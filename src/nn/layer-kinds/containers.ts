// Container layer kinds: a sequence of layers, and a residual block (body(x) + shortcut(x)).
import { SpecError } from '../../errors.ts';
import { anything, optional } from '../../fields.ts';
import { conv } from '../layers.ts';
import { childPath } from '../module.ts';
import { batchNormModule } from '../norm.ts';
import { residual, sequential, zeroPadStrides } from '../sequential.ts';
import { defineLayer, layerList } from '../layer-kind.ts';
import { needImage, oneOf } from '../layer-checks.ts';

export const sequentialLayer = defineLayer({
  type: 'sequential',
  fields: { layers: layerList },
  build: ({ layers }, ctx) => sequential(ctx.path, ctx.layers(layers, `${ctx.field}.layers`, ctx.path, ctx.inShape), ctx.inShape),
});

export const residualLayer = defineLayer({
  type: 'residual',
  fields: {
    /** The body. */
    layers: layerList,
    /** identity (zero-padded, He et al.'s option A, where shapes change) or projection (1×1 conv + batch norm, option B). */
    shortcut: optional(oneOf(['identity', 'projection']), 'identity'),
    /** Applied after the sum. */
    activation: optional(anything<string>()),
  },
  build({ layers, shortcut, activation }, { field, path, inShape, builder: b, ...ctx }) {
    const body = ctx.layers(layers, `${field}.layers`, path, inShape);
    const out = body[body.length - 1].outShape;
    const same = out.length === inShape.length && out.every((d, i) => d === inShape[i]);
    const after =
      activation === undefined
        ? null
        : ctx.layer({ type: 'activation', fn: activation }, `${field}.activation`, childPath(path, 'act'), out);
    if (shortcut === 'projection' && !same) {
      needImage(field, 'a projection shortcut', inShape);
      const stride: [number, number] = [Math.round(inShape[1] / out[1]), Math.round(inShape[2] / out[2])];
      const sp = childPath(path, 'shortcut');
      const proj = conv(childPath(sp, 'conv'), inShape, out[0], b, { kernel: 1, stride, bias: false });
      if (proj.outShape.some((d, i) => d !== out[i]))
        throw new SpecError(
          `${field}: the body maps [${inShape.join(', ')}] to [${out.join(', ')}]; a projection shortcut (a 1×1 convolution with a whole stride) reaches [${proj.outShape.join(', ')}], not the body's shape`,
        );
      return residual(path, body, sequential(sp, [proj, batchNormModule(childPath(sp, 'bn'), proj.outShape, b)], inShape), after);
    }
    if (!same && !zeroPadStrides(inShape, out)) {
      throw new SpecError(
        `${field}: the body maps [${inShape.join(', ')}] to [${out.join(', ')}]; an identity shortcut needs equal shapes (or, as He et al.'s option A, images with at least as many output channels and each side the input's divided by a whole stride, rounded up)`,
      );
    }
    return residual(path, body, null, after);
  },
});

declare module '../layer-kind.ts' {
  interface LayerKinds {
    sequential: typeof sequentialLayer;
    residual: typeof residualLayer;
  }
}
