// WideNoise: a sample's noise drawn once at full width and added with c = ±1, ±2 moves the
// parameters exactly as perturb(c · scale) regenerating it would, so ES and CMA-ES reuse it
// within a sample without moving a record.
import { describe, expect, it } from 'vitest';
import { fromArray, ledger, noiseKey, perturb, rng, WideNoise, zeros, type Tensor } from '../../src/index.ts';

const r = rng('wide-noise-test');
const tensors = (): Tensor[] => [
  fromArray(
    Array.from({ length: 4099 }, () => r.range(-2, 2)),
    [4099],
  ),
  fromArray(
    Array.from({ length: 7 }, () => r.range(-2, 2)),
    [7],
  ),
];
const copy = (ts: Tensor[]): Tensor[] => ts.map((t) => fromArray(Array.from(t.data), t.shape));
const bits = (ts: Tensor[]): number[][] => ts.map((t) => Array.from(new Uint32Array(Float32Array.from(t.data).buffer)));

describe('WideNoise', () => {
  for (const scaled of [false, true]) {
    it(`draw once, add +1, −2, +1 (and −1): bit for bit as perturb regenerating the noise${scaled ? ', per-element scale' : ''}`, () => {
      const a = tensors();
      const b = copy(a);
      const es = tensors().map((t) =>
        fromArray(
          Array.from(t.data, (x) => 0.1 + Math.abs(x)),
          t.shape,
        ),
      );
      const scale = scaled ? (i: number) => es[i].data : undefined;
      const key = (i: number) => noiseKey(r, 3, 1, i, 'test');
      const sigma = 0.0123;
      const noise = new WideNoise(a.map((t) => t.size)).draw(sigma, key, scale);
      for (const c of [1, -2, 1, -1]) {
        perturb(a, c * sigma, key, scale);
        noise.addTo(b, c);
        expect(bits(b)).toEqual(bits(a));
      }
      noise.free();
    });
  }

  it('a view holds scale · z at full width (not rounded to float32)', () => {
    const noise = new WideNoise([1001]).draw(0.01, (i) => noiseKey(r, 0, 0, i));
    const v = noise.views[0];
    expect(v.some((x) => Math.fround(x) !== x)).toBe(true);
    noise.free();
  });

  it('a step that draws into it counts its full-width bytes in the memory ledger, until its last use', () => {
    const params = tensors();
    const { memory } = ledger().measure(() => {
      const noise = new WideNoise(params.map((t) => t.size)).draw(0.01, (i) => noiseKey(r, 1, 0, i));
      zeros([1000]); // made while the noise is still to be used: both are live at once
      noise.addTo(params, 1);
      noise.free();
    });
    // 8 bytes a value (f64) for each of the 4099 + 7 values, beside the 1,000 float32 zeros.
    const bytes = 8 * (4099 + 7) + 4 * 1000;
    expect(memory.peakByCategory.transient).toBe(bytes);
    expect(memory.peakBytes - memory.startBytes).toBe(bytes);
  });
});
