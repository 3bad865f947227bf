// The dropout layer kind (inverted dropout; masks from the step's stream).
import { SpecError } from '../../errors.ts';
import { field, show } from '../../fields.ts';
import { dropoutModule } from '../dropout.ts';
import { defineLayer } from '../layer-kind.ts';

export const dropoutLayer = defineLayer({
  type: 'dropout',
  fields: {
    /** Probability of dropping a unit in training. */
    p: field<number>((v, at) => {
      if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new SpecError(`${at}: expected a probability in [0, 1), got ${show(v)}`);
      return v;
    }),
  },
  build: ({ p }, { path, inShape }) => dropoutModule(path, inShape, p),
});

declare module '../layer-kind.ts' {
  interface LayerKinds {
    dropout: typeof dropoutLayer;
  }
}
