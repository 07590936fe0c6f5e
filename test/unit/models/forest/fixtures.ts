/**
 * Seeded synthetic data for the forest tests: a numeric signal, numeric noise, a categorical
 * feature (codes) that matters, and a numeric feature with missing values whose missingness
 * itself carries signal — what a native-missing tree must learn without imputation.
 */
import type { TrainingSet } from '../../../../lib/models/model';
import { Rng } from '../../../../lib/util/random';

export interface SyntheticOptions {
  rows: number;
  seed: number;
  task?: 'classification' | 'regression';
  /** Share of x3 values that are missing (default 0.3). */
  missing?: number;
}

export function synthetic({ rows, seed, task = 'classification', missing = 0.3 }: SyntheticOptions): TrainingSet {
  const rng = new Rng(seed);
  const cols = 4;
  const x = new Float32Array(rows * cols);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const x0 = rng.normal();
    const x1 = rng.normal();
    const x2 = rng.int(4);
    const x3 = rng.float() < missing ? NaN : rng.normal();
    x.set([x0, x1, x2, x3], r * cols);
    const score = x0 + (x2 === 2 ? 1.5 : 0) + (Number.isNaN(x3) ? 1 : 0.5 * x3);
    y[r] = task === 'classification' ? (score > 0.5 ? 1 : 0) : score + 0.1 * rng.normal();
  }
  return {
    task,
    x: { data: x, rows, cols },
    y,
    nClasses: task === 'classification' ? 2 : 0,
    classes: task === 'classification' ? ['no', 'yes'] : undefined,
    features: [
      { name: 'signal', kind: 'numeric' },
      { name: 'noise', kind: 'numeric' },
      { name: 'colour', kind: 'categorical', cardinality: 4 },
      { name: 'sometimes', kind: 'numeric' },
    ],
  };
}
