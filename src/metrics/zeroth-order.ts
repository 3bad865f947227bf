// How good a gradient estimate made from loss values alone is (SPSA/MeZO, evolution strategies,
// CMA-ES), measured against the true gradient at fixed parameters over many independent draws:
// its cosine with the gradient, and its variance once its scale is calibrated along the
// gradient — rank-shaped estimators have an arbitrary scale, so a raw variance would compare
// scales, not noise.
import { SpecError } from '../errors.ts';
import { forEachUpdate, type Updates } from '../rules/rule.ts';
import type { Tensor } from '../tensor/tensor.ts';

export interface EstimateQuality {
  draws: number;
  /** Parameters (the dimension d). */
  parameters: number;
  /** Mean over draws of cos(ĝ_r, g), and its standard deviation across draws. */
  cosine: number;
  cosineStd: number;
  /** Cosine of the draws' mean with g: the estimator's expected direction, as far as these draws show it. */
  cosineOfMean: number;
  /**
   * tr Cov(α·ĝ) / ‖g‖², with α = ‖g‖² / mean_r(ĝ_r·g) making the component along g unbiased:
   * scale-free. For SPSA along n Gaussian directions it is (d + 1)/n.
   */
  relativeVariance: number;
  /** The calibration α (1 when the estimator's scale is already the gradient's). */
  scale: number;
}

/**
 * Draw an estimator `draws` times (draw(r) must use independent noise for each r) at the same
 * parameters and batch, and compare every draw with `reference`, the true gradient. Updates may
 * be lazy; sums are in float64.
 */
export function estimateQuality(reference: readonly Tensor[], draw: (r: number) => Updates, draws: number): EstimateQuality {
  if (!(Number.isInteger(draws) && draws >= 2)) throw new SpecError(`estimateQuality: need an integer ≥ 2 draws, got ${draws}`);
  const d = reference.reduce((a, g) => a + g.size, 0);
  let gg = 0;
  for (const g of reference) for (let k = 0; k < g.size; k++) gg += g.data[k] ** 2;
  if (!(gg > 0)) throw new SpecError('estimateQuality: the reference gradient is zero; nothing to compare with');
  const mean = reference.map((g) => new Float64Array(g.size));
  const m2 = reference.map((g) => new Float64Array(g.size));
  const dots: number[] = [];
  const cosines: number[] = [];
  for (let r = 0; r < draws; r++) {
    let dot = 0;
    let uu = 0;
    let count = 0;
    forEachUpdate(draw(r), (u, i) => {
      const g = reference[i];
      if (!g || u.size !== g.size)
        throw new SpecError(`estimateQuality: draw ${r}, update ${i} has ${u.size} entries, the reference ${g?.size ?? 'none'}`);
      const mu = mean[i];
      const s = m2[i];
      for (let k = 0; k < u.size; k++) {
        const x = u.data[k];
        dot += x * g.data[k];
        uu += x * x;
        const delta = x - mu[k];
        mu[k] += delta / (r + 1);
        s[k] += delta * (x - mu[k]);
      }
      count++;
    });
    if (count !== reference.length)
      throw new SpecError(`estimateQuality: draw ${r} gave ${count} updates for ${reference.length} parameters`);
    dots.push(dot);
    cosines.push(uu > 0 ? dot / Math.sqrt(uu * gg) : 0);
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const cos = avg(cosines);
  const cosineStd = Math.sqrt(cosines.reduce((a, c) => a + (c - cos) ** 2, 0) / (draws - 1));
  let mg = 0;
  let mm = 0;
  let trace = 0;
  mean.forEach((mu, i) => {
    const g = reference[i].data;
    for (let k = 0; k < mu.length; k++) {
      mg += mu[k] * g[k];
      mm += mu[k] * mu[k];
      trace += m2[i][k] / (draws - 1);
    }
  });
  const meanDot = avg(dots);
  const scale = meanDot > 0 ? gg / meanDot : NaN;
  return {
    draws,
    parameters: d,
    cosine: cos,
    cosineStd,
    cosineOfMean: mm > 0 ? mg / Math.sqrt(mm * gg) : 0,
    relativeVariance: (scale * scale * trace) / gg,
    scale,
  };
}
