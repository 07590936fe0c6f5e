/**
 * Loss functions of gradient boosting, as plain functions over typed arrays: the first and second
 * derivative of the loss per row and output (what a tree is fitted to), the starting margin, the
 * loss itself (the learning curve, early stopping) and the margin → prediction transform.
 *
 * Shapes: `margin` is row-major `n × outputs` (margin[i·O + k], as prediction accumulates it);
 * `grad` / `hess` are output-major (`grad[k·n + i]`), so the tree of output k reads one contiguous
 * block. `weight` (null: all 1) multiplies both derivatives (class weights).
 *
 * - `logistic`: binary log loss on one margin m, p = σ(m); g = p − y, h = p(1 − p).
 * - `softmax`: multiclass log loss, one margin per class; g_k = p_k − [y = k], h_k = p_k(1 − p_k)
 *   (the diagonal of the Hessian, as XGBoost and LightGBM use it, without XGBoost's factor 2).
 * - `squared`: ½(m − y)²; g = m − y, h = 1.
 * - `huber`: the pseudo-Huber loss δ²(√(1 + (r/δ)²) − 1), r = m − y: quadratic near 0, linear far
 *   out (robust to outliers), and twice differentiable, so its hessian is never 0 (XGBoost's
 *   `reg:pseudohubererror`).
 */

import { kernelLog, labelExpf, lossFactor, MAX_ODDS, splitExponent } from './fastmath';
import { logisticKernel } from './objective-kernel';

export type ObjectiveName = 'logistic' | 'softmax' | 'squared' | 'huber';

/** Smallest hessian a row contributes (a saturated probability would otherwise give 0). */
const MIN_HESS = 1e-16;
/** Probabilities are clipped to [EPS, 1 − EPS] in the loss so that it stays finite. */
const EPS = 1e-15;

export interface Objective {
  readonly name: ObjectiveName;
  /** Margins (trees per round) per row: nClasses for softmax, else 1. */
  readonly outputs: number;
  /** The starting margin of every row (length `outputs`): the best constant. */
  baseMargin(y: Float32Array, weight: Float64Array | null): Float64Array;
  /**
   * Derivatives of the loss at `margin` for rows 0..n-1 into grad/hess (output-major); returns
   * {@link loss} at the same margins, computed in the same pass (the probabilities are at hand:
   * a separate loss pass cost a tenth of a Letter fit).
   */
  gradients(margin: Float64Array, y: Float32Array, weight: Float64Array | null, grad: Float32Array, hess: Float32Array): number;
  /** Mean loss over rows 0..n-1 (log loss, RMSE for `squared`, mean pseudo-Huber loss), unweighted. */
  loss(margin: Float64Array, y: Float32Array, n: number): number;
  /** Row i's term of the loss's sum (`squared`: its squared residual); `loss` is their mean (`squared`: its root). */
  rowLoss(margin: Float64Array, i: number, y: number): number;
  /** Predictions from margins: class probabilities (n × nClasses) or values (n). */
  transform(margin: Float64Array, n: number, out: Float32Array): void;
}

const sigmoid = (m: number): number => 1 / (1 + Math.exp(-m));

function weightedMean(y: Float32Array, w: Float64Array | null): number {
  let s = 0;
  let t = 0;
  for (let i = 0; i < y.length; i++) {
    const wi = w ? w[i] : 1;
    s += wi * y[i];
    t += wi;
  }
  return t > 0 ? s / t : 0;
}

/** Smallest hessian a logistic row contributes, as a Float32 (what the kernel uses). */
const MIN_HESS_F = Math.fround(MIN_HESS);
const MAX_LOSS = Math.log(MAX_ODDS);
const exponent = new Float64Array(1);

/**
 * One logistic row, as the kernel computes it (objective-kernels.wat's `logistic` says how): its derivatives
 * into grad[i] / hess[i]; returns the row's 1 + e^x (capped), whose log is its loss.
 */
