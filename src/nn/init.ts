// Weight initialization schemes drawn from a seeded Rng. Weights are stored [fanOut, fanIn]
// (PyTorch layout: a layer computes x·Wᵀ + b) or, for convolutions, [out, in, kh, kw], whose
// fans count the receptive field as PyTorch does (fanIn = in·kh·kw, fanOut = out·kh·kw).
import { SpecError } from '../errors.ts';
import type { Rng } from '../random.ts';
import { normal, uniform, zeros as zeroTensor, type Tensor } from '../tensor/tensor.ts';

export type WeightShape = readonly number[];
export type InitFn = (shape: WeightShape, rng: Rng) => Tensor;

export interface InitOptions {
  /** Multiplies the standard deviation (Xavier default 1, He default √2 as for ReLU). */
  gain?: number;
}

/** [fanOut, fanIn], checked: a zero fan would silently give NaN/Inf bounds. */
export function fans(shape: WeightShape, name = 'init'): [number, number] {
  if (shape.length < 2 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new SpecError(
      `init ${name}: shape must be [fanOut, fanIn] (or [out, in, ...kernel]) with positive integers, got [${shape.join(', ')}]`,
    );
  }
  const field = shape.slice(2).reduce((a, b) => a * b, 1);
  return [shape[0] * field, shape[1] * field];
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
export const zerosInit = (shape: WeightShape, _rng?: Rng): Tensor => {
  fans(shape, 'zeros');
  return zeroTensor(shape);
};

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

/** The standard deviation a scheme gives a weight of this shape (BioTorch scales sign feedback by it). */
export function initStd(name: string, shape: WeightShape, { gain }: InitOptions = {}): number {
  initByName(name);
  const [fanOut, fanIn] = fans(shape, name);
  if (name === 'xavierUniform' || name === 'xavierNormal') return (gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
  if (name === 'heUniform' || name === 'heNormal') return (gain ?? Math.SQRT2) / Math.sqrt(fanIn);
  return 0;
}
