/**
 * The `forest` model kind: random forests and extremely randomised trees on histogram bins, for
 * classification and regression, with native missing values, out-of-bag score, impurity and
 * permutation importance, and parallel fitting by tree ranges. See DESIGN.md ("Tree ensembles
 * are our own code").
 */
import type { ModelKind } from '../model';
import { treeKind } from '../trees/kind';
import { decodeForest } from './artifact';
import { fitForest, prepareForest } from './fit';
import { ForestModel, type ForestState } from './model';
import { forestPart, mergeForests, splitParams } from './parallel';
import { type ForestParams, parseParams } from './params';
import { forestPlan } from './plan';

export type { ForestParams } from './params';
export { ForestModel } from './model';
export { permutationImportance } from './importance';

/** Trees of one forest spread over threads: each part fits a range of tree indices, the parts concatenate. */
const parallel = { split: splitParams, prepare: prepareForest, part: forestPart, merge: (parts: unknown[]) => mergeForests(parts as ForestState[]) };

export const forestKind: ModelKind<ForestParams> = treeKind('forest', {
  parse: parseParams,
  plan: forestPlan,
  fit: fitForest,
  load: (a) => new ForestModel(decodeForest(a)),
  parallel,
});
