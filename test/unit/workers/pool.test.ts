import { WorkerPool } from '../../../lib/workers/pool';
import { decodeArtifact } from '../../../lib/core/container';
import { resolveModelKind } from '../../../lib/models/kinds';
import type { FitJob } from '../../../lib/workers/protocol';

function job(kind: string, params: unknown = {}): FitJob {
  const rows = 6;
  return {
    kind,
    params,
    seed: 1,
    task: 'classification',
    nClasses: 3,
    features: [{ name: 'a', kind: 'numeric' }],
    train: { x: new Float32Array(rows), rows, cols: 1, y: new Float32Array([0, 0, 0, 1, 1, 2]) },
  };
}

describe('worker pool', () => {
  let pool: WorkerPool;
  beforeAll(() => {
    pool = new WorkerPool({ size: 2 });
  });
  afterAll(() => pool.close());

  it('fits in a worker thread and returns a loadable artifact', async () => {
    const result = await pool.fit(job('baseline'));
    const model = resolveModelKind('baseline').load(decodeArtifact(result.artifact));
    const p = model.predict({ data: new Float32Array(1), rows: 1, cols: 1 });
    expect(Array.from(p).map((v) => +v.toFixed(3))).toEqual([0.5, 0.333, 0.167]);
    expect(pool.stats()).toEqual({ size: 2, busy: 0, queued: 0 });
  });

  it('brings errors back with their catalogue code and keeps working', async () => {
    await expect(pool.fit(job('baseline', { nope: 1 }))).rejects.toMatchObject({ code: 'BAD_MODEL_PARAMS' });
    await expect(pool.fit(job('no-such-kind'))).rejects.toMatchObject({ code: 'UNKNOWN_MODEL_KIND' });
    const many = await Promise.all(Array.from({ length: 5 }, () => pool.fit(job('baseline'))));
    expect(many).toHaveLength(5);
  });

  it('predicts on a thread', async () => {
    const fitted = await pool.fit(job('baseline'));
    const out = await pool.predict({ artifact: fitted.artifact, x: new Float32Array(4), rows: 2, cols: 2 });
    expect(out).toHaveLength(6);
  });

  it('refuses work after close', async () => {
    const p = new WorkerPool({ size: 1 });
    await p.close();
    await expect(p.fit(job('baseline'))).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('worker pool under memory pressure (issue 7)', () => {
  it('a fit that exhausts its thread heap fails alone with FIT_FAILED; the pool goes on', async () => {
    const pool = new WorkerPool({ size: 1, maxHeapMb: 32 });
    try {
      // Two million feature descriptions: the thread's heap (32 MB) cannot hold them.
      const wide: FitJob = { ...job('baseline'), features: Array.from({ length: 2_000_000 }, (_, i) => ({ name: `feature-${i}`, kind: 'numeric' as const })) };
      await expect(pool.fit(wide)).rejects.toMatchObject({ code: 'FIT_FAILED', message: expect.stringMatching(/out of memory/) });
      // The thread was replaced: the pool still fits.
      const small = await pool.fit(job('baseline'));
      expect(small.artifact.length).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  }, 60_000);
});
