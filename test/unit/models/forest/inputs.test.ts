/**
 * Issue 3 (random forest): what the forest does with awkward inputs — missing values learned
 * natively, ±Infinity clamped to the extreme bins, degenerate training sets (one class, constant
 * or all-missing columns, one row, duplicate rows) — and the clear errors for the rest.
 */
import { QuorumError } from '../../../../lib/errors';
import { forestKind, type ForestModel } from '../../../../lib/models/forest';
import { accuracy } from '../../../../lib/models/forest/oob';
import type { FeatureInfo, TrainingSet } from '../../../../lib/models/model';
import { Rng } from '../../../../lib/util/random';
import { synthetic } from './fixtures';

function set(columns: number[][], y: number[], nClasses: number): TrainingSet {
  const rows = y.length;
  const cols = columns.length;
  const x = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) x[r * cols + c] = columns[c][r];
  const features: FeatureInfo[] = columns.map((_, c) => ({ name: `f${c}`, kind: 'numeric' }));
  return nClasses > 0
    ? { task: 'classification', x: { data: x, rows, cols }, y: Float32Array.from(y), nClasses, features }
    : { task: 'regression', x: { data: x, rows, cols }, y: Float32Array.from(y), nClasses: 0, features };
}

async function fit(data: TrainingSet, params: Record<string, unknown> = {}): Promise<ForestModel> {
  return (await forestKind.fit(data, forestKind.params({ nEstimators: 25, ...params }), { seed: 5 })) as ForestModel;
}

const row = (...values: number[]) => ({ data: Float32Array.from(values), rows: 1, cols: values.length });
const seq = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));

async function expectCode(p: Promise<unknown> | (() => unknown), code: string, message?: RegExp): Promise<void> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(QuorumError);
  expect((err as QuorumError).code).toBe(code);
  if (message) expect((err as QuorumError).message).toMatch(message);
}

