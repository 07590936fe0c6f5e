/**
 * Issue 17: what a job would cost, and the data-dependent checks, before it is accepted.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ingestCsv } from '../../../lib/data/ingest';
import type { IngestResult } from '../../../lib/data/table';
import { planModelFit } from '../../../lib/models/kinds';
import { checkBudget } from '../../../lib/jobs/budget';
import type { JobState } from '../../../lib/jobs/job';
import { JobStore } from '../../../lib/jobs/job-store';
import { checkRequest } from '../../../lib/jobs/prepare';
import { normaliseRequest, type TrainRequest } from '../../../lib/jobs/request';

const LIMITS = { fitMemoryBytes: 8192 * 1024 * 1024, maxMembers: 1024, fitTimeBudgetS: 3600, modelMemoryBytes: 2048 * 1024 * 1024 };
let iris: IngestResult;
let letter: IngestResult;
const read = (name: string) =>
  ingestCsv(
    (async function* () {
      yield readFileSync(path.join(__dirname, '../../../data', name));
    })(),
  );
beforeAll(async () => {
  iris = await read('iris.csv');
  letter = await read('letter-recognition.csv');
});

const check = (request: Partial<TrainRequest>, limits = LIMITS, data = () => iris, target = 'class') => {
  const set = data();
  const normalised = normaliseRequest({ dataset: 'd', target, ...request } as TrainRequest);
  const checked = checkRequest(set.table, set.profile, normalised);
  checkBudget(set.table, set.profile, normalised, checked, limits);
};

describe('fit plans', () => {
  it('an mlp of 16 layers of 8,192 is estimated in the tens of GB; the default one in a few MB', () => {
    const shape = { task: 'classification' as const, rows: 120, features: 4, nClasses: 3 };
    const huge = planModelFit('mlp', { hidden: Array(16).fill(8192) }, shape).memoryBytes;
    expect(huge).toBeGreaterThan(15 * 2 ** 30); // 15 layers of 8192² floats × 4 copies ≈ 16 GB
    expect(planModelFit('mlp', {}, shape).memoryBytes).toBeLessThan(10 * 2 ** 20);
    expect(planModelFit('linear', {}, { ...shape, rows: 1e6, features: 50 }).memoryBytes).toBeLessThan(1 * 2 ** 30);
  });

  it('a forest grows with trees × rows / minSamplesLeaf, bounded by maxDepth', () => {
    const shape = { task: 'regression' as const, rows: 1_000_000, features: 20, nClasses: 0 };
    const full = planModelFit('forest', { nEstimators: 100 }, shape).memoryBytes;
    const shallow = planModelFit('forest', { nEstimators: 100, maxDepth: 8 }, shape).memoryBytes;
    const leafy = planModelFit('forest', { nEstimators: 100, minSamplesLeaf: 50 }, shape).memoryBytes;
    expect(full).toBeGreaterThan(4 * 2 ** 30);
    expect(shallow).toBeLessThan(200 * 2 ** 20);
    expect(leafy).toBeLessThan(full / 20);
  });
});

describe('checks before the 202', () => {
  it('accepts an ordinary request', () => {
    expect(() => check({ model: 'forest', shards: 3 })).not.toThrow();
  });

  it.each<[string, Partial<TrainRequest>, string]>([
    ['a huge mlp', { model: { kind: 'mlp', params: { hidden: Array(16).fill(8192) } } }, 'FIT_TOO_LARGE'],
    ['65,536 members', { model: Array(64).fill('baseline'), assign: 'each', shards: 1024 }, 'TOO_MANY_MEMBERS'],
    ['hash sharding on no column', { sharding: 'hash:nope' }, 'UNKNOWN_COLUMN'],
    ['every feature ignored', { ignore: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] }, 'NO_FEATURES'],
    ['minShards over shards', { shards: 2, minShards: 3 }, 'BAD_REQUEST'],
    ["forest criterion 'mse' on a classification target", { model: { kind: 'forest', params: { criterion: 'mse' } } }, 'BAD_MODEL_PARAMS'],
  ])('refuses %s', (_what, request, code) => {
    expect(() => check(request)).toThrow(expect.objectContaining({ code }));
  });

  it("refuses what a model costs after its fit: 8,100 deep trees on Letter, 100,000 rounds of depth 64 (issue 29's reproductions)", () => {
    const forest = () => check({ model: { kind: 'forest', params: { nEstimators: 8100, maxDepth: 64 } } }, LIMITS, () => letter, 'lettr');
    expect(forest).toThrow(
      expect.objectContaining({
        code: 'MODEL_TOO_LARGE',
        message: expect.stringMatching(/estimated to take [\d,]+ MB loaded for prediction and evaluation, over the limit of 2,048 MB \(MODEL_MEMORY_MB\)/),
      }),
    );
    expect(() => check({ model: { kind: 'gbm', params: { nEstimators: 100_000, maxDepth: 64 } } }, LIMITS, () => letter, 'lettr')).toThrow(
      expect.objectContaining({
        code: 'FIT_TOO_SLOW',
        message: expect.stringMatching(/estimated to fit in [\d.]+ h on one thread, over the budget of 60 min \(FIT_TIME_BUDGET_S\)/),
      }),
    );
    // The defaults stay well inside: a default forest and gbm on Letter, a 300-tree forest in 4 shards.
    expect(() => check({ model: 'forest' }, LIMITS, () => letter, 'lettr')).not.toThrow();
    expect(() => check({ model: 'gbm' }, LIMITS, () => letter, 'lettr')).not.toThrow();
    expect(() => check({ model: { kind: 'forest', params: { nEstimators: 300 } }, shards: 4 }, LIMITS, () => letter, 'lettr')).not.toThrow();
  });

  it('estimates follow measured fits within a small factor (Letter: forest 100 trees 1.3 s and 1.9 MB, gbm 50 rounds 1.3 s and 0.3 MB)', () => {
    const shape = { task: 'classification' as const, rows: 16000, features: 16, nClasses: 26 };
    const forest = planModelFit('forest', {}, shape);
    expect(forest.seconds).toBeGreaterThan(1.3 / 3);
    expect(forest.seconds).toBeLessThan(1.3 * 3);
    expect(forest.modelBytes).toBeGreaterThan(1.9e6 / 3);
    expect(forest.modelBytes).toBeLessThan(1.9e6 * 3);
    const gbm = planModelFit('gbm', { nEstimators: 50 }, shape);
    expect(gbm.seconds).toBeGreaterThan(1.3 / 3);
    expect(gbm.seconds).toBeLessThan(1.3 * 3);
    expect(gbm.modelBytes).toBeLessThan(0.31e6 * 4); // an upper bound: trees stop before 2^maxDepth leaves
  });

  it('names the estimate and the limit', () => {
    expect(() => check({ model: { kind: 'mlp', params: { hidden: [8192, 8192] } } }, { ...LIMITS, fitMemoryBytes: 64 * 2 ** 20 })).toThrow(
      /estimated at [\d,]+ MB, over the limit of 64 MB \(FIT_MEMORY_MB\)/,
    );
  });
});

describe('job file writes', () => {
  it('coalesces the saves of one job: 2,000 member updates cost a handful of writes, and the last state lands', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'quorum-jobs-'));
    try {
      const store = new JobStore(dir);
      const job = { id: 'job-x', createdAt: new Date().toISOString(), members: [] as { id: string }[] } as unknown as JobState & { members: { id: string }[] };
      const saves: Promise<void>[] = [];
      for (let i = 0; i < 2000; i++) {
        job.members.push({ id: `m${i}` });
        saves.push(store.save(job));
      }
      await Promise.all(saves);
      expect(store.writes).toBeLessThanOrEqual(3); // measured: 2
      expect(((await store.get('job-x')) as unknown as { members: unknown[] }).members).toHaveLength(2000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
