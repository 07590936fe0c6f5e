/**
 * Issue 3 / 6 (fast prediction): the forest's prediction walk (walk.ts: node records, eight rows in
 * lock step, arithmetic steps, missing values through a second row copy) must give exactly what
 * the plainest walk gives — the training bins' codes compared with each split's bin, one row and
 * one node at a time — for every row count (groups of eight and the rest), with missing values
 * going either way, ±Infinity, and for classification and regression.
 */
import { forestKind, type ForestModel } from '../../../../lib/models/forest';
import { binMatrix } from '../../../../lib/models/trees/binning';
import type { Matrix, TrainingSet } from '../../../../lib/models/model';
import { Rng } from '../../../../lib/util/random';
import { synthetic } from '../forest/fixtures';

/** The reference: bin the rows as training did, walk each tree by bin codes. */
function reference(model: ForestModel, x: Matrix): Float32Array {
  const { state } = model;
  const codes = binMatrix(x, state.bins);
  const { treeStart, feature, thrBin, missLeft, right, leafStart, leafClass, leafProb, leafValue } = state.nodes;
  // Leaf ids in node order across the forest.
  const leafId = new Int32Array(feature.length).fill(-1);
  for (let i = 0, l = 0; i < feature.length; i++) if (feature[i] < 0) leafId[i] = l++;
  const K = state.task === 'classification' ? state.nClasses : 1;
  const nTrees = treeStart.length - 1;
  const sums = new Float64Array(x.rows * K);
  for (let r = 0; r < x.rows; r++) {
    for (let t = 0; t < nTrees; t++) {
      let i = treeStart[t];
      while (feature[i] >= 0) {
        const f = feature[i];
        const code = codes[r * x.cols + f];
        const missing = code === state.bins.edgeStart[f + 1] - state.bins.edgeStart[f] + 1;
        const left = missing ? missLeft[i] === 1 : code <= thrBin[i];
        i = left ? i + 1 : treeStart[t] + right[i];
      }
      const leaf = leafId[i];
      if (K === 1 && leafValue) sums[r] += leafValue[leaf];
      else for (let j = leafStart![leaf]; j < leafStart![leaf + 1]; j++) sums[r * K + leafClass![j]] += leafProb![j];
    }
  }
  const inv = 1 / nTrees;
  return Float32Array.from(sums, (v) => v * inv);
}

/** Rows unlike the training rows: more missing values, ±Infinity, values outside the range seen. */
function awkwardRows(rows: number, seed: number): Matrix {
  const rng = new Rng(seed);
  const data = new Float32Array(rows * 4);
  for (let i = 0; i < data.length; i++) {
    const u = rng.float();
    data[i] = u < 0.15 ? NaN : u < 0.18 ? Infinity : u < 0.21 ? -Infinity : (rng.float() - 0.5) * 8;
  }
  return { data, rows, cols: 4 };
}

function missingDirections(model: ForestModel): { left: number; right: number } {
  const { feature, missLeft } = model.state.nodes;
  let left = 0;
  let right = 0;
  for (let i = 0; i < feature.length; i++) {
    if (feature[i] < 0) continue;
    if (missLeft[i]) left++;
    else right++;
  }
  return { left, right };
}

describe('forest prediction walk', () => {
  const cases: Array<[string, TrainingSet]> = [
    ['classification', synthetic({ rows: 1500, seed: 11 })],
    ['regression', synthetic({ rows: 1500, seed: 12, task: 'regression' })],
  ];
  for (const [name, data] of cases) {
    test(`${name}: identical to the reference walk for 0–17 and 1,003 rows`, async () => {
      const model = (await forestKind.fit(data, forestKind.params({ nEstimators: 12 }), { seed: 3 })) as ForestModel;
      // Both missing directions occur, so both row copies are read.
      const dirs = missingDirections(model);
      expect(dirs.left).toBeGreaterThan(0);
      expect(dirs.right).toBeGreaterThan(0);
      for (const rows of [0, 1, 7, 8, 9, 16, 17, 1003]) {
        const x = awkwardRows(rows, rows + 1);
        const got = model.predict(x);
        const want = reference(model, x);
        expect(got.length).toBe(want.length);
        expect(Array.from(got)).toEqual(Array.from(want));
      }
      // The training rows too (values exactly on the edges' sides).
      expect(Array.from(model.predict(data.x))).toEqual(Array.from(reference(model, data.x)));
    });
  }
});
