// Rounding to each format against its definition, on the reference backend and the WASM one:
// every bf16/fp16 bit pattern round-trips; the 256 values of each OCP FP8 kind decode as the
// OFP8 tables say and round-trip; nearest-even picks the nearest table value and the even code on
// a tie; overflow saturates or goes to ∞ as the format says; stochastic rounding is unbiased and
// bit-identical for a key.
import { describe, expect, it } from 'vitest';
import type { Backend, NoiseKey } from '../../src/kernels/backend.ts';
import { FLOAT_FORMATS, floatFormat, type FloatFormat } from '../../src/kernels/float-formats.ts';
import { referenceBackend } from '../../src/kernels/reference.ts';
import { loadWasmBackend } from '../../src/kernels/wasm/index.ts';
import { rng } from '../../src/random.ts';

/** Sign, exponent and mantissa fields of a code, decoded by the format's definition (written out here, not taken from the kernel). */
function decoder(expBits: number, manBits: number, special: (exp: number, man: number) => number | null) {
  const bias = 2 ** (expBits - 1) - 1;
  return (code: number): number => {
    const sign = code >> (expBits + manBits) ? -1 : 1;
    const exp = (code >> manBits) & (2 ** expBits - 1);
    const man = code & (2 ** manBits - 1);
    const s = special(exp, man);
    if (s !== null) return sign * s;
    const v = exp === 0 ? man * 2 ** (1 - bias - manBits) : (1 + man / 2 ** manBits) * 2 ** (exp - bias);
    return sign * v;
  };
}
/** IEEE-style: the all-ones exponent is ∞ (mantissa 0) or NaN. */
const ieee = (expBits: number) => (exp: number, man: number) => (exp === 2 ** expBits - 1 ? (man ? NaN : Infinity) : null);

const FORMATS: { name: string; width: number; decode: (code: number) => number }[] = [
  { name: 'bf16', width: 16, decode: decoder(8, 7, ieee(8)) },
  { name: 'fp16', width: 16, decode: decoder(5, 10, ieee(5)) },
  // OFP8 E4M3: no infinities; S.1111.111 is the only NaN.
  { name: 'fp8-e4m3', width: 8, decode: decoder(4, 3, (exp, man) => (exp === 15 && man === 7 ? NaN : null)) },
  { name: 'fp8-e5m2', width: 8, decode: decoder(5, 2, ieee(5)) },
];

