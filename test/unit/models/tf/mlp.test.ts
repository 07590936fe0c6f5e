/**
 * Issue 4 (model part): the `mlp` kind — accuracy with fixed seeds and splits, learning curves,
 * determinism, tensor hygiene, early stopping, dropout, cancellation.
 */
import * as tf from '@tensorflow/tfjs';
import { accuracy, head, irisSplit, letterSplit } from '../../../../fixtures/tf-data';
import { QuorumError } from '../../../../lib/errors';
import { resolveModelKind } from '../../../../lib/models/kinds';
import type { FitProgress, TrainedModel } from '../../../../lib/models/model';
import { initBackend } from '../../../../lib/models/tf/backend';
import { mlpKind } from '../../../../lib/models/tf/mlp';

const letter = letterSplit();
const iris = irisSplit();

beforeAll(async () => {
  await initBackend();
});

describe('mlp kind', () => {
  it('is registered lazily under its name', () => {
    expect(resolveModelKind('mlp')).toBe(mlpKind);
    expect(mlpKind.input).toBe('dense');
  });

  it('classifies Iris (seed 1, 100/50 split) above 90 %', async () => {
    // Measured 0.94 for seeds 1, 2 and 3 (wasm backend).
    const model = await mlpKind.fit(iris.train, mlpKind.params({ hidden: [16], epochs: 60, learningRate: 0.01, batchSize: 16 }), { seed: 1 });
    const probs = model.predict(iris.test.x);
    expect(probs.length).toBe(50 * 3);
    for (let r = 0; r < 50; r++) expect(probs[r * 3] + probs[r * 3 + 1] + probs[r * 3 + 2]).toBeCloseTo(1, 5);
    expect(accuracy(probs, iris.test.y, 3)).toBeGreaterThanOrEqual(0.9);
    model.dispose();
  });

  it('classifies Letter from 4,000 rows in 10 epochs above 81 % and reports a learning curve', async () => {
    // Measured 0.837 (seed 1) and 0.840 (seed 2) on the 4,000 test rows.
    const progress: FitProgress[] = [];
    const model = await mlpKind.fit(head(letter.train, 4000), mlpKind.params({ epochs: 10, learningRate: 0.005 }), {
      seed: 1,
      validation: { x: letter.test.x, y: letter.test.y },
      onProgress: (p) => progress.push(p),
    });
    expect(accuracy(model.predict(letter.test.x), letter.test.y, 26)).toBeGreaterThanOrEqual(0.81);
    expect(progress.map((p) => p.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(progress[9].fraction).toBe(1);
    for (const key of ['loss', 'accuracy', 'valLoss', 'valAccuracy']) expect(Number.isFinite(progress[9].metrics![key])).toBe(true);
    expect(progress[9].metrics!.loss).toBeLessThan(progress[0].metrics!.loss);
    const summary = model.summary() as { curve: unknown[]; layers: number[]; parameters: number };
    expect(summary.curve).toHaveLength(10);
    expect(summary.layers).toEqual([16, 64, 26]);
    expect(summary.parameters).toBe(16 * 64 + 64 + 64 * 26 + 26);
    expect((model.toArtifact().header.curve as unknown[]).length).toBe(10);
    model.dispose();
  });

  it('gives the same model for the same seed and a different one for another seed', async () => {
    const params = mlpKind.params({ hidden: [8], epochs: 5, dropout: 0.2 });
    const fit = (seed: number): Promise<TrainedModel> => mlpKind.fit(iris.train, params, { seed });
    const [a, b, c] = [await fit(3), await fit(3), await fit(4)];
    const pa = a.predict(iris.test.x);
    expect(b.predict(iris.test.x)).toEqual(pa);
    expect(c.predict(iris.test.x)).not.toEqual(pa);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('leaves no tensor behind after fit, predict and dispose', async () => {
    const before = tf.memory().numTensors;
    const model = await mlpKind.fit(head(letter.train, 2000), mlpKind.params({ hidden: [32, 16], epochs: 2, dropout: 0.1, l2: 1e-4 }), {
      seed: 1,
      validation: { x: head(letter.test, 500).x, y: head(letter.test, 500).y },
    });
    expect(tf.memory().numTensors).toBe(before);
    model.predict(letter.test.x);
    model.predict(head(letter.test, 10).x);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(['relu', 'tanh', 'sigmoid', 'elu'])('trains with the %s activation', async (activation) => {
    const params = mlpKind.params({ hidden: [16], activation, epochs: 60, learningRate: 0.01, batchSize: 16 });
    const model = await mlpKind.fit(iris.train, params, { seed: 2 });
    // Measured on this split, seed 2: relu 0.94, tanh 0.92, sigmoid 0.94, elu 0.92.
    expect(accuracy(model.predict(iris.test.x), iris.test.y, 3)).toBeGreaterThanOrEqual(0.86);
    model.dispose();
  });

  it('stops early on a plateau of the validation loss and keeps the best weights', async () => {
    // A large learning rate on 300 Letter rows over-fits within a few epochs.
    const params = mlpKind.params({ hidden: [64], epochs: 200, learningRate: 0.02, earlyStopping: { patience: 3, minDelta: 0 } });
    const model = await mlpKind.fit(head(letter.train, 300), params, { seed: 1, validation: { x: letter.test.x, y: letter.test.y } });
    const s = model.summary() as { epochs: number; bestEpoch: number; stoppedEarly: boolean; curve: { valLoss: number }[] };
    expect(s.stoppedEarly).toBe(true);
    expect(s.epochs).toBeLessThan(200);
    expect(s.epochs - s.bestEpoch).toBe(3);
    const best = Math.min(...s.curve.map((p) => p.valLoss));
    expect(s.curve[s.bestEpoch - 1].valLoss).toBe(best);
    model.dispose();
  });

  it('holds out a validation split for early stopping when none is given', async () => {
    const params = mlpKind.params({ epochs: 3, earlyStopping: true, validationFraction: 0.2 });
    const model = await mlpKind.fit(iris.train, params, { seed: 1 });
    const s = model.summary() as { rows: number; curve: { valLoss?: number }[] };
    expect(s.rows).toBe(80);
    expect(s.curve.every((p) => Number.isFinite(p.valLoss))).toBe(true);
    model.dispose();
  });

  it('throws CANCELLED when asked to stop between epochs', async () => {
    let epochs = 0;
    const fit = mlpKind.fit(iris.train, mlpKind.params({ epochs: 50 }), {
      seed: 1,
      onProgress: () => epochs++,
      isCancelled: () => epochs >= 2,
    });
    await expect(fit).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(epochs).toBe(2);
  });

  it('refuses non-finite features and out-of-range labels with BAD_VALUE', async () => {
    const x = iris.train.x.data.slice();
    x[5 * 4 + 2] = NaN;
    const withNaN = { ...iris.train, x: { ...iris.train.x, data: x } };
    await expect(mlpKind.fit(withNaN, mlpKind.params({}), { seed: 1 })).rejects.toThrow(/row 5, column 2 \('petal_length'\) is NaN/);
    const y = iris.train.y.slice();
    y[0] = 7;
    await expect(mlpKind.fit({ ...iris.train, y }, mlpKind.params({}), { seed: 1 })).rejects.toThrow(QuorumError);
  });
});
