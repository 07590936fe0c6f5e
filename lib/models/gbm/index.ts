/**
 * The `gbm` model kind: histogram gradient boosting (second-order splits, L2 leaf regularisation)
 * on the forest's binning, for classification (binary log loss, softmax) and regression (squared
 * error, pseudo-Huber), with learned missing-value directions, early stopping on the job's
 * validation rows, gain and permutation importance. Prediction is the forest's tree walk.
 *
 * The pieces data-parallel training reuses are plain functions over typed arrays:
 * objectives.ts (derivatives), histogram.ts (node histograms, subtraction, sums),
 * split.ts (best split from a histogram, leaf values).
 */
import type { ModelKind } from '../model';
import { treeKind } from '../trees/kind';
import { decodeGbm } from './artifact';
import { fitGbm } from './fit';
import { GbmModel } from './model';
import { type GbmParams, parseParams, planFit } from './params';

export type { GbmParams } from './params';
export { GbmModel } from './model';

export const gbmKind: ModelKind<GbmParams> = treeKind('gbm', {
  parse: parseParams,
  plan: planFit,
  fit: fitGbm,
  load: (a) => new GbmModel(decodeGbm(a)),
  team: true,
});
