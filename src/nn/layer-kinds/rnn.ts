// The recurrent layer kind: an Elman RNN or a GRU over [T, features], returning every step's
// hidden state [T, hidden].
import { SpecError } from '../../errors.ts';
import { optional } from '../../fields.ts';
import { CELLS, recurrent } from '../recurrent.ts';
import { defineLayer } from '../layer-kind.ts';
import { activationFn, initName, int, oneOf } from '../layer-checks.ts';

export const rnnLayer = defineLayer({
  type: 'rnn',
  fields: {
    cell: oneOf(CELLS, `one of ${CELLS.join(', ')}`),
    hidden: int(1),
    /** Elman only (default tanh). */
    activation: optional(activationFn),
    init: optional(initName),
  },
  build({ cell, hidden, activation, init }, { field, path, inShape, builder }) {
    if (inShape.length !== 2)
      throw new SpecError(
        `${field}: an rnn reads a sequence [T, features] per sample (e.g. after an embedding), but its input is [${inShape.join(', ')}]`,
      );
    if (activation !== undefined && cell !== 'elman')
      throw new SpecError(`${field}.activation: only an elman cell takes an activation (a GRU's are its gates)`);
    return recurrent(path, inShape, builder, { cell, hidden, activation, init });
  },
});

declare module '../layer-kind.ts' {
  interface LayerKinds {
    rnn: typeof rnnLayer;
  }
}