const bitsOf = (x: number): number => new Uint32Array(Float32Array.of(x).buffer)[0];
const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>): string | null => {
  for (let i = 0; i < a.length; i++)
    if (bitsOf(a[i]) !== bitsOf(b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return `[${i}]: ${a[i]} vs ${b[i]}`;
  return null;
};

const W = loadWasmBackend();
const BACKENDS: [string, Backend][] = [
  ['reference', referenceBackend],
  ['wasm', W],
];
/** x rounded to f on backend B, in the backend's storage. */
function round(B: Backend, x: ArrayLike<number>, f: FloatFormat, key: NoiseKey | null = null, offset = 0): Float32Array {
  const buf = B.alloc(x.length) as Float32Array;
  buf.set(Array.from(x));
  B.quantize(buf, buf, f, key, offset);
  return buf;
}

describe('the OFP8 tables', () => {
  const e4m3 = FORMATS[2].decode;
  const e5m2 = FORMATS[3].decode;
  it('E4M3: max 448 at S.1111.110, NaN only at S.1111.111, smallest normal 2^-6, smallest subnormal 2^-9', () => {
    expect([e4m3(0x7e), e4m3(0xfe), e4m3(0x08), e4m3(0x01), e4m3(0x07), e4m3(0x78)]).toEqual([
      448,
      -448,
      2 ** -6,
      2 ** -9,
      7 * 2 ** -9,
      256,
    ]);
    expect([...Array(256).keys()].filter((c) => Number.isNaN(e4m3(c)))).toEqual([0x7f, 0xff]);
    expect(floatFormat('fp8-e4m3', 'f').max).toBe(448);
  });
  it('E5M2: max 57344 at S.11110.11, ∞ at S.11111.00, smallest normal 2^-14, smallest subnormal 2^-16', () => {
    expect([e5m2(0x7b), e5m2(0x7c), e5m2(0xfc), e5m2(0x04), e5m2(0x01)]).toEqual([57344, Infinity, -Infinity, 2 ** -14, 2 ** -16]);
    expect([...Array(256).keys()].filter((c) => Number.isNaN(e5m2(c)))).toEqual([0x7d, 0x7e, 0x7f, 0xfd, 0xfe, 0xff]);
    expect(floatFormat('fp8-e5m2', 'f').max).toBe(57344);
  });
});

for (const [label, B] of BACKENDS) {
  describe(`${label}: rounding by definition`, () => {
    for (const { name, width, decode } of FORMATS) {
      const f = floatFormat(name, 'test');
      const codes = [...Array(2 ** width).keys()];
      const values = codes.map(decode);

      it(`${name}: all ${2 ** width} values round-trip, bit for bit`, () => {
        expect(sameBits(round(B, values, f), values)).toBeNull();
        expect(sameBits(round(B, values, f, [3, 4]), values)).toBeNull();
      });

      // The finite non-negative values in order (negatives mirror them), each with its code (a value's code is even when its last mantissa bit is 0).
      const table = codes
        .filter((c) => values[c] >= 0 && Number.isFinite(values[c]) && !Object.is(values[c], -0))
        .map((c) => ({ v: values[c], even: c % 2 === 0 }))
        .sort((a, b) => a.v - b.v);
      const neighbours = table.slice(1).map((hi, i) => [table[i], hi] as const);

      it(`${name}: midpoints between neighbours go to the even code, points beside them to the nearer`, () => {
        const mids = neighbours.map(([lo, hi]) => (lo.v + hi.v) / 2);
        const want = neighbours.map(([lo, hi]) => (lo.even ? lo.v : hi.v));
        // Skip midpoints float32 cannot hold (bf16's neighbours are float32's every 2^16th; all midpoints fit).
        const fits = mids.map((m) => Math.fround(m) === m);
        expect(fits.every(Boolean)).toBe(true);
        expect(sameBits(round(B, mids, f), want)).toBeNull();
        expect(
          sameBits(
            round(
              B,
              mids.map((m) => -m),
              f,
            ),
            want.map((w) => -w),
          ),
        ).toBeNull();
        const below = neighbours.map(([lo, hi]) => lo.v + (hi.v - lo.v) * 0.25);
        expect(
          sameBits(
            round(B, below.map(Math.fround), f),
            neighbours.map(([lo]) => lo.v),
          ),
        ).toBeNull();
      });

      it(`${name}: overflow ${f.saturate ? 'saturates at ±max' : 'goes to ±∞'}, and the counts say how many`, () => {
        const top = table[table.length - 1].v;
        const ulp = top - table[table.length - 2].v;
        expect(top).toBe(f.max);
        const x = [top + ulp / 2, -(top + ulp), Infinity, 2 ** -200 * 0, top + ulp / 4];
        const out = B.alloc(x.length) as Float32Array;
        out.set(x.map(Math.fround));
        const counts = B.quantize(out, out, f, null, 0);
        const big = f.saturate ? top : Infinity;
        // A tie above the top value goes to the even code: the top one when its code is even (E4M3's S.1111.110), else beyond it.
        const tie = table[table.length - 1].even ? top : big;
        expect(Array.from(out)).toEqual([tie, -big, big, 0, top]);
        expect(counts).toEqual({ flushed: 0, saturated: tie === top ? 2 : 3 });
      });

      it(`${name}: values below half the smallest subnormal flush to zero (sign kept), counted`, () => {
        const tiny = table.find((t) => t.v > 0)!.v;
        const x = [tiny / 2, -tiny / 2, tiny * 0.51, -tiny * 0.3, 0];
        const out = B.alloc(x.length) as Float32Array;
        out.set(x);
        const counts = B.quantize(out, out, f, null, 0);
        expect(sameBits(out, [0, -0, tiny, -0, 0])).toBeNull();
        expect(counts).toEqual({ flushed: 3, saturated: 0 });
      });
    }

    it('bf16 and fp16 agree with the nearest table value over 100,000 random float32 values', () => {
      const r = rng(`quantize-${label}`);
      for (const { name, width, decode } of FORMATS.slice(0, 2)) {
        const f = floatFormat(name, 'test');
        const finite = [...Array(2 ** width).keys()].map(decode).filter((v) => Number.isFinite(v));
        const sorted = Float64Array.from(new Set(finite)).sort();
        const x = Float32Array.from(
          { length: 100_000 },
          () => (r.range(0, 1) < 0.5 ? -1 : 1) * r.range(1, 2) * 2 ** Math.floor(r.range(-30, 17)),
        );
        const got = round(B, x, f);
        for (let i = 0; i < x.length; i++) {
          const a = Math.abs(x[i]);
          let lo = 0;
          let hi = sorted.length - 1;
          while (hi - lo > 1) {
            const mid = (lo + hi) >> 1;
            if (sorted[mid] <= a) lo = mid;
            else hi = mid;
          }
          // The nearer of the two around a (ties are the midpoint test's); past the top value, the next binade's first value 2^(e+1) stands in, for ∞.
          const top = sorted[sorted.length - 1];
          const down = a >= top ? top : sorted[lo];
          const up = a >= top ? 2 ** Math.ceil(Math.log2(top)) : sorted[hi];
          if (a - down === up - a) continue;
          const near = a === down || a - down < up - a ? down : up;
          const want = Math.sign(x[i]) * (near > f.max ? Infinity : near);
          if (Math.abs(got[i]) !== Math.abs(want) || Math.sign(got[i]) !== Math.sign(want))
            throw new Error(`${name}: ${x[i]} → ${got[i]}, want ${want}`);
        }
      }
    });
  });

  describe(`${label}: stochastic rounding`, () => {
    const f = floatFormat('bf16', 'test');
    const n = 200_000;
    it('rounds to one of the two neighbours, unbiased over many draws', () => {
      for (const x of [1 + 2 ** -9, -(1 + 3 * 2 ** -10), 1 + 2 ** -7 - 2 ** -20, 3e-39]) {
        const xs = new Float32Array(n).fill(x);
        const xf = Math.fround(x);
        const got = round(B, xs, f, [11, 12]);
        const down = round(B, [xf], f, null)[0];
        const lo = Math.min(...round(B, [xf * (1 - 2 ** -9), xf * (1 + 2 ** -9)], f).map(Math.abs)) * Math.sign(xf);
        const values = new Set(got);
        expect(values.size).toBeLessThanOrEqual(2);
        expect(values.has(down) || values.has(lo)).toBe(true);
        const mean = got.reduce((s, v) => s + v, 0) / n;
        const gap = Math.max(...values) - Math.min(...values) || Math.abs(xf) * 2 ** -7;
        // The mean of n Bernoulli choices between neighbours gap apart: within 5 standard errors.
        expect(Math.abs(mean - xf)).toBeLessThan((5 * gap * 0.5) / Math.sqrt(n));
      }
    });
    it('is bit-identical for a key and offset, and another key or offset draws afresh', () => {
      const r = rng('sr-ident');
      const x = Float32Array.from({ length: 10_000 }, () => r.range(-1, 1));
      const a = round(B, x, f, [5, 6], 100);
      expect(sameBits(round(B, x, f, [5, 6], 100), a)).toBeNull();
      expect(sameBits(round(referenceBackend, x, f, [5, 6], 100), a)).toBeNull();
      expect(sameBits(round(B, x, f, [5, 7], 100), a)).not.toBeNull();
      expect(sameBits(round(B, x, f, [5, 6], 101), a)).not.toBeNull();
    });
  });
}

for (const [label, B] of BACKENDS) {
  describe(`${label}: a matmul accumulating in the format`, () => {
    it('rounds its running sum after every product, in order: 1 + 512 · 2^-9 stays 1 in bf16, where float32 reaches 2', () => {
      const k = 513;
      const a = B.alloc(k) as Float32Array;
      a.fill(1);
      const b = B.alloc(k) as Float32Array;
      b.fill(2 ** -9);
      b[0] = 1;
      const out = B.alloc(1) as Float32Array;
      B.matmulRounded(a, b, out, 1, 1, k, false, false, floatFormat('bf16', 'test'));
      expect(out[0]).toBe(1);
      B.matmul(a, b, out, 1, 1, k, false, false);
      expect(out[0]).toBe(2);
      // With the small terms first the sum climbs by 2^-9 until that is half an ulp (at 0.5, where a tie goes to the even 0.5), then meets the 1.
      b.fill(2 ** -9);
      b[k - 1] = 1;
      B.matmulRounded(a, b, out, 1, 1, k, false, false, floatFormat('bf16', 'test'));
      expect(out[0]).toBe(1.5);
    });

    it('equals a sum rounded step by step with the rounding kernel, for random operands and each format', () => {
      const r = rng(`accumulate-${label}`);
      const [m, n, k] = [3, 4, 40];
      for (const f of [...FLOAT_FORMATS.values()].filter((f) => f.bits < 32)) {
        const a = Float32Array.from({ length: m * k }, () => r.range(-2, 2));
        const b = Float32Array.from({ length: k * n }, () => r.range(-2, 2));
        const out = new Float32Array(m * n);
        B.matmulRounded(a, b, out, m, n, k, false, false, f);
        const one = new Float64Array(1);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let acc = 0;
            for (let p = 0; p < k; p++) {
              one[0] = acc + a[i * k + p] * b[p * n + j];
              referenceBackend.quantize(one, one, f, null, 0);
              acc = one[0];
            }
            expect(out[i * n + j], `${f.name} [${i}, ${j}]`).toBe(Math.fround(acc));
          }
      }
    });
  });
}

describe('the format registry', () => {
  it('names the field and the accepted formats for an unknown one', () => {
    expect(() => floatFormat('fp4', 'precision.compute')).toThrow(
      'precision.compute: unknown format "fp4"; accepted: fp32, bf16, fp16, fp8-e4m3, fp8-e5m2',
    );
    expect([...FLOAT_FORMATS.values()].map((f) => f.bits)).toEqual([32, 16, 16, 8, 8]);
  });
});
