/**
 * Parameters of the `gbm` kind in the scikit-learn / XGBoost vocabulary: defaults, and validation
 * at the boundary (paramChecker: unknown keys refused, every value's range named).
 */
import { paramChecker, paramsObject } from '../param-check';
import type { DataShape, FitPlan, Task } from '../model';
import { TREE_LOADED_PER_ARTIFACT_BYTE } from '../forest/plan';
import type { Objective, ObjectiveName } from './objectives';

export interface GbmParams {
  /** Boosting rounds (trees per class for softmax). Default 100. */
  nEstimators: number;
  /** Shrinkage of every leaf, 0 < x ≤ 1. Default 0.1. */
  learningRate: number;
  /** Deepest level of a tree (root = 0), 1..64. Default 6. */
  maxDepth: number;
  /** Most leaves per tree with best-first growth; null: no limit (depth-wise trees). Default null. */
  maxLeaves: number | null;
  /** Minimum hessian sum in a child (rows for squared error). Default 1. */
  minChildWeight: number;
  /** L2 regularisation of leaf values. Default 1. */
  lambda: number;
  /** Minimum loss reduction of a split. Default 0. */
  gamma: number;
  /** Fraction of rows each round sees (seeded per row and round), 0 < x ≤ 1. Default 1. */
  subsample: number;
  /** Fraction of features each tree may split on, 0 < x ≤ 1. Default 1. */
  colsampleByTree: number;
  /** Value bins per feature, 2..255 (one more code is missing). Default 255. */
  maxBins: number;
  /**
   * Stop after this many rounds without a better validation loss and keep the best round; null:
   * run every round. Needs the job's validation rows (without them every round runs). Default null.
   */
  earlyStopping: number | null;
  /** 'balanced' weighs classes by n / (classes · count). Default null. */
  classWeight: null | 'balanced';
  /** null: `logistic` (2 classes), `softmax` (more), `squared` (regression); `huber` for robust regression. */
  objective: ObjectiveName | null;
  /** δ of the pseudo-Huber loss (the residual where it turns linear). Default 1. */
  huberDelta: number;
  /**
   * Every row's starting prediction (XGBoost's base_score): a target value for a regression, a
   * probability of the second class (0 < x < 1) for a binary one; null: the best constant (the
   * mean target, the class frequency). Not for softmax, whose equal starting margins any score
   * would give. Default null.
   */
  baseScore: number | null;
  /** 'gain' (free, always kept) or also 'permutation' on the validation rows. Default 'gain'. */
  importance: 'gain' | 'permutation';
  /** Overrides the job's seed for this model; null: the job's. Default null. */
  seed: number | null;
}

export const DEFAULT_PARAMS: Readonly<GbmParams> = Object.freeze({
  nEstimators: 100,
  learningRate: 0.1,
  maxDepth: 6,
  maxLeaves: null,
  minChildWeight: 1,
  lambda: 1,
  gamma: 0,
  subsample: 1,
  colsampleByTree: 1,
  maxBins: 255,
  earlyStopping: null,
  classWeight: null,
  objective: null,
  huberDelta: 1,
  baseScore: null,
  importance: 'gain',
  seed: null,
});

const NAMES = Object.keys(DEFAULT_PARAMS);
const check = paramChecker('gbm');
const OBJECTIVES = ['logistic', 'softmax', 'squared', 'huber'] as const;

/** Merges defaults into user parameters and validates every one (BAD_MODEL_PARAMS otherwise). */
export function parseParams(raw: unknown): GbmParams {
  const given = paramsObject('gbm', raw, NAMES);
  const p: GbmParams = { ...DEFAULT_PARAMS };
  const has = (k: keyof GbmParams): boolean => given[k] !== undefined;
  const nullable = (k: keyof GbmParams): boolean => has(k) && given[k] !== null;
  if (has('nEstimators')) p.nEstimators = check.int('nEstimators', given.nEstimators, 1, 100_000);
  if (has('learningRate')) p.learningRate = check.num('learningRate', given.learningRate, 0, 1, { minExclusive: true });
  if (has('maxDepth')) p.maxDepth = check.int('maxDepth', given.maxDepth, 1, 64);
  if (nullable('maxLeaves')) p.maxLeaves = check.int('maxLeaves', given.maxLeaves, 2, 65_536);
  if (has('minChildWeight')) p.minChildWeight = check.num('minChildWeight', given.minChildWeight, 0, 1e9);
  if (has('lambda')) p.lambda = check.num('lambda', given.lambda, 0, 1e9);
  if (has('gamma')) p.gamma = check.num('gamma', given.gamma, 0, 1e9);
  if (has('subsample')) p.subsample = check.num('subsample', given.subsample, 0, 1, { minExclusive: true });
  if (has('colsampleByTree')) p.colsampleByTree = check.num('colsampleByTree', given.colsampleByTree, 0, 1, { minExclusive: true });
  if (has('maxBins')) p.maxBins = check.int('maxBins', given.maxBins, 2, 255);
  if (nullable('earlyStopping')) p.earlyStopping = check.int('earlyStopping', given.earlyStopping, 1, 100_000);
  if (nullable('classWeight')) p.classWeight = check.oneOf('classWeight', given.classWeight, ['balanced'] as const);
  if (nullable('objective')) p.objective = check.oneOf('objective', given.objective, OBJECTIVES);
  if (has('huberDelta')) p.huberDelta = check.num('huberDelta', given.huberDelta, 0, 1e12, { minExclusive: true });
  if (nullable('baseScore')) p.baseScore = check.num('baseScore', given.baseScore, -1e12, 1e12);
  if (has('importance')) p.importance = check.oneOf('importance', given.importance, ['gain', 'permutation'] as const);
  if (nullable('seed')) p.seed = check.int('seed', given.seed, 0, 0xffffffff);
  if (p.lambda === 0 && p.minChildWeight === 0) {
    throw check.bad('lambda', 0, 'use lambda > 0 or minChildWeight > 0 (with both 0 an empty-hessian leaf has no value)');
  }
  return p;
}

