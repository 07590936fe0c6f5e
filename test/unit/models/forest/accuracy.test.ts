/**
 * Issue 3 (random forest): accuracy on real data with fixed seeds and fixed splits. Thresholds
 * sit a little below what was measured (noted beside each); scikit-learn's RandomForest reaches
 * 96.2 % on the same Letter split (mean of 8 seeds: 96.23 %, ours 96.26 %).
 */
import { houseSplit, irisSplit, letterSplit } from '../../../../fixtures/datasets';
import { forestKind } from '../../../../lib/models/forest';
import type { ForestModel } from '../../../../lib/models/forest';
import { accuracy, r2 } from '../../../../lib/models/forest/oob';
import type { TrainingSet } from '../../../../lib/models/model';

async function fit(train: TrainingSet, params: Record<string, unknown>, seed = 1): Promise<ForestModel> {
  return (await forestKind.fit(train, forestKind.params(params), { seed })) as ForestModel;
}

function rmse(pred: Float32Array, y: Float32Array): number {
  let se = 0;
  for (let i = 0; i < y.length; i++) se += (pred[i] - y[i]) ** 2;
  return Math.sqrt(se / y.length);
}

describe('forest accuracy (issue 3)', () => {
  it('classifies Iris (seeded 100/50 split)', async () => {
    const { train, test } = irisSplit();
    const model = await fit(train, {});
    // measured: 0.90 test accuracy (45 of 50), out-of-bag 0.94
    expect(accuracy(model.predict(test.x), test.y, 3)).toBeGreaterThanOrEqual(0.88);
    expect(model.summary().oobScore).toBeGreaterThanOrEqual(0.92);
  });

  describe('Letter (first 16,000 train, last 4,000 test)', () => {
    const { train, test } = letterSplit();

    it('reaches scikit-learn accuracy with 100 trees and the defaults', async () => {
      const model = await fit(train, {});
      const probs = model.predict(test.x);
      // measured: 96.075 % (seed 1), out-of-bag 95.76 %
      expect(accuracy(probs, test.y, 26)).toBeGreaterThanOrEqual(0.958);
      expect(model.summary().oobScore).toBeGreaterThanOrEqual(0.955);
      // probabilities: rows sum to 1
      for (let r = 0; r < 50; r++) {
        let sum = 0;
        for (let k = 0; k < 26; k++) sum += probs[r * 26 + k];
        expect(sum).toBeCloseTo(1, 5);
      }
    });

    it('with entropy, with extra trees, with balanced class weights (10 trees each)', async () => {
      // measured with 10 trees: gini 93.2 %, entropy 93.3 %, extra trees 92.9 %, balanced 93.8 %
      const acc = async (params: Record<string, unknown>): Promise<number> =>
        accuracy((await fit(train, { nEstimators: 10, ...params })).predict(test.x), test.y, 26);
      expect(await acc({ criterion: 'entropy' })).toBeGreaterThanOrEqual(0.92);
      expect(await acc({ extraTrees: true })).toBeGreaterThanOrEqual(0.915);
      expect(await acc({ classWeight: 'balanced' })).toBeGreaterThanOrEqual(0.92);
      // measured 86.9 % with maxBins 4 instead of one bin per value (16): the trees split on bins
      const coarse = await acc({ maxBins: 4 });
      expect(coarse).toBeGreaterThan(0.85);
      expect(coarse).toBeLessThan(0.9);
    });
  });

  const house = houseSplit();
  if (!house) console.log('skipped: House Prices regression test: ../shared/data/house-prices-train.csv not found');
  (house ? it : it.skip)('regresses log SalePrice on House Prices (seeded 80/20 split, NA kept as missing)', async () => {
    const { train, test } = house!;
    const model = await fit(train, {});
    const pred = model.predict(test.x);
    // measured: RMSE 0.1709 (seed 1; mean of 8 seeds 0.1702, scikit-learn's 0.1707), R² 0.799
    expect(rmse(pred, test.y)).toBeLessThan(0.175);
    expect(r2(pred, test.y)).toBeGreaterThan(0.78);
    expect(model.summary().oobScore).toBeGreaterThan(0.85); // measured 0.880
    // 30 trees drawing sqrt(79) = 8 features per split: measured RMSE 0.1618
    expect(rmse((await fit(train, { nEstimators: 30, maxFeatures: 'sqrt' })).predict(test.x), test.y)).toBeLessThan(0.17);
  });
});