describe('forest inputs (issue 3)', () => {
  describe('missing values, natively', () => {
    it('learns that missingness itself is the signal (no imputation needed)', async () => {
      const x = seq(400, (i) => (i % 2 ? NaN : (i % 7) - 3));
      const y = seq(400, (i) => i % 2);
      const model = await fit(set([x], y, 2));
      expect(model.predict(row(NaN))[1]).toBe(1);
      for (const v of [-3, 0, 3]) expect(model.predict(row(v))[0]).toBe(1);
    });

    it('sends an unseen missing value to the side that held most training rows', async () => {
      const x = seq(500, (i) => i / 500);
      const model = await fit(
        set(
          [x],
          x.map((v) => (v > 0.8 ? 1 : 0)),
          2,
        ),
      );
      expect(model.predict(row(NaN))[0]).toBeGreaterThan(0.9); // with the 80 % at x ≤ 0.8
    });

    it('fits the synthetic set (30 % missing in one feature, a categorical feature) well', async () => {
      const model = await fit(synthetic({ rows: 2000, seed: 1 }), { nEstimators: 50 });
      const test = synthetic({ rows: 1000, seed: 2 });
      // measured: 0.962 with 50 trees
      expect(accuracy(model.predict(test.x), test.y, 2)).toBeGreaterThan(0.94);
    });
  });

  it('clamps ±Infinity to the extreme bins, in training and in prediction', async () => {
    const x = [...seq(100, (i) => i), Infinity, Infinity, -Infinity, -Infinity];
    const y = [...seq(100, (i) => (i >= 50 ? 1 : 0)), 1, 1, 0, 0];
    const model = await fit(set([x], y, 2));
    expect(model.predict(row(Infinity))).toEqual(model.predict(row(99)));
    expect(model.predict(row(-Infinity))).toEqual(model.predict(row(0)));
    expect(model.predict(row(Infinity))[1]).toBe(1);
    // A model that never saw Infinity treats it as beyond the largest value.
    const plain = await fit(
      set(
        [seq(100, (i) => i)],
        seq(100, (i) => (i >= 50 ? 1 : 0)),
        2,
      ),
    );
    expect(plain.predict(row(Infinity))).toEqual(plain.predict(row(1e30)));
    expect(plain.predict(row(Infinity))[1]).toBe(1);
  });

  describe('degenerate training sets give sensible models', () => {
    it('one class present: certain of it, whatever the row', async () => {
      const model = await fit(
        set(
          [seq(30, (i) => i)],
          seq(30, () => 1),
          3,
        ),
      );
      expect(Array.from(model.predict(row(7)))).toEqual([0, 1, 0]);
      expect(model.summary().totalNodes).toBe(25); // every tree is a single leaf
    });

    it('constant and all-missing columns are never split on', async () => {
      const signal = seq(200, (i) => i);
      const model = await fit(
        set(
          [seq(200, () => 4), signal, seq(200, () => NaN)],
          signal.map((v) => (v < 100 ? 0 : 1)),
          2,
        ),
      );
      const imp = model.summary().featureImportances as Record<string, number>;
      expect(imp).toEqual({ f0: 0, f1: 1, f2: 0 });
      expect(model.predict(row(4, 150, 12))[1]).toBe(1); // a value in the all-missing column is fine
      const only = await fit(
        set(
          [seq(50, () => 2), seq(50, () => NaN)],
          seq(50, (i) => i % 2),
          2,
        ),
      );
      expect(only.summary().totalNodes).toBe(25);
      const p = only.predict(row(2, NaN));
      expect(p[0] + p[1]).toBeCloseTo(1, 6);
      expect(p[0]).toBeGreaterThan(0.3); // the bootstrap class shares
    });

    it('one row: predicts its class or value', async () => {
      expect(Array.from((await fit(set([[1.5]], [1], 2))).predict(row(0)))).toEqual([0, 1]);
      expect((await fit(set([[1.5]], [42], 0))).predict(row(9))[0]).toBe(42);
    });

    it('duplicate rows with different labels end in a mixed leaf', async () => {
      const model = await fit(
        set(
          [seq(40, () => 3), seq(40, () => 1)],
          seq(40, (i) => (i < 30 ? 0 : 1)),
          2,
        ),
        { bootstrap: false },
      );
      expect(Array.from(model.predict(row(3, 1)))).toEqual([0.75, 0.25]);
    });

    it('a constant regression target makes single-leaf trees', async () => {
      const model = await fit(
        set(
          [seq(60, (i) => i)],
          seq(60, () => 2.5),
          0,
        ),
      );
      expect(model.summary().totalNodes).toBe(25);
      expect(model.predict(row(10))[0]).toBe(2.5);
    });
  });

  it('predicts batches of any size, the same as row by row', async () => {
    const model = await fit(synthetic({ rows: 500, seed: 8 }), { nEstimators: 10 });
    const x = synthetic({ rows: 9000, seed: 9 }).x; // more than one chunk (8,192 rows for 2 classes)
    const all = model.predict(x);
    expect(all).toHaveLength(18000);
    for (const r of [0, 1023, 8191, 8192, 8999]) {
      expect(Array.from(model.predict({ data: x.data.subarray(r * 4, r * 4 + 4), rows: 1, cols: 4 }))).toEqual(Array.from(all.subarray(2 * r, 2 * r + 2)));
    }
    expect(model.predict({ data: new Float32Array(0), rows: 0, cols: 4 })).toHaveLength(0);
  });

  describe('clear errors', () => {
    const good = synthetic({ rows: 50, seed: 1 });
    const params = forestKind.params({ nEstimators: 2 });

    it('for empty sets, bad targets and mismatched shapes', async () => {
      await expectCode(
        forestKind.fit({ ...good, x: { data: new Float32Array(0), rows: 0, cols: 4 }, y: new Float32Array(0) }, params, { seed: 1 }),
        'TOO_FEW_ROWS',
      );
      await expectCode(forestKind.fit({ ...good, x: { data: new Float32Array(0), rows: 50, cols: 0 }, features: [] }, params, { seed: 1 }), 'NO_FEATURES');
      const y = good.y.slice();
      y[7] = 2;
      await expectCode(forestKind.fit({ ...good, y }, params, { seed: 1 }), 'BAD_VALUE', /row 7: class index 2 is not an integer in 0..1/);
      const reg = synthetic({ rows: 50, seed: 1, task: 'regression' });
      const ry = reg.y.slice();
      ry[3] = NaN;
      await expectCode(forestKind.fit({ ...reg, y: ry }, params, { seed: 1 }), 'BAD_VALUE', /row 3: regression target NaN/);
      await expectCode(forestKind.fit({ ...good, y: good.y.subarray(1) }, params, { seed: 1 }), 'BAD_VALUE', /49 targets for 50 rows/);
    });

    it('for parameters that do not fit the task', async () => {
      const reg = synthetic({ rows: 50, seed: 1, task: 'regression' });
      await expectCode(forestKind.fit(reg, forestKind.params({ classWeight: 'balanced' }), { seed: 1 }), 'BAD_MODEL_PARAMS', /classWeight/);
      await expectCode(forestKind.fit(reg, forestKind.params({ criterion: 'gini' }), { seed: 1 }), 'BAD_MODEL_PARAMS', /criterion.*'mse'/);
      await expectCode(forestKind.fit(good, forestKind.params({ criterion: 'mse' }), { seed: 1 }), 'BAD_MODEL_PARAMS', /'gini' or 'entropy'/);
    });

    it('for rows with the wrong number of columns', async () => {
      const model = await fit(good, { nEstimators: 2 });
      await expectCode(() => model.predict(row(1, 2, 3)), 'BAD_VALUE', /fitted on 4 features, got rows of 3/);
    });
  });

  it('turns heavy ties into one bin per value and estimates noisy labels per bin', async () => {
    const rng = new Rng(3);
    const x = seq(3000, () => rng.int(3));
    const y = x.map((v) => (rng.float() < 0.2 ? 1 - (v & 1) : v & 1)); // 20 % of labels flipped
    const model = await fit(set([x], y, 2), { nEstimators: 10 });
    expect(model.state.bins.edges).toEqual(Float32Array.from([0.5, 1.5]));
    expect(model.predict(row(1))[1]).toBeCloseTo(0.8, 1);
    expect(model.predict(row(2))[1]).toBeCloseTo(0.2, 1);
  });
});
