/**
 * Parameters of the `forest` kind: defaults (scikit-learn's where they make sense), validation at
 * the boundary, and the task-dependent choices (`maxFeatures`, `criterion`) resolved at fit time.
 */
import { paramChecker, paramsObject } from '../param-check';
import type { Task } from '../model';

export type MaxFeatures = 'sqrt' | 'log2' | 'all' | number;
export type Criterion = 'gini' | 'entropy' | 'mse';

export interface ForestParams {
  /** Trees in the forest (in this part, for a part of a parallel fit). Default 100. */
  nEstimators: number;
  /** Deepest node level (root = 0); null grows until leaves are pure or too small. Default null. */
  maxDepth: number | null;
  /** A node with fewer (distinct, bootstrapped) rows is not split. Default 2. */
  minSamplesSplit: number;
  /** Each child of a split keeps at least this many rows. Default 1. */
  minSamplesLeaf: number;
  /**
   * Features drawn per split: 'sqrt', 'log2', 'all', a fraction in (0, 1] of the features (1 = all),
   * or an integer count ≥ 2. null: 'sqrt' for classification, 'all' for regression.
   */
  maxFeatures: MaxFeatures | null;
  /** 'gini' | 'entropy' (classification), 'mse' (regression); null picks gini / mse by task. */
  criterion: Criterion | null;
  /** Each tree sees a bootstrap sample (n draws with replacement). Default true. */
  bootstrap: boolean;
  /** Value bins per feature, 2..255 (one more code is reserved for missing). Default 255. */
  maxBins: number;
  /** Extremely randomised trees: one random threshold per drawn feature. Default false. */
  extraTrees: boolean;
  /** 'balanced' weighs classes by n / (nClasses · count). Default null (all rows weigh 1). */
  classWeight: null | 'balanced';
  /** Out-of-bag score (accuracy or R²) from the rows each tree did not see. Default true. */
  oobScore: boolean;
  /**
   * Impurity importance is always computed (it is free). 'permutation' also measures permutation
   * importance on `ctx.validation` when the fit is given one: it costs about 3 × nFeatures
   * predictions of up to 5,000 rows, often more than the fit, hence not the default.
   */
  importance: 'impurity' | 'permutation';
  /**
   * Parallel parts only (set by `parallel.split`): index of this part's first tree in the whole
   * forest, and the whole forest's tree count. Tree i is seeded by deriveSeed(seed, i).
   */
  treeOffset: number;
  totalTrees: number | null;
}

export const DEFAULT_PARAMS: Readonly<ForestParams> = Object.freeze({
  nEstimators: 100,
  maxDepth: null,
  minSamplesSplit: 2,
  minSamplesLeaf: 1,
  maxFeatures: null,
  criterion: null,
  bootstrap: true,
  maxBins: 255,
  extraTrees: false,
  classWeight: null,
  oobScore: true,
  importance: 'impurity',
  treeOffset: 0,
  totalTrees: null,
});

const NAMES = Object.keys(DEFAULT_PARAMS);
const check = paramChecker('forest');
/** Set by `parallel.split` for the parts of a forest fitted over threads; not a user's to give. */
export const INTERNAL_PARAMS = ['treeOffset', 'totalTrees'] as const;

/** Merges defaults into user parameters and validates every one (BAD_MODEL_PARAMS otherwise). */
export function parseParams(raw: unknown): ForestParams {
  const given = paramsObject('forest', raw, NAMES, INTERNAL_PARAMS);
  const p: ForestParams = { ...DEFAULT_PARAMS };
  const has = (k: keyof ForestParams): boolean => given[k] !== undefined;
  if (has('nEstimators')) p.nEstimators = check.int('nEstimators', given.nEstimators, 1, 100_000);
  if (has('maxDepth')) p.maxDepth = given.maxDepth === null ? null : check.int('maxDepth', given.maxDepth, 1, 10_000);
  if (has('minSamplesSplit')) p.minSamplesSplit = check.int('minSamplesSplit', given.minSamplesSplit, 2);
  if (has('minSamplesLeaf')) p.minSamplesLeaf = check.int('minSamplesLeaf', given.minSamplesLeaf, 1);
  if (has('maxFeatures') && given.maxFeatures !== null) p.maxFeatures = maxFeatures(given.maxFeatures);
  if (has('criterion') && given.criterion !== null) {
    p.criterion = check.oneOf('criterion', given.criterion, ['gini', 'entropy', 'mse'] as const);
  }
  if (has('bootstrap')) p.bootstrap = check.bool('bootstrap', given.bootstrap);
  if (has('maxBins')) p.maxBins = check.int('maxBins', given.maxBins, 2, 255);
  if (has('extraTrees')) p.extraTrees = check.bool('extraTrees', given.extraTrees);
  if (has('classWeight') && given.classWeight !== null) p.classWeight = check.oneOf('classWeight', given.classWeight, ['balanced'] as const);
  if (has('oobScore')) p.oobScore = check.bool('oobScore', given.oobScore);
  if (has('importance')) p.importance = check.oneOf('importance', given.importance, ['impurity', 'permutation'] as const);
  if (has('treeOffset')) p.treeOffset = check.int('treeOffset', given.treeOffset, 0);
  if (has('totalTrees') && given.totalTrees !== null) p.totalTrees = check.int('totalTrees', given.totalTrees, 1);
  if (p.totalTrees !== null && p.treeOffset + p.nEstimators > p.totalTrees) {
    throw check.bad('treeOffset', p.treeOffset, `trees ${p.treeOffset}..${p.treeOffset + p.nEstimators - 1} lie outside a forest of ${p.totalTrees}`);
  }
  return p;
}

function maxFeatures(value: unknown): MaxFeatures {
  if (value === 'sqrt' || value === 'log2' || value === 'all') return value;
  if (typeof value === 'number' && value > 0 && (value <= 1 || Number.isInteger(value))) return value;
  throw check.bad('maxFeatures', value, "use 'sqrt', 'log2', 'all', a fraction in (0, 1] or an integer count ≥ 2");
}

/** The number of features drawn per split, for `nFeatures` columns and this task. */
export function resolveMaxFeatures(p: ForestParams, task: Task, nFeatures: number): number {
  const m = p.maxFeatures ?? (task === 'classification' ? 'sqrt' : 'all');
  let k: number;
  if (m === 'sqrt') k = Math.floor(Math.sqrt(nFeatures));
  else if (m === 'log2') k = Math.floor(Math.log2(nFeatures));
  else if (m === 'all') k = nFeatures;
  else if (m <= 1) k = Math.floor(m * nFeatures);
  else k = m;
  return Math.min(nFeatures, Math.max(1, k));
}

/** The split criterion for this task; BAD_MODEL_PARAMS when it belongs to the other task. */
export function resolveCriterion(p: ForestParams, task: Task): Criterion {
  const c = p.criterion ?? (task === 'classification' ? 'gini' : 'mse');
  if (task === 'classification' && c === 'mse') throw check.bad('criterion', c, "a classification forest uses 'gini' or 'entropy'");
  if (task === 'regression' && c !== 'mse') throw check.bad('criterion', c, "a regression forest uses 'mse'");
  return c;
}
