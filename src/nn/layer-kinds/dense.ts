// The dense layer kind: over the flattened sample, or positionwise over a sequence's last axis;
// optionally tied to an embedding's table (an LM head).
import { SpecError } from '../../errors.ts';
import { optional, show } from '../../fields.ts';
import { dense } from '../layers.ts';
import { defineLayer } from '../layer-kind.ts';
import { bool, initName, int, intAt, text } from '../layer-checks.ts';

export const denseLayer = defineLayer({
  type: 'dense',
  fields: {
    /** Outputs per sample (per position when positionwise); a tied layer takes its table's rows. */
    units: optional(int(1)),
    bias: optional(bool),
    init: optional(initName),
    /** Map the last axis at every position ([T, in] → [T, units]). */
    positionwise: optional(bool),
    /** The path of an embedding built before this layer, whose table [vocab, dim] is the weight. */
    tie: optional(text('the path of an embedding layer')),
  },
  build(spec, { field, path, inShape, builder: b }) {
    const { positionwise, bias } = spec;
    if (spec.tie === undefined)
      return dense(path, inShape, spec.units ?? intAt(`${field}.units`, undefined, 1), b, { bias, init: spec.init, positionwise });
    const table = b.tieable?.(spec.tie);
    if (!table)
      throw new SpecError(
        `${field}.tie: expected the path of an embedding layer built before this one, got ${show(spec.tie)}${b.tieable ? '' : ' (this builder keeps no embeddings)'}`,
      );
    const inWidth = positionwise ? inShape[inShape.length - 1] : inShape.reduce((x, y) => x * y, 1);
    const [vocab, dim] = table.shape;
    if (spec.units !== undefined && spec.units !== vocab)
      throw new SpecError(`${field}.units: a layer tied to "${spec.tie}" has its ${vocab} rows as units, got ${show(spec.units)}`);
    if (inWidth !== dim)
      throw new SpecError(`${field}.tie: the embedding "${spec.tie}" has width ${dim}, but this layer's input is ${inWidth} wide`);
    if (spec.init !== undefined) throw new SpecError(`${field}.init: a tied layer has no weight of its own to initialize`);
    return dense(path, inShape, vocab, b, { bias, positionwise, tiedWeight: table });
  },
});

declare module '../layer-kind.ts' {
  interface LayerKinds {
    dense: typeof denseLayer;
  }
}