function logisticRow(margin: Float64Array, y: Float32Array, w: Float64Array | null, grad: Float32Array, hess: Float32Array, i: number): number {
  const label = y[i] === 1;
  const e = labelExpf(margin[i], y[i]);
  const q = Math.fround(1 / Math.fround(1 + e));
  const t = Math.fround(e * q);
  const g = label ? -t : t;
  const qt = Math.fround(q * t);
  const h = qt < MIN_HESS_F ? MIN_HESS_F : qt;
  grad[i] = w ? w[i] * g : g;
  hess[i] = w ? w[i] * h : h;
  return lossFactor(e);
}

export const logistic: Objective = {
  name: 'logistic',
  outputs: 1,
  baseMargin(y, w) {
    const p = Math.min(1 - 1e-6, Math.max(1e-6, weightedMean(y, w)));
    return Float64Array.of(Math.log(p / (1 - p)));
  },
  gradients(margin, y, w, grad, hess) {
    const n = y.length;
    const kernelSum = logisticKernel(margin, y, w, grad, hess);
    if (kernelSum !== null) return n > 0 ? kernelSum / n : 0;
    // The kernel's order: rows by fours into four products, those into the running product per 16
    // rows (its exponent split off), the rest alone; one log.
    let prod = 1;
    let ex = 0;
    let nan = false;
    let a0 = 1;
    let a1 = 1;
    let b0 = 1;
    let b1 = 1;
    let i = 0;
    while (i + 4 <= n) {
      a0 *= logisticRow(margin, y, w, grad, hess, i);
      a1 *= logisticRow(margin, y, w, grad, hess, i + 1);
      b0 *= logisticRow(margin, y, w, grad, hess, i + 2);
      b1 *= logisticRow(margin, y, w, grad, hess, i + 3);
      i += 4;
      if ((i & 15) === 0) {
        prod *= a0 * a1 * (b0 * b1);
        if (prod !== prod) nan = true;
        prod = splitExponent(prod, exponent);
        ex += exponent[0];
        a0 = a1 = b0 = b1 = 1;
      }
    }
    prod *= a0 * a1 * (b0 * b1);
    for (; i < n; i++) prod *= logisticRow(margin, y, w, grad, hess, i);
    const s = nan || prod !== prod ? NaN : kernelLog(prod) + ex * Math.LN2;
    return n > 0 ? s / n : 0;
  },
  loss(margin, y, n) {
    let s = 0;
    for (let i = 0; i < n; i++) s += this.rowLoss(margin, i, y[i]);
    return n > 0 ? s / n : 0;
  },
  /**
   * log(1 + e^x), x the margin negated when y = 1, capped as the kernel caps it, in double with
   * Math (the validation loss, early stopping): the kernel's single-precision loss is within a few
   * parts in 10⁷ of it.
   */
  rowLoss(margin, i, y) {
    const x = y === 1 ? -margin[i] : margin[i];
    return Math.min(x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)), MAX_LOSS);
  },
  transform(margin, n, out) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(margin[i]);
      out[2 * i] = 1 - p;
      out[2 * i + 1] = p;
    }
  },
};

/** Softmax of row i's K margins into p (stable: the largest margin is subtracted first). */
function softmaxRow(margin: Float64Array, o: number, K: number, p: Float64Array): void {
  let max = -Infinity;
  for (let k = 0; k < K; k++) if (margin[o + k] > max) max = margin[o + k];
  let sum = 0;
  for (let k = 0; k < K; k++) {
    p[k] = Math.exp(margin[o + k] - max);
    sum += p[k];
  }
  for (let k = 0; k < K; k++) p[k] /= sum;
}

