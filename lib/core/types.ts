/**
 * The shapes every layer shares: a task, a row-major float matrix, what a feature column is. They
 * live on the ground floor so that data, metrics and models can all use them without one layer
 * importing another.
 */

export type Task = 'classification' | 'regression';

/** Row-major float matrix: value (r, c) is `data[r * cols + c]`. NaN marks a missing value. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

export type FeatureKind = 'numeric' | 'categorical';

export interface FeatureInfo {
  name: string;
  kind: FeatureKind;
  /** Categorical features hold codes 0..cardinality-1 (as floats); NaN when missing. */
  cardinality?: number;
}