/** The objective for this task and class count; BAD_MODEL_PARAMS when it belongs to the other task. */
export function resolveObjective(p: GbmParams, task: Task, nClasses: number): ObjectiveName {
  if (task === 'regression') {
    const o = p.objective ?? 'squared';
    if (o !== 'squared' && o !== 'huber') throw check.bad('objective', o, "a regression uses 'squared' or 'huber'");
    if (p.classWeight !== null) throw check.bad('classWeight', p.classWeight, 'classWeight is for classification; leave it null for a regression');
    return o;
  }
  const auto = nClasses <= 2 ? 'logistic' : 'softmax';
  const o = p.objective ?? auto;
  if (o === 'squared' || o === 'huber') throw check.bad('objective', o, "a classification uses 'logistic' (2 classes) or 'softmax'");
  if (o === 'logistic' && nClasses > 2) throw check.bad('objective', o, `'logistic' is for 2 classes, this target has ${nClasses}: use 'softmax'`);
  // softmax with 2 classes works (two trees per round); 1 class falls to softmax (nothing to learn).
  const name = nClasses < 2 ? 'softmax' : o;
  if (p.baseScore !== null) {
    if (name === 'softmax')
      throw check.bad(
        'baseScore',
        p.baseScore,
        'baseScore is for a regression or a binary (logistic) classification; softmax starts every class at the same margin whatever the score: leave it null',
      );
    if (!(p.baseScore > 0 && p.baseScore < 1))
      throw check.bad('baseScore', p.baseScore, 'for a binary classification baseScore is a probability of the second class, 0 < x < 1');
  }
  return name;
}

/** Every row's starting margins: from baseScore when given (a logistic one as log-odds), else the objective's best constant. */
export function startMargin(p: GbmParams, objective: Objective, y: Float32Array, weight: Float64Array | null): Float64Array {
  if (p.baseScore === null) return objective.baseMargin(y, weight);
  return Float64Array.of(objective.name === 'logistic' ? Math.log(p.baseScore / (1 - p.baseScore)) : p.baseScore);
}

/**
 * Data-shape checks and the fit's memory estimate: per value the codes twice (row- and
 * column-major) and the histogram slot (2 bytes, 4 past 32,768 bins); per row and output the
 * margin and derivatives; per row a tree's values, the index, scratch and sample lists; and the
 * histograms alive at once.
 */
export function planFit(p: GbmParams, shape: DataShape): FitPlan {
  resolveObjective(p, shape.task, shape.nClasses);
  const outputs = shape.task === 'classification' && shape.nClasses > 2 ? shape.nClasses : 1;
  const slotBytes = 2 * shape.features * (p.maxBins + 1) > 0x10000 ? 4 : 2;
  const perRow = shape.features * (2 + slotBytes) + outputs * (8 + 4 + 4) + 8 + 3 * 4 + 1;
  const histBytes = 16 * shape.features * (p.maxBins + 1);
  const liveHists = p.maxLeaves ?? p.maxDepth + 2;
  // The model: trees of at most min(2^maxDepth, maxLeaves, rows / 2) leaves (a split needs hessian
  // on both sides); an artifact node is 5 bytes, a leaf value 4.
  const leaves = Math.max(1, Math.min(2 ** Math.min(p.maxDepth, 40), p.maxLeaves ?? Infinity, Math.floor(shape.rows / 2)));
  const trees = p.nEstimators * outputs;
  const modelBytes = trees * ((2 * leaves - 1) * 5 + leaves * 4);
  // Time: every row once per level per feature (histogram builds, half of them by subtraction), and
  // every node's histogram scanned for its split (1M × 20 rows, 100 rounds, depth 6: 9 s measured).
  const levels = Math.min(p.maxDepth, Math.ceil(Math.log2(leaves + 1)) * 2);
  const seconds =
    trees *
    (shape.rows * p.subsample * shape.features * p.colsampleByTree * levels * ROW_LEVEL_FEATURE_S +
      (2 * leaves - 1) * shape.features * (p.maxBins + 1) * NODE_BIN_S);
  return {
    memoryBytes: shape.rows * perRow + liveHists * histBytes,
    modelBytes,
    loadedBytes: modelBytes * TREE_LOADED_PER_ARTIFACT_BYTE + 2 * 1024 * 1024,
    seconds,
  };
}

/** Seconds per row × feature × level of a histogram build, and per node × feature × bin of a split search. */
const ROW_LEVEL_FEATURE_S = 0.7e-9;
const NODE_BIN_S = 0.5e-9;

/** The light entry the kinds registry loads to check a request without loading the fit code. */
export const gbmParamsCheck = { params: parseParams, plan: planFit };
