/**
 * Second-order split search and leaf values (XGBoost's formulation), over a node's histogram
 * (histogram.ts), whether built from one shard's rows or summed over several.
 *
 * For a node with gradient sum G and hessian sum H, the best leaf value is −G / (H + λ) and the
 * loss it reaches is −½ G² / (H + λ). A split into L and R gains
 *
 *   ½ [G_L² / (H_L + λ) + G_R² / (H_R + λ) − G² / (H + λ)] − γ
 *
 * and is taken when that is positive and both children hold a hessian ≥ minChildWeight.
 * Split "bin b" sends values with code ≤ b left. Missing values (the feature's last bin) are tried on
 * both sides and go where the gain is larger; a node without missing values sends them (at
 * prediction time) to the child with more hessian, the likelier side.
 */
import type { HistLayout } from './histogram';

export interface SplitParams {
  /** L2 regularisation of leaf values (λ). */
  lambda: number;
  /** Minimum gain of a split (γ). */
  gamma: number;
  /** Minimum hessian sum in each child. */
  minChildWeight: number;
}

/** The best split of a node, written in place by {@link findBestSplit}. */
export class BestSplit {
  /** Gain after γ; ≤ 0 when no split qualifies. */
  gain = 0;
  feature = -1;
  bin = 0;
  missLeft = false;
  /** Sums of the left child (gradient, hessian). */
  gl = 0;
  hl = 0;
}

/** Best leaf value for sums G, H, times the learning rate. */
export function leafValue(G: number, H: number, lambda: number, rate: number): number {
  return H + lambda > 0 ? (-G / (H + lambda)) * rate : 0;
}

/** ½ G² / (H + λ): the loss reduction a leaf of these sums achieves. */
export function leafScore(G: number, H: number, lambda: number): number {
  return H + lambda > 0 ? (0.5 * G * G) / (H + lambda) : 0;
}

/** Gains at or below this are rounding noise, not splits. */
const MIN_GAIN = 1e-10;

/**
 * The best split of a node with sums (G, H) over the features `features[0 .. nFeatures)`,
 * from its histogram. Returns false (and `out.gain` ≤ 0) when no split qualifies. Ties go to the
 * first feature and bin in scan order, so the result is deterministic.
 */
export function findBestSplit(
  hist: Float64Array,
  layout: HistLayout,
  features: Int32Array,
  nFeatures: number,
  G: number,
  H: number,
  p: SplitParams,
  out: BestSplit,
): boolean {
  const { lambda, minChildWeight } = p;
  const parent = leafScore(G, H, lambda);
  let best = MIN_GAIN + p.gamma;
  out.gain = 0;
  out.feature = -1;
  const off = layout.binOffset;
  for (let j = 0; j < nFeatures; j++) {
    const f = features[j];
    const b0 = off[f];
    const nb = off[f + 1] - b0 - 1; // value bins; bin nb holds the missing values
    const m = 2 * (b0 + nb);
    const gm = hist[m];
    const hm = hist[m + 1];
    const hasMissing = hm > 0;
    let gl = 0;
    let hl = 0;
    // Split after bin b; b = nb − 1 (all values left) only separates the missing values.
    const last = hasMissing ? nb - 1 : nb - 2;
    for (let b = 0; b <= last; b++) {
      const k = 2 * (b0 + b);
      gl += hist[k];
      hl += hist[k + 1];
      if (hist[k + 1] === 0 && b < nb - 1) continue; // an empty bin moves no row: same split as before
      // Missing values right (every row has a hessian > 0, so a child with hessian 0 is empty).
      const hr = H - hl;
      if (hl >= minChildWeight && hr >= minChildWeight && hl > 0 && hr > 0) {
        const gain = leafScore(gl, hl, lambda) + leafScore(G - gl, hr, lambda) - parent - p.gamma;
        if (gain > best) {
          best = gain;
          set(out, gain, f, b, hasMissing ? false : hl > hr, gl, hl);
        }
      }
      if (!hasMissing) continue;
      // Missing values left.
      const gl2 = gl + gm;
      const hl2 = hl + hm;
      const hr2 = H - hl2;
      if (hl2 >= minChildWeight && hr2 >= minChildWeight && hr2 > 0) {
        const gain = leafScore(gl2, hl2, lambda) + leafScore(G - gl2, hr2, lambda) - parent - p.gamma;
        if (gain > best) {
          best = gain;
          set(out, gain, f, b, true, gl2, hl2);
        }
      }
    }
  }
  return out.feature >= 0;
}

function set(out: BestSplit, gain: number, f: number, b: number, missLeft: boolean, gl: number, hl: number): void {
  out.gain = gain;
  out.feature = f;
  out.bin = b;
  out.missLeft = missLeft;
  out.gl = gl;
  out.hl = hl;
}
