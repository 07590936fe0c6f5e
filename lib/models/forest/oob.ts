/**
 * Scores from out-of-bag votes and from predictions: accuracy for classes, R² for values (the
 * scores scikit-learn's `oob_score_` and `score()` report), so the numbers compare directly.
 */
import type { Task } from '../model';
import type { OobSums } from './model';

/** Accuracy of the arg-max class of each row of `probs` (rows × K) against class indices `y`. */
export function accuracy(probs: ArrayLike<number>, y: ArrayLike<number>, K: number, rows?: ArrayLike<number>): number {
  let hit = 0;
  const n = rows ? rows.length : y.length;
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i] : i;
    let best = 0;
    for (let k = 1; k < K; k++) if (probs[r * K + k] > probs[r * K + best]) best = k;
    if (best === y[r]) hit++;
  }
  return n > 0 ? hit / n : NaN;
}

/** Coefficient of determination of `pred` against `y` (1 is perfect, 0 is the mean). */
export function r2(pred: ArrayLike<number>, y: ArrayLike<number>, rows?: ArrayLike<number>): number {
  const n = rows ? rows.length : y.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[rows ? rows[i] : i];
  mean /= n;
  let sse = 0;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i] : i;
    sse += (y[r] - pred[r]) ** 2;
    sst += (y[r] - mean) ** 2;
  }
  return n > 0 ? (sst > 0 ? 1 - sse / sst : sse === 0 ? 1 : 0) : NaN;
}

/** The out-of-bag score over the tracked rows at least one tree left out; null when there are none. */
export function oobScoreOf(oob: OobSums, task: Task, K: number): number | null {
  const seen: number[] = [];
  for (let r = 0; r < oob.count.length; r++) if (oob.count[r] > 0) seen.push(r);
  if (seen.length === 0) return null;
  if (task === 'classification') return accuracy(oob.sum, oob.y, K, seen);
  const mean = new Float64Array(oob.count.length);
  for (const r of seen) mean[r] = oob.sum[r] / oob.count[r];
  return r2(mean, oob.y, seen);
}
