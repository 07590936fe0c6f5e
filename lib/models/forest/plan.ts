/**
 * A forest's fit planned before it starts ({@link ModelKind.plan}): the criterion checked against
 * the task (so `criterion: 'mse'` on a classification target is refused before the job is
 * accepted), and a memory bound: trees × nodes, where a tree has at most
 * min(rows seen / minSamplesLeaf, 2^maxDepth) leaves; plus the binned matrix, the per-row
 * working arrays and the split histograms.
 */
import type { DataShape, FitPlan } from '../model';
import { type ForestParams, resolveCriterion, resolveMaxFeatures } from './params';

/** Bytes of one node in the flat arrays (feature, bin, flags, right pointer, threshold, leaf slot), with growth slack. */
const NODE_BYTES = 48;
/** Bytes of one node in the artifact (node, threshold, right pointer: measured 4.5–5) and of a leaf's class entry. */
const ARTIFACT_NODE_BYTES = 6;
const ARTIFACT_LEAF_ENTRY_BYTES = 5;
/**
 * Resident memory of a loaded tree model per artifact byte: 1,000 Letter trees, an 18.9 MB artifact,
 * took 60 MB loaded and 145 MB after a first prediction (the walk kernel's copy and its buffers).
 */
export const TREE_LOADED_PER_ARTIFACT_BYTE = 8;
const TREE_LOADED_FIXED_BYTES = 2 * 1024 * 1024;
/** Seconds per row × level × feature tried, and per node × feature × bin scanned (Letter, 100 trees: 1.3 s measured). */
const ROW_LEVEL_FEATURE_S = 10e-9;
const NODE_BIN_S = 1e-9;

export function forestPlan(params: ForestParams, shape: DataShape): FitPlan {
  resolveCriterion(params, shape.task);
  const seen = params.bootstrap ? Math.ceil(shape.rows * 0.632) : shape.rows; // distinct rows of a bootstrap sample
  let leaves = Math.max(1, Math.floor(seen / Math.max(1, params.minSamplesLeaf)));
  if (params.maxDepth !== null) leaves = Math.min(leaves, 2 ** Math.min(params.maxDepth, 40));
  const nodes = 2 * leaves - 1;
  const leafBytes = shape.task === 'classification' ? 8 * Math.min(shape.nClasses, Math.max(1, params.minSamplesLeaf)) : 8;
  const trees = params.nEstimators * (nodes * NODE_BYTES + leaves * leafBytes);
  const bins = shape.rows * shape.features; // one byte per value
  const rowArrays = shape.rows * 16; // indices, weights, targets
  const histograms = shape.features * (params.maxBins + 1) * Math.max(3, shape.nClasses) * 8 * 2;
  // The model as it comes out: a classification tree stops at pure leaves, about 5 rows each
  // (Letter: 10,100 distinct rows per tree, 2,088 leaves); a regression tree splits to minSamplesLeaf.
  let grown = Math.max(1, Math.floor(seen / Math.max(params.minSamplesLeaf, shape.task === 'classification' ? 5 : 1)));
  if (params.maxDepth !== null) grown = Math.min(grown, 2 ** Math.min(params.maxDepth, 40));
  const entries = shape.task === 'classification' ? Math.min(Math.max(1, shape.nClasses), Math.max(1, params.minSamplesLeaf)) : 1;
  const modelBytes = params.nEstimators * ((2 * grown - 1) * ARTIFACT_NODE_BYTES + grown * entries * ARTIFACT_LEAF_ENTRY_BYTES);
  // Levels: a balanced tree's depth, twice over for the imbalance of real trees, within maxDepth.
  const levels = Math.min(params.maxDepth ?? Infinity, 2 * Math.ceil(Math.log2(grown + 1)));
  const tried = resolveMaxFeatures(params, shape.task, shape.features);
  const seconds = params.nEstimators * (seen * levels * tried * ROW_LEVEL_FEATURE_S + (2 * grown - 1) * tried * (params.maxBins + 1) * NODE_BIN_S);
  return {
    memoryBytes: trees + bins + rowArrays + histograms,
    modelBytes,
    loadedBytes: modelBytes * TREE_LOADED_PER_ARTIFACT_BYTE + TREE_LOADED_FIXED_BYTES,
    seconds,
  };
}