export function softmax(K: number): Objective {
  const p = new Float64Array(K);
  return {
    name: 'softmax',
    outputs: K,
    baseMargin(y, w) {
      // Log class priors (centred): the constant that minimises the loss.
      const count = new Float64Array(K);
      for (let i = 0; i < y.length; i++) count[y[i]] += w ? w[i] : 1;
      let total = 0;
      for (let k = 0; k < K; k++) total += count[k];
      const out = new Float64Array(K);
      let mean = 0;
      for (let k = 0; k < K; k++) {
        out[k] = Math.log(Math.max(count[k] / total, 1e-6));
        mean += out[k] / K;
      }
      for (let k = 0; k < K; k++) out[k] -= mean;
      return out;
    },
    gradients(margin, y, w, grad, hess) {
      const n = y.length;
      let s = 0;
      for (let i = 0; i < n; i++) {
        softmaxRow(margin, i * K, K, p);
        const wi = w ? w[i] : 1;
        const c = y[i];
        for (let k = 0; k < K; k++) {
          grad[k * n + i] = wi * (p[k] - (k === c ? 1 : 0));
          hess[k * n + i] = wi * Math.max(p[k] * (1 - p[k]), MIN_HESS);
        }
        s -= Math.log(Math.max(EPS, p[c]));
      }
      return n > 0 ? s / n : 0;
    },
    loss(margin, y, n) {
      let s = 0;
      for (let i = 0; i < n; i++) s += this.rowLoss(margin, i, y[i]);
      return n > 0 ? s / n : 0;
    },
    rowLoss(margin, i, y) {
      softmaxRow(margin, i * K, K, p);
      return -Math.log(Math.max(EPS, p[y]));
    },
    transform(margin, n, out) {
      for (let i = 0; i < n; i++) {
        softmaxRow(margin, i * K, K, p);
        for (let k = 0; k < K; k++) out[i * K + k] = p[k];
      }
    },
  };
}

export const squared: Objective = {
  name: 'squared',
  outputs: 1,
  baseMargin(y, w) {
    return Float64Array.of(weightedMean(y, w));
  },
  gradients(margin, y, w, grad, hess) {
    const n = y.length;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const wi = w ? w[i] : 1;
      const r = margin[i] - y[i];
      grad[i] = wi * r;
      hess[i] = wi;
      s += r * r;
    }
    return n > 0 ? Math.sqrt(s / n) : 0;
  },
  loss(margin, y, n) {
    let s = 0;
    for (let i = 0; i < n; i++) s += (margin[i] - y[i]) ** 2;
    return n > 0 ? Math.sqrt(s / n) : 0;
  },
  rowLoss(margin, i, y) {
    return (margin[i] - y) ** 2;
  },
  transform(margin, n, out) {
    for (let i = 0; i < n; i++) out[i] = margin[i];
  },
};

export function huber(delta: number): Objective {
  const d2 = delta * delta;
  return {
    name: 'huber',
    outputs: 1,
    baseMargin(y) {
      // The median: the best constant for the linear part, robust to the outliers huber is for.
      const s = Float64Array.from(y).sort();
      const m = s.length >> 1;
      return Float64Array.of(s.length === 0 ? 0 : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2);
    },
    gradients(margin, y, w, grad, hess) {
      const n = y.length;
      let s = 0;
      for (let i = 0; i < n; i++) {
        const r = margin[i] - y[i];
        const q = 1 + (r * r) / d2;
        const sq = Math.sqrt(q);
        const wi = w ? w[i] : 1;
        grad[i] = (wi * r) / sq;
        hess[i] = wi * Math.max(1 / (q * sq), MIN_HESS);
        s += d2 * (sq - 1);
      }
      return n > 0 ? s / n : 0;
    },
    loss(margin, y, n) {
      let s = 0;
      for (let i = 0; i < n; i++) s += this.rowLoss(margin, i, y[i]);
      return n > 0 ? s / n : 0;
    },
    rowLoss(margin, i, y) {
      const r = margin[i] - y;
      return d2 * (Math.sqrt(1 + (r * r) / d2) - 1);
    },
    transform(margin, n, out) {
      for (let i = 0; i < n; i++) out[i] = margin[i];
    },
  };
}

/** The objective called `name` for `nClasses` classes (0 for regression). */
export function objectiveFor(name: ObjectiveName, nClasses: number, huberDelta: number): Objective {
  if (name === 'logistic') return logistic;
  if (name === 'softmax') return softmax(nClasses);
  if (name === 'huber') return huber(huberDelta);
  return squared;
}
