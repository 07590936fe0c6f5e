/**
 * Issue 17: what a job would cost, and the data-dependent checks, before it is accepted.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ingestCsv } from '../../../lib/data/ingest';
import type { IngestResult } from '../../../lib/data/table';
import { planModelFit } from '../../../lib/models/kinds';
import { checkBudget } from '../../../lib/training/budget';
import type { JobState } from '../../../lib/training/job';
import { JobStore } from '../../../lib/training/job-store';
import { checkRequest } from '../../../lib/training/prepare';
import { normaliseRequest, type TrainRequest } from '../../../lib/training/request';

const LIMITS = { fitMemoryBytes: 8192 * 1024 * 1024, maxMembers: 1024 };
let iris: IngestResult;
beforeAll(async () => {
  iris = await ingestCsv((async function* () {
    yield readFileSync(path.join(__dirname, '../../../data/iris.csv'));
  })());
});

const check = (request: Partial<TrainRequest>, limits = LIMITS) => {
  const normalised = normaliseRequest({ dataset: 'iris', target: 'class', ...request } as TrainRequest);
  const checked = checkRequest(iris.table, iris.profile, normalised);
  checkBudget(iris.table, iris.profile, normalised, checked, limits);
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

  it('names the estimate and the limit', () => {
    expect(() => check({ model: { kind: 'mlp', params: { hidden: [8192, 8192] } } }, { ...LIMITS, fitMemoryBytes: 64 * 2 ** 20 })).toThrow(/estimated at [\d,]+ MB, over the limit of 64 MB \(FIT_MEMORY_MB\)/);
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
