/**
 * Parameters of the `knn` kind (scikit-learn's vocabulary), validated at the boundary, and the
 * shape check run before a job is accepted: the model holds its shard's rows, so a shard over
 * `maxRows` is refused with the fix (more shards).
 */
import { paramChecker, paramsObject } from '../param-check';
import type { DataShape, FitPlan } from '../model';

export const KNN_METRICS = ['euclidean', 'manhattan', 'cosine'] as const;
export const KNN_ALGORITHMS = ['auto', 'brute', 'kdtree'] as const;

export interface KnnParams {
  /** Neighbours that vote, 1..1000. Default 5. */
  k: number;
  /** 'uniform': each neighbour counts once; 'distance': by 1 / distance (an exact match takes all). */
  weights: 'uniform' | 'distance';
  metric: (typeof KNN_METRICS)[number];
  /** 'auto': a k-d tree for 256 rows or more of up to 32 features, else brute force; or forced. */
  algorithm: (typeof KNN_ALGORITHMS)[number];
  /** Rows per k-d tree leaf, 1..10,000. Default 16. */
  leafSize: number;
  /** Most rows one member may hold (the model is its rows). Default 1,000,000. */
  maxRows: number;
}

export const KNN_DEFAULTS: Readonly<KnnParams> = Object.freeze({
  k: 5,
  weights: 'uniform',
  metric: 'euclidean',
  algorithm: 'auto',
  leafSize: 16,
  maxRows: 1_000_000,
});

const KEYS = Object.keys(KNN_DEFAULTS);

export function knnParams(raw: unknown): KnnParams {
  const given = paramsObject('knn', raw, KEYS);
  const check = paramChecker('knn');
  const p = { ...KNN_DEFAULTS, ...given } as KnnParams;
  return {
    k: check.int('k', p.k, 1, 1000),
    weights: check.oneOf('weights', p.weights, ['uniform', 'distance'] as const),
    metric: check.oneOf('metric', p.metric, KNN_METRICS),
    algorithm: check.oneOf('algorithm', p.algorithm, KNN_ALGORITHMS),
    leafSize: check.int('leafSize', p.leafSize, 1, 10_000),
    maxRows: check.int('maxRows', p.maxRows, 1, 50_000_000),
  };
}

/** Rows below which `auto` scans them all (a tree does not pay for itself). */
export const TREE_MIN_ROWS = 256;

/** Whether a k-d tree serves the queries: it prunes well in few dimensions and pays off on many rows. */
export function usesTree(p: Pick<KnnParams, 'algorithm'>, features: number, rows: number): boolean {
  return p.algorithm === 'kdtree' || (p.algorithm === 'auto' && features <= 32 && rows >= TREE_MIN_ROWS);
}

export function knnPlan(p: KnnParams, shape: DataShape): FitPlan {
  if (shape.rows > p.maxRows) {
    throw paramChecker('knn').bad(
      'maxRows',
      p.maxRows,
      `a knn member keeps its shard's rows, and this shard has ${shape.rows}: use more shards (each at most ${p.maxRows} rows, e.g. rowsPerShard: ${p.maxRows}) or raise maxRows`,
    );
  }
  // The rows (and a reordered copy for the tree, or normalised for cosine), labels, tree nodes.
  // The model is its rows: the artifact holds them, a loaded one rebuilds the tree beside them.
  const memoryBytes = shape.rows * (shape.features * 4 * 2 + 16) + Math.ceil(shape.rows / p.leafSize) * 2 * 24;
  return { memoryBytes, modelBytes: shape.rows * (shape.features * 4 + 4), loadedBytes: memoryBytes, seconds: shape.rows * Math.log2(shape.rows + 1) * 50e-9 };
}

export const knnParamsCheck = { params: knnParams, plan: knnPlan };
