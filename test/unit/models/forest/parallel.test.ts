/**
 * Issue 3 (random forest): determinism and parallel fitting. Tree i draws from deriveSeed(seed, i)
 * alone, so a forest split into parts (threads) and merged equals the single-thread forest.
 * Issue 31: the parts share one binning and travel as plain data; 1, 2 and 3 threads still give
 * the same bytes.
 */
import { createHash } from 'node:crypto';
import { QuorumError } from '../../../../lib/errors';
import { forestKind, type ForestModel } from '../../../../lib/models/forest';
import { encodeArtifact } from '../../../../lib/core/container';
import type { TrainedModel, TrainingSet } from '../../../../lib/models/model';
import { WorkerPool } from '../../../../lib/workers/pool';
import type { FitJob } from '../../../../lib/workers/protocol';
import { synthetic } from './fixtures';

const data = synthetic({ rows: 1500, seed: 21 });
const probe = synthetic({ rows: 400, seed: 22 }).x;

async function fit(params: Record<string, unknown>, seed = 17, set: TrainingSet = data): Promise<ForestModel> {
  return (await forestKind.fit(set, forestKind.params(params), { seed })) as ForestModel;
}

const bytes = (m: ForestModel): Buffer => encodeArtifact(m.toArtifact());
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const parallel = forestKind.parallel!;
/** Merges fitted parts as the pool does, after their trip from a thread (a structured clone). */
const merge = (models: TrainedModel[]): ForestModel => parallel.merge(models.map((m) => structuredClone(parallel.part(m)))) as ForestModel;

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
      const parts = parallel.split(forestKind.params(params), 3);
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
      // Parts arrive in any order.
      const models = [];
      for (const p of parts.reverse()) models.push(await forestKind.fit(data, p, { seed: 17 }));
      const merged = merge(models);
      expect(merged.predict(probe)).toEqual(whole.predict(probe));
      expect(merged.summary()).toEqual(whole.summary()); // includes the out-of-bag score
      expect(bytes(merged).equals(bytes(whole))).toBe(true);
    }
  });

  it('split + merge also holds for regression', async () => {
    const reg = synthetic({ rows: 800, seed: 5, task: 'regression' });
    const whole = await fit({ nEstimators: 6 }, 3, reg);
    const parts = parallel.split(forestKind.params({ nEstimators: 6 }), 2);
    const merged = merge(await Promise.all(parts.map((p) => forestKind.fit(reg, p, { seed: 3 }))));
    expect(bytes(merged).equals(bytes(whole))).toBe(true);
  });

  it('parts on one shared binning (parallel.prepare) equal the single fit', async () => {
    for (const [set, params] of [
      [data, { nEstimators: 9, maxBins: 16 }],
      [synthetic({ rows: 700, seed: 8, task: 'regression' }), { nEstimators: 5, extraTrees: true }],
    ] as const) {
      const whole = await fit(params, 4, set);
      const p = forestKind.params(params);
      const shared = parallel.prepare!(set, p, 4);
      const parts = await Promise.all(parallel.split(p, 3).map((part) => forestKind.fit(set, part, { seed: 4, shared })));
      expect(bytes(merge(parts)).equals(bytes(whole))).toBe(true);
    }
  });

  it('refuses to merge parts that do not make one forest', async () => {
    const parts = parallel.split(forestKind.params({ nEstimators: 6 }), 3);
    const fitted = await Promise.all(parts.map((p) => forestKind.fit(data, p, { seed: 1 })));
    expect(() => merge([fitted[0], fitted[2]])).toThrow(/trees from 2 are missing or doubled/);
    const other = await forestKind.fit(synthetic({ rows: 300, seed: 99 }), parts[1], { seed: 1 });
    expect(() => merge([fitted[0], other, fitted[2]])).toThrow(/bin edges differ/);
    // A merge of some parts is itself a part: no out-of-bag score until every tree is in.
    const half = merge([fitted[0], fitted[1]]);
    expect(half.summary().oobScore).toBeNull();
    expect(merge([half, fitted[2]]).summary().oobScore).toBeGreaterThan(0.8);
  });

  it('fits on 1, 2 and 3 worker threads into byte-identical artifacts (issue 31)', async () => {
    const pool = new WorkerPool({ size: 3 });
    const reg = synthetic({ rows: 900, seed: 6, task: 'regression' });
    const job = (set: TrainingSet, params: Record<string, unknown>, validation?: TrainingSet): FitJob => ({
      kind: 'forest',
      params,
      seed: 11,
      task: set.task,
      nClasses: set.nClasses,
      classes: set.classes,
      features: set.features,
      train: { x: set.x.data, rows: set.x.rows, cols: set.x.cols, y: set.y },
      validation: validation && { x: validation.x.data, rows: validation.x.rows, cols: validation.x.cols, y: validation.y },
    });
    const cases: Array<[FitJob, number]> = [
      [job(data, { nEstimators: 10 }), 3],
      [job(data, { nEstimators: 7, extraTrees: true, criterion: 'entropy', classWeight: 'balanced', maxBins: 32 }), 3],
      [job(reg, { nEstimators: 8 }), 3],
      [job(reg, { nEstimators: 6, bootstrap: false, maxFeatures: 0.5, minSamplesLeaf: 3 }), 3],
      // One tree and permutation importance (which needs the whole forest) do not split.
      [job(data, { nEstimators: 1 }), 1],
      [job(data, { nEstimators: 4, importance: 'permutation' }, synthetic({ rows: 300, seed: 23 })), 1],
    ];
    try {
      for (const [j, most] of cases) {
        const whole = await forestKind.fit(
          {
            task: j.task,
            x: { data: j.train.x, rows: j.train.rows, cols: j.train.cols },
            y: j.train.y,
            nClasses: j.nClasses,
            classes: j.classes,
            features: j.features,
          },
          forestKind.params(j.params),
          { seed: j.seed, validation: j.validation && { x: { data: j.validation.x, rows: j.validation.rows, cols: j.validation.cols }, y: j.validation.y } },
        );
        const expected = sha(bytes(whole as ForestModel));
        for (const threads of [1, 2, 3]) {
          const result = await pool.fit(j, { threads });
          expect(result.threads).toBe(Math.min(threads, most));
          expect(sha(result.artifact)).toBe(expected);
          expect(result.summary).toEqual(whole.summary());
        }
      }
    } finally {
      await pool.close();
    }
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
