/**
 * A forest's fit planned before it starts ({@link ModelKind.plan}): the criterion checked against
 * the task (so `criterion: 'mse'` on a classification target is refused before the job is
 * accepted), and a memory bound: trees × nodes, where a tree has at most
 * min(rows seen / minSamplesLeaf, 2^maxDepth) leaves; plus the binned matrix, the per-row
 * working arrays and the split histograms.
 */
import type { DataShape, FitPlan } from '../model';
import { type ForestParams, resolveCriterion } from './params';

/** Bytes of one node in the flat arrays (feature, bin, flags, right pointer, threshold, leaf slot), with growth slack. */
const NODE_BYTES = 48;

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
  return { memoryBytes: trees + bins + rowArrays + histograms };
}
