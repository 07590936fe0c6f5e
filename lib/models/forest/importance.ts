/**
 * Permutation importance: how much the score (accuracy, or R² for regression) drops when one
 * feature's column is shuffled, averaged over a few seeded shuffles. Unlike impurity importance it
 * is measured on held-out rows and is not biased towards features with many distinct values.
 */
import { deriveSeed, Rng } from '../../util/random';
import type { Matrix, TrainedModel } from '../model';
import { accuracy, r2 } from './oob';

/** Validation rows used at most (a seeded sample beyond that keeps the cost bounded). */
const MAX_ROWS = 5000;

function score(model: TrainedModel, x: Matrix, y: ArrayLike<number>): number {
  const out = model.predict(x);
  return model.task === 'classification' ? accuracy(out, y, model.nClasses) : r2(out, y);
}

/**
 * Mean drop of the model's score per feature when that feature is shuffled (`repeats` times, each
 * shuffle seeded from `seed`, the feature and the repeat). `y` holds class indices or values.
 * Uses at most 5,000 rows of `x` (a seeded sample). Returns one value per feature.
 */
export function permutationImportance(model: TrainedModel, x: Matrix, y: Float32Array, seed: number, repeats = 3): Float64Array {
  const { cols } = x;
  let rows = x.rows;
  let data = Float32Array.from(x.data);
  let target: Float32Array = y;
  if (rows > MAX_ROWS) {
    const pick = new Rng(seed).permutation(rows).subarray(0, MAX_ROWS);
    data = new Float32Array(MAX_ROWS * cols);
    target = new Float32Array(MAX_ROWS);
    pick.forEach((r, i) => {
      data.set(x.data.subarray(r * cols, (r + 1) * cols), i * cols);
      target[i] = y[r];
    });
    rows = MAX_ROWS;
  }
  const m: Matrix = { data, rows, cols };
  const baseline = score(model, m, target);
  const out = new Float64Array(cols);
  const column = new Float32Array(rows);
  for (let f = 0; f < cols; f++) {
    for (let r = 0; r < rows; r++) column[r] = data[r * cols + f];
    let drop = 0;
    for (let k = 0; k < repeats; k++) {
      const perm = new Rng(deriveSeed(seed, f, k)).permutation(rows);
      for (let r = 0; r < rows; r++) data[r * cols + f] = column[perm[r]];
      drop += baseline - score(model, m, target);
    }
    for (let r = 0; r < rows; r++) data[r * cols + f] = column[r];
    out[f] = drop / repeats;
  }
  return out;
}
