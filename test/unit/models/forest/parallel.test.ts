/**
 * Issue 3 (random forest): determinism and parallel fitting. Tree i draws from deriveSeed(seed, i)
 * alone, so a forest split into parts (threads) and merged equals the single-thread forest.
 */
import { QuorumError } from '../../../../lib/errors';
import { forestKind, type ForestModel } from '../../../../lib/models/forest';
import { decodeArtifact, encodeArtifact } from '../../../../lib/core/container';
import type { TrainingSet } from '../../../../lib/models/model';
import { WorkerPool } from '../../../../lib/workers/pool';
import { synthetic } from './fixtures';

const data = synthetic({ rows: 1500, seed: 21 });
const probe = synthetic({ rows: 400, seed: 22 }).x;

async function fit(params: Record<string, unknown>, seed = 17, set: TrainingSet = data): Promise<ForestModel> {
  return (await forestKind.fit(set, forestKind.params(params), { seed })) as ForestModel;
}

const bytes = (m: ForestModel): Buffer => encodeArtifact(m.toArtifact());

describe('forest determinism and parallel fitting (issue 3)', () => {
  it('gives identical forests for the same seed and different ones for another seed', async () => {
    for (const params of [{ nEstimators: 8 }, { nEstimators: 8, extraTrees: true, classWeight: 'balanced' }]) {
      const a = await fit(params);
      const b = await fit(params);
      expect(bytes(a).equals(bytes(b))).toBe(true);
      expect(bytes(a).equals(bytes(await fit(params, 18)))).toBe(false);
    }
  });

  it('split into parts, fitted one by one and merged, equals the single fit', async () => {
    for (const params of [{ nEstimators: 10 }, { nEstimators: 10, extraTrees: true }, { nEstimators: 7, criterion: 'entropy' }]) {
      const whole = await fit(params);
      const parts = forestKind.parallel!.split(forestKind.params(params), 3);
      expect(parts.map((p) => [p.treeOffset, p.nEstimators])).toEqual(
        params.nEstimators === 10
          ? [
              [0, 4],
              [4, 3],
              [7, 3],
            ]
          : [
              [0, 3],
              [3, 2],
              [5, 2],
            ],
      );
      // Parts travel as artifacts (as from worker threads) and arrive in any order.
      const models = [];
      for (const p of parts.reverse()) {
        const part = await forestKind.fit(data, p, { seed: 17 });
        models.push(forestKind.load(decodeArtifact(encodeArtifact(part.toArtifact()))));
      }
      const merged = forestKind.parallel!.merge(models) as ForestModel;
      expect(merged.predict(probe)).toEqual(whole.predict(probe));
      expect(merged.summary()).toEqual(whole.summary()); // includes the out-of-bag score
      expect(bytes(merged).equals(bytes(whole))).toBe(true);
    }
  });

  it('split + merge also holds for regression', async () => {
    const reg = synthetic({ rows: 800, seed: 5, task: 'regression' });
    const whole = await fit({ nEstimators: 6 }, 3, reg);
    const parts = forestKind.parallel!.split(forestKind.params({ nEstimators: 6 }), 2);
    const merged = forestKind.parallel!.merge(await Promise.all(parts.map((p) => forestKind.fit(reg, p, { seed: 3 }))));
    expect(bytes(merged as ForestModel).equals(bytes(whole))).toBe(true);
  });

  it('refuses to merge parts that do not make one forest', async () => {
    const parts = forestKind.parallel!.split(forestKind.params({ nEstimators: 6 }), 3);
    const fitted = await Promise.all(parts.map((p) => forestKind.fit(data, p, { seed: 1 })));
    expect(() => forestKind.parallel!.merge([fitted[0], fitted[2]])).toThrow(/trees from 2 are missing or doubled/);
    const other = await forestKind.fit(synthetic({ rows: 300, seed: 99 }), parts[1], { seed: 1 });
    expect(() => forestKind.parallel!.merge([fitted[0], other, fitted[2]])).toThrow(/bin edges differ/);
    // A merge of some parts is itself a part: no out-of-bag score until every tree is in.
    const half = forestKind.parallel!.merge([fitted[0], fitted[1]]) as ForestModel;
    expect(half.summary().oobScore).toBeNull();
    expect((forestKind.parallel!.merge([half, fitted[2]]) as ForestModel).summary().oobScore).toBeGreaterThan(0.8);
  });

  it('fits on 2 worker threads (the pool) into the same forest', async () => {
    const pool = new WorkerPool({ size: 2 });
    try {
      const params = { nEstimators: 12 };
      const result = await pool.fit(
        {
          kind: 'forest',
          params,
          seed: 17,
          task: data.task,
          nClasses: data.nClasses,
          classes: data.classes,
          features: data.features,
          train: { x: data.x.data, rows: data.x.rows, cols: data.x.cols, y: data.y },
        },
        { threads: 2 },
      );
      expect(result.threads).toBe(2);
      const whole = await fit(params);
      expect(Buffer.from(result.artifact).equals(bytes(whole))).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('reports progress by trees and stops between trees when cancelled', async () => {
    const fractions: number[] = [];
    await forestKind.fit(data, forestKind.params({ nEstimators: 40 }), { seed: 1, onProgress: (p) => fractions.push(p.fraction) });
    expect(fractions).toHaveLength(20);
    expect(fractions[fractions.length - 1]).toBe(1);
    expect(fractions.every((f, i) => i === 0 || f > fractions[i - 1])).toBe(true);

    let polls = 0;
    let err: unknown;
    try {
      await forestKind.fit(data, forestKind.params({ nEstimators: 40 }), { seed: 1, isCancelled: () => ++polls > 3 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QuorumError);
    expect((err as QuorumError).code).toBe('CANCELLED');
    expect((err as QuorumError).message).toMatch(/after 3 of 40 trees/);
  });
});
