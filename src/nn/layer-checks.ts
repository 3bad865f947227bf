// The checks layer kinds and presets share: spec fields whose errors read
// "model.layers[3].kernel: expected …, got …", and checks of a layer's input shape.
import { SpecError } from '../errors.ts';
import { field, show } from '../fields.ts';
import type { Shape } from '../tensor/tensor.ts';
import { resolveActivation, type Activation } from './activations.ts';
import { initByName } from './init.ts';

export type Pair = number | [number, number];

export function intAt(at: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 1e6)
    throw new SpecError(`${at}: expected an integer ≥ ${min}, got ${show(v)}`);
  return v;
}

/** An integer in [min, 1e6]. */
export const int = (min = 1) => field<number>((v, at) => intAt(at, v, min));

/** A number in (0, max). */
export const positive = (max = Infinity) =>
  field<number>((v, at) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v >= max)
      throw new SpecError(`${at}: expected a number in (0, ${max}), got ${show(v)}`);
    return v;
  });

/** A size or stride per spatial axis: n (both) or [height, width]. */
export const pair = (min: number) =>
  field<Pair, [number, number]>((v, at) => {
    if (Array.isArray(v)) {
      if (v.length !== 2) throw new SpecError(`${at}: expected a number or [height, width], got ${show(v)}`);
      return [intAt(`${at}[0]`, v[0], min), intAt(`${at}[1]`, v[1], min)];
    }
    const n = intAt(at, v, min);
    return [n, n];
  });

export const bool = field<boolean>((v, at) => {
  if (typeof v !== 'boolean') throw new SpecError(`${at}: expected a boolean, got ${show(v)}`);
  return v;
});

/** One of `values`; `expected` says so in errors (default: "a" or "b"). */
export const oneOf = <const V extends string>(values: readonly V[], expected = values.map((x) => JSON.stringify(x)).join(' or ')) =>
  field<V>((v, at) => {
    if (!(values as readonly unknown[]).includes(v)) throw new SpecError(`${at}: expected ${expected}, got ${show(v)}`);
    return v as V;
  });

/** A weight scheme name (init.ts). */
export const initName = field<string>((v, at) => {
  if (typeof v !== 'string') throw new SpecError(`${at}: expected an init scheme name, got ${show(v)}`);
  try {
    initByName(v);
  } catch (e) {
    throw new SpecError(`${at}: ${(e as Error).message}`);
  }
  return v;
});

/** A built-in activation name or an expression in x, resolved. */
export const activationFn = field<string, Activation>((v, at) => {
  if (typeof v !== 'string') throw new SpecError(`${at}: expected an activation name, got ${show(v)}`);
  try {
    return resolveActivation(v);
  } catch (e) {
    throw new SpecError(`${at}: ${(e as Error).message}`);
  }
});

export function needImage(field: string, kind: string, inShape: Shape): void {
  if (inShape.length !== 3) {
    throw new SpecError(
      `${field}: ${kind} needs image input [channels, height, width], but its input is [${inShape.join(', ')}]` +
        ' (image datasets give [1, 28, 28]; a dense layer or flatten loses the image shape)',
    );
  }
}

export function windowFits(field: string, inShape: Shape, k: [number, number], s: [number, number], p: [number, number]): void {
  const oh = Math.floor((inShape[1] + 2 * p[0] - k[0]) / s[0]) + 1;
  const ow = Math.floor((inShape[2] + 2 * p[1] - k[1]) / s[1]) + 1;
  if (oh < 1 || ow < 1)
    throw new SpecError(`${field}: a ${k.join('×')} window (padding ${p.join('×')}) does not fit its input [${inShape.join(', ')}]`);
}

/** A string; `what` says which in errors. */
export const text = (what: string) =>
  field<string>((v, at) => {
    if (typeof v !== 'string') throw new SpecError(`${at}: expected ${what}, got ${show(v)}`);
    return v;
  });
