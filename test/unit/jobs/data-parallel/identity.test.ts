/**
 * Issue 13: a data-parallel forest is the same model whatever the number of shards and whichever
 * rows each shard holds: byte-identical artifacts and equal predictions for 1, 2, 3 and 4 shards,
 * over direct calls and over the bytes wire format; the artifact loads and predicts through the
 * ordinary forest kind.
 */
import { irisSplit } from '../../../../fixtures/datasets';
import { forestKind } from '../../../../lib/models/forest';
import type { ForestModel } from '../../../../lib/models/forest';
import { accuracy, r2 } from '../../../../lib/models/forest/oob';
import { encodeArtifact } from '../../../../lib/core/container';
import type { TrainingSet } from '../../../../lib/models/model';
import { fitInProcess, type ForestCheckpoint, type InProcessFitOptions } from '../../../../lib/jobs/data-parallel';
import { Rng } from '../../../../lib/util/random';
import { synthetic } from '../../models/forest/fixtures';

async function fit(data: TrainingSet, params: Record<string, unknown>, shards: number, opts: InProcessFitOptions = {}): Promise<ForestModel> {
  return (await fitInProcess(data, forestKind.params(params), 1, shards, opts)).model;
}

const bytesOf = (m: ForestModel): Buffer => encodeArtifact(m.toArtifact());

describe('data-parallel forest: the same model for any sharding', () => {
  const { train, test } = irisSplit();

  it('Iris: identical artifacts and predictions for 1, 2, 3, 4 shards (rows path and histogram path)', async () => {
    for (const smallRows of [1000, 8]) {
      const params = { nEstimators: 30 };
      const one = await fit(train, params, 1, { smallRows });
      const ref = bytesOf(one);
      const pred = one.predict(test.x);
      for (const n of [2, 3, 4]) {
        const m = await fit(train, params, n, { smallRows });
        expect(bytesOf(m).equals(ref)).toBe(true);
        expect(m.predict(test.x)).toEqual(pred);
      }
      // measured: 0.90 (smallRows 1000) and 0.92 (smallRows 8); the one-node forest: 0.90
      expect(accuracy(pred, test.y, 3)).toBeGreaterThanOrEqual(0.88);
    }
  });

  it('any assignment of rows to shards, and the bytes wire format, give the same artifact', async () => {
    const params = { nEstimators: 20, maxFeatures: 2 };
    const ref = bytesOf(await fit(train, params, 1, { smallRows: 8 }));
    const rng = new Rng(5);
    const assignment = Int32Array.from({ length: train.x.rows }, () => rng.int(3));
    expect(bytesOf(await fit(train, params, 3, { smallRows: 8, assignment })).equals(ref)).toBe(true);
    expect(bytesOf(await fit(train, params, 4, { smallRows: 8, bytes: true })).equals(ref)).toBe(true);
  });

  it('loads back through forestKind and predicts identically', async () => {
    const m = await fit(train, { nEstimators: 10 }, 3, { smallRows: 8 });
    const loaded = forestKind.load(m.toArtifact()) as ForestModel;
    expect(loaded.predict(test.x)).toEqual(m.predict(test.x));
    expect(loaded.nTrees).toBe(10);
  });

  it('regression with missing values: identical for 1..4 shards, and fits the signal', async () => {
    const data = synthetic({ rows: 3000, seed: 11, task: 'regression' });
    const hold = synthetic({ rows: 1000, seed: 12, task: 'regression' });
    const params = { nEstimators: 12, minSamplesLeaf: 3 };
    const one = await fit(data, params, 1, { smallRows: 200 });
    const ref = bytesOf(one);
    for (const n of [2, 3, 4]) {
      const m = await fit(data, params, n, { smallRows: 200, bytes: n === 4 });
      expect(bytesOf(m).equals(ref)).toBe(true);
    }
    // measured: R² 0.9849 on the held-out set (the one-node forest with the same params: 0.9846)
    expect(r2(one.predict(hold.x), hold.y)).toBeGreaterThan(0.975);
  });

  it('trees do not depend on the batch size; a fit resumed from a checkpoint makes the undisturbed forest', async () => {
    for (const data of [train, synthetic({ rows: 2000, seed: 13, task: 'regression' })]) {
      const params = { nEstimators: 23 };
      const ref = bytesOf(await fit(data, params, 2, { smallRows: 40 }));
      expect(bytesOf(await fit(data, params, 3, { smallRows: 40, treesPerBatch: 4 })).equals(ref)).toBe(true);
      const saved: ForestCheckpoint[] = [];
      const withCheckpoints = await fit(data, params, 2, {
        smallRows: 40,
        checkpointEvery: 5,
        checkpoint: async (c) => void saved.push(JSON.parse(JSON.stringify(c))),
      });
      expect(saved.map((c) => c.trees)).toEqual([5, 10, 15, 20]);
      expect(bytesOf(withCheckpoints).equals(ref)).toBe(true);
      for (const resume of [saved[0], saved[3]]) expect(bytesOf(await fit(data, params, 3, { smallRows: 40, resume })).equals(ref)).toBe(true);
      await expect(fit(data, { nEstimators: 5 }, 1, { resume: saved[1] })).rejects.toThrow(/checkpoint of 10 trees does not fit this job/);
    }
  });

  it('entropy and a depth limit, in classification with missing values', async () => {
    const data = synthetic({ rows: 2000, seed: 3 });
    const params = { nEstimators: 8, criterion: 'entropy', maxDepth: 6 };
    const ref = bytesOf(await fit(data, params, 1, { smallRows: 100 }));
    expect(bytesOf(await fit(data, params, 3, { smallRows: 100 })).equals(ref)).toBe(true);
  });

  it('refuses the parameters this preview does not support, naming them, and bad targets', async () => {
    await expect(fit(train, { extraTrees: true }, 2)).rejects.toThrow(/extraTrees.*data-parallel/);
    await expect(fit(train, { classWeight: 'balanced' }, 2)).rejects.toThrow(/classWeight/);
    const bad = synthetic({ rows: 50, seed: 1, task: 'regression' });
    bad.y[7] = NaN;
    await expect(fit(bad, {}, 2)).rejects.toThrow(/row 7: target NaN is not a finite number/);
  });
});
