/**
 * One gbm fit on a team of pool threads (core/team.ts): the artifact is the same bytes for 1, 2 and
 * 3 threads; a fit that waits takes threads back from a running team; a cancelled team frees all.
 */
import { createHash } from 'node:crypto';
import { TEAM_MIN_CELLS } from '../../../lib/models/gbm/hist-kernel';
import { WorkerPool } from '../../../lib/workers/pool';
import type { FitJob } from '../../../lib/workers/protocol';

/** A seeded binary set: 24 features, some noise, some interactions (so trees of depth 5 have work). */
function dataset(rows: number, cols = 24, seed = 7): FitJob['train'] {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const x = new Float32Array(rows * cols);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) x[r * cols + c] = c % 5 === 4 ? Math.floor(rand() * 7) : rand() * 10 - 5;
    const v = x[r * cols] * x[r * cols + 1] + Math.sin(x[r * cols + 2]) * 3 - x[r * cols + 3] + x[r * cols + 4] + (rand() - 0.5) * 4;
    y[r] = v > 0 ? 1 : 0;
  }
  return { x, rows, cols, y };
}

function gbmJob(rows: number, params: Record<string, unknown> = {}): FitJob {
  const train = dataset(rows);
  return {
    kind: 'gbm',
    params: { nEstimators: 30, maxDepth: 5, ...params },
    seed: 3,
    task: 'classification',
    nClasses: 2,
    classes: ['no', 'yes'],
    features: Array.from({ length: train.cols }, (_, i) => ({ name: `f${i}`, kind: 'numeric' as const })),
    train,
  };
}

const sha = (a: Uint8Array): string => createHash('sha256').update(a).digest('hex');

describe('a gbm fit on a team of threads', () => {
  let pool: WorkerPool;
  beforeAll(() => {
    pool = new WorkerPool({ size: 3 });
  });
  afterAll(() => pool.close());

  it('gives the byte-identical artifact on 1, 2 and 3 threads', async () => {
    // Nodes of ≥ TEAM_MIN_CELLS rows × features are built by the team: here the top levels.
    const job = gbmJob(120_000, { nEstimators: 15 });
    const one = await pool.fit(job, { threads: 1 });
    const two = await pool.fit(job, { threads: 2 });
    const three = await pool.fit(job, { threads: 3 });
    expect([one.threads, two.threads, three.threads]).toEqual([1, 2, 3]);
    expect(sha(two.artifact)).toBe(sha(one.artifact));
    expect(sha(three.artifact)).toBe(sha(one.artifact));
    expect(pool.stats()).toMatchObject({ busy: 0, queued: 0 });
  }, 120_000);

  it('a multiclass fit with a validation set is identical too', async () => {
    const base = gbmJob(60_000, { nEstimators: 6 });
    const y = new Float32Array(base.train.rows);
    for (let r = 0; r < y.length; r++) y[r] = Math.min(2, Math.floor(Math.abs(base.train.x[r * base.train.cols]) / 1.7));
    const validation = dataset(3000, base.train.cols, 11);
    expect(base.train.rows * base.train.cols).toBeGreaterThanOrEqual(TEAM_MIN_CELLS);
    const job: FitJob = { ...base, nClasses: 3, classes: ['a', 'b', 'c'], train: { ...base.train, y }, validation };
    const one = await pool.fit(job, { threads: 1 });
    const three = await pool.fit(job, { threads: 3 });
    expect(three.threads).toBe(3);
    expect(sha(three.artifact)).toBe(sha(one.artifact));
  }, 120_000);

  it('a fit that arrives while a team holds every thread starts at once: the team gives one back', async () => {
    const big = pool.fit(gbmJob(60_000, { nEstimators: 300 }), { threads: 3 });
    let bigDone = false;
    void big.then(() => (bigDone = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(pool.stats()).toMatchObject({ busy: 3 });
    const small = await pool.fit(gbmJob(2_000, { nEstimators: 5 }), { threads: 1 });
    expect(small.artifact.length).toBeGreaterThan(0);
    expect(bigDone).toBe(false);
    const first = await big;
    expect(first.threads).toBe(3);
    expect(pool.stats()).toMatchObject({ busy: 0, queued: 0 });
  }, 120_000);

  it('a cancelled team fit frees every thread it held', async () => {
    const abort = new AbortController();
    const fit = pool.fit(gbmJob(60_000, { nEstimators: 600 }), { threads: 3, signal: abort.signal });
    await new Promise((r) => setTimeout(r, 300));
    abort.abort();
    await expect(fit).rejects.toMatchObject({ code: 'CANCELLED' });
    for (let i = 0; i < 50 && pool.stats().busy > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(pool.stats()).toMatchObject({ busy: 0, queued: 0 });
  }, 120_000);
});
