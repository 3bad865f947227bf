// Weight initialization schemes drawn from a seeded Rng. Weights are stored [fanOut, fanIn]
// (PyTorch layout: a layer computes x·Wᵀ + b).
import { SpecError } from '../errors.ts';
import type { Rng } from '../random.ts';
import { normal, uniform, zeros as zeroTensor, type Tensor } from '../tensor/tensor.ts';

export type WeightShape = readonly [fanOut: number, fanIn: number];
export type InitFn = (shape: WeightShape, rng: Rng) => Tensor;

export interface InitOptions {
  /** Multiplies the standard deviation (Xavier default 1, He default √2 as for ReLU). */
  gain?: number;
}

/** [fanOut, fanIn], checked: a zero fan would silently give NaN/Inf bounds. */
function fans(shape: WeightShape, name: string): [number, number] {
  if (shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new SpecError(`init ${name}: shape must be [fanOut, fanIn] with positive integers, got [${shape.join(', ')}]`);
  }
  return [shape[0], shape[1]];
}

/** Glorot: Var(W) = gain² · 2 / (fanIn + fanOut), uniform on ±gain·√(6 / (fanIn + fanOut)). */
export const xavierUniform = (shape: WeightShape, rng: Rng, { gain = 1 }: InitOptions = {}): Tensor => {
  const [fanOut, fanIn] = fans(shape, 'xavierUniform');
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(shape, -a, a, rng);
};

export const xavierNormal = (shape: WeightShape, rng: Rng, { gain = 1 }: InitOptions = {}): Tensor => {
  const [fanOut, fanIn] = fans(shape, 'xavierNormal');
  return normal(shape, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), rng);
};

/** Kaiming (fan_in mode): Var(W) = gain² / fanIn, so ReLU layers keep their activation scale. */
export const heUniform = (shape: WeightShape, rng: Rng, { gain = Math.SQRT2 }: InitOptions = {}): Tensor => {
  const a = gain * Math.sqrt(3 / fans(shape, 'heUniform')[1]);
  return uniform(shape, -a, a, rng);
};

export const heNormal = (shape: WeightShape, rng: Rng, { gain = Math.SQRT2 }: InitOptions = {}): Tensor =>
  normal(shape, 0, gain / Math.sqrt(fans(shape, 'heNormal')[1]), rng);

/** All zeros; takes the rng only to share the InitFn signature (it draws nothing). Named so it
 * does not clash with the tensor constructor `zeros`. */
export const zerosInit = (shape: WeightShape, _rng?: Rng): Tensor => zeroTensor(fans(shape, 'zeros'));

const INITS = { xavierUniform, xavierNormal, heUniform, heNormal, zeros: zerosInit } as const;
export type InitName = keyof typeof INITS;
export const INIT_NAMES = Object.keys(INITS) as InitName[];

/** An init scheme by name, with options bound (e.g. a gain for tanh layers). */
export function initByName(name: string, options: InitOptions = {}): InitFn {
  if (!Object.hasOwn(INITS, name)) {
    throw new SpecError(`init: unknown scheme "${name}"; accepted: ${INIT_NAMES.join(', ')}`);
  }
  if (options.gain !== undefined && !(Number.isFinite(options.gain) && options.gain >= 0)) {
    throw new SpecError(`init ${name}: gain must be a non-negative number, got ${options.gain}`);
  }
  const f = INITS[name as InitName];
  return (shape, rng) => f(shape, rng, options);
}
