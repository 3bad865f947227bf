// In-place arithmetic on a tensor's storage, outside the tape: for a rule's own iterates (a
// relaxation's value nodes and their velocity), which are updated many times a step and are not
// differentiated through. One backend kernel call instead of a per-element JS loop.
import { ShapeError } from '../errors.ts';
import { backend } from '../kernels/index.ts';
import type { Tensor } from './tensor.ts';

/**
 * y ← a·y + b·x elementwise, in place (the backend's axpby): each element in f64 and rounded once
 * into y's storage, as the JS loop `y[k] = a * y[k] + b * x[k]` rounds it. Not recorded on the tape.
 */
export function axpbyInPlace(y: Tensor, a: number, x: Tensor, b: number): Tensor {
  if (x.size !== y.size) throw new ShapeError(`axpbyInPlace: x has ${x.size} elements, y has ${y.size}`);
  y.touch();
  backend().axpby(y.buf, a, x.buf, b, y.buf);
  return y;
}
