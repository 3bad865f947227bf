// The floating-point formats precision specs name, each defined once: its storage width (for the
// memory ledger) and what the rounding kernels need (quantize.ts). fp32 is the storage format
// itself: rounding to it is the identity, so a trial at fp32 runs exactly as one without precision.
//
// bf16 and fp16 are IEEE-style (binary16; bfloat16 is float32's top half), overflowing to ±∞.
// fp8 follows the OCP 8-bit floating point specification (OFP8): E4M3 has no infinities (its
// only NaNs are S.1111.111) and reaches 448 = S.1111.110; E5M2 is IEEE-style with ±∞ and tops
// out at 57344. OFP8 leaves conversions saturating or not; E4M3 here saturates (overflow and ±∞
// go to ±448, as the FP8 training recipes' casts do) and E5M2 does not (overflow goes to ±∞,
// which dynamic loss scaling sees and answers by skipping the step).
import { SpecError } from '../errors.ts';
import type { RoundingTarget } from './backend.ts';

export interface FloatFormat extends RoundingTarget {
  readonly name: string;
  /** Bits of storage per element. */
  readonly bits: number;
}

const format = (name: string, bits: number, mantissa: number, minExp: number, max: number, saturate: boolean): FloatFormat => ({
  name,
  bits,
  mantissa,
  minExp,
  max,
  saturate,
});

/** The formats by name. fp32's rounding is never run (it is the identity on float32 storage). */
export const FLOAT_FORMATS: ReadonlyMap<string, FloatFormat> = new Map(
  [
    format('fp32', 32, 23, -126, 2 ** 127 * (2 - 2 ** -23), false),
    format('bf16', 16, 7, -126, 2 ** 127 * (2 - 2 ** -7), false),
    format('fp16', 16, 10, -14, 2 ** 15 * (2 - 2 ** -10), false),
    // S.1111.111 is NaN, so the top binade (2^8) stops at mantissa 110: 1.75 · 2^8 = 448.
    format('fp8-e4m3', 8, 3, -6, 448, true),
    // S.11111.00 is ∞: the top binade is 2^15, up to 1.75 · 2^15 = 57344.
    format('fp8-e5m2', 8, 2, -14, 57344, false),
  ].map((f) => [f.name, f]),
);

/** The format `name` names, or a SpecError naming `field` and the accepted names. */
export function floatFormat(name: unknown, field: string): FloatFormat {
  const f = typeof name === 'string' ? FLOAT_FORMATS.get(name) : undefined;
  if (!f) throw new SpecError(`${field}: unknown format ${JSON.stringify(name)}; accepted: ${[...FLOAT_FORMATS.keys()].join(', ')}`);
  return f;
}

/** True for a format whose rounding changes float32 values (every one but fp32). */
export const narrowerThanStorage = (f: FloatFormat): boolean => f.bits < 32;
