// The embedding layer kind: token ids [T] → vectors [T, dim] (plus learned positions).
import { SpecError } from '../../errors.ts';
import { optional } from '../../fields.ts';
import { embedding } from '../embedding.ts';
import { defineLayer } from '../layer-kind.ts';
import { bool, initName, int } from '../layer-checks.ts';

export const embeddingLayer = defineLayer({
  type: 'embedding',
  fields: {
    dim: int(1),
    /** Table rows; default: the task's classes (next-token prediction). */
    vocab: optional(int(1)),
    /** A learned vector per position (default true). */
    positions: optional(bool),
    init: optional(initName),
  },
  build({ dim, vocab, positions, init }, { field, path, inShape, builder: b }) {
    if (inShape.length !== 1)
      throw new SpecError(`${field}: an embedding reads token ids [T] per sample, but its input is [${inShape.join(', ')}]`);
    const rows = vocab ?? b.classes;
    if (rows === undefined) throw new SpecError(`${field}.vocab: needed here (no task classes to take it from)`);
    const e = embedding(path, inShape, b, { vocab: rows, dim, positions, init });
    b.embeddings?.set(path, e.table);
    return e;
  },
});

declare module '../layer-kind.ts' {
  interface LayerKinds {
    embedding: typeof embeddingLayer;
  }
}
