// The activation layer kind: a built-in name or an expression in x (a bare string in a layer
// list means the same).
import { SpecError } from '../../errors.ts';
import { activationModule, ACTIVATION_NAMES, resolveActivation } from '../activations.ts';
import { defineLayer } from '../layer-kind.ts';
import { text } from '../layer-checks.ts';

export const activationLayer = defineLayer({
  type: 'activation',
  fields: {
    /** A built-in name or an expression in x, e.g. "x * sigmoid(x)". */
    fn: text('an activation name or expression in x'),
  },
  build({ fn }, { field, path, inShape }) {
    try {
      return activationModule(path, inShape, resolveActivation(fn));
    } catch (e) {
      throw new SpecError(`${field}: ${(e as Error).message} (names: ${ACTIVATION_NAMES.join(', ')})`);
    }
  },
});

declare module '../layer-kind.ts' {
  interface LayerKinds {
    activation: typeof activationLayer;
  }
}
