/**
 * Losses and metrics of a network's outputs, in JS on typed arrays (the training loop reads the
 * batch residual back anyway, so training metrics cost no extra kernel).
 *
 * Losses: mean cross-entropy (softmax, sigmoid) and mean squared error in the target's own units
 * (identity). The L2 penalty is not included: curves show the data loss.
 */
import type { OutputKind } from './net-spec';

/** Running sums over rows; {@link finish} turns them into the curve's numbers. */
export interface Score {
  rows: number;
  lossSum: number;
  /** Classification: rows predicted right. Regression: unused. */
  correct: number;
}

export const emptyScore = (): Score => ({ rows: 0, lossSum: 0, correct: 0 });

const EPS = 1e-7;
const clampP = (p: number): number => (p < EPS ? EPS : p > 1 - EPS ? 1 - EPS : p);

/**
 * Adds `rows` rows of outputs to `score`. `out` is `rows × width` (probabilities, or the scaled
 * prediction for identity); `label` is the class index (softmax, sigmoid) or the scaled target.
 * `label` is read at `labelOffset + r`.
 */
export function scoreOutputs(
  score: Score,
  output: OutputKind,
  out: ArrayLike<number>,
  label: ArrayLike<number>,
  labelOffset: number,
  rows: number,
  width: number,
): void {
  let loss = 0;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const y = label[labelOffset + r];
    if (output === 'softmax') {
      const o = r * width;
      let best = 0;
      for (let j = 1; j < width; j++) if (out[o + j] > out[o + best]) best = j;
      loss -= Math.log(clampP(out[o + y]));
      if (best === y) correct++;
    } else if (output === 'sigmoid') {
      const p = clampP(out[r]);
      loss -= y === 1 ? Math.log(p) : Math.log(1 - p);
      if ((p >= 0.5 ? 1 : 0) === y) correct++;
    } else {
      const d = out[r] - y;
      loss += d * d;
    }
  }
  score.rows += rows;
  score.lossSum += loss;
  score.correct += correct;
}

/**
 * Same as {@link scoreOutputs} from the training residual `output − target` and the target
 * buffer of the batch (one-hot, 0/1 or scaled value): output = residual + target.
 */
export function scoreResidual(
  score: Score,
  output: OutputKind,
  residual: Float32Array,
  target: Float32Array,
  label: ArrayLike<number>,
  labelOffset: number,
  rows: number,
  width: number,
  scratch: Float32Array,
): void {
  const n = rows * width;
  for (let i = 0; i < n; i++) scratch[i] = residual[i] + target[i];
  scoreOutputs(score, output, scratch, label, labelOffset, rows, width);
}

/**
 * Curve numbers: `{loss, accuracy}` for classification, `{loss, rmse}` for regression where
 * `targetStd` converts the scaled error back to the target's units.
 */
export function finish(score: Score, output: OutputKind, targetStd = 1): { loss: number; accuracy?: number; rmse?: number } {
  const n = Math.max(1, score.rows);
  if (output === 'identity') {
    const mse = (score.lossSum / n) * targetStd * targetStd;
    return { loss: mse, rmse: Math.sqrt(mse) };
  }
  return { loss: score.lossSum / n, accuracy: score.correct / n };
}
