/**
 * Issue 29: a fit that runs past its wall-time budget (FIT_TIME_BUDGET_S, sent by the coordinator as
 * `timeBudgetMs`) is stopped and fails FIT_TIME_EXCEEDED, a client error the coordinator does not
 * retry; a fit within its budget is not touched.
 */
import { FitRunner, type FitRunnerPorts } from '../../../lib/trainer/fit-runner';
import type { FitSpec } from '../../../lib/trainer/fit-contract';
import type { WorkerPool } from '../../../lib/workers/pool';

/** A pool whose fit takes `ms` unless aborted first (then it rejects as a cancelled fit does). */
function slowPool(ms: number): WorkerPool {
  return {
    size: 1,
    fit: (_job: unknown, options: { signal?: AbortSignal }) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve({ artifact: new Uint8Array(8), summary: {}, fitMs: ms, threads: 1 }), ms);
        options.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(Object.assign(new Error('fit cancelled'), { code: 'CANCELLED' }));
        });
      }),
  } as unknown as WorkerPool;
}

const ports: FitRunnerPorts = {
  nodeID: 'n1',
  progress: () => undefined,
  store: async (_v, member) => ({ ...member, artifact: { size: 8, sha256: 'x' } }),
  keep: async () => undefined,
  changed: () => undefined,
  fitted: () => undefined,
  warn: () => undefined,
};

const spec = (timeBudgetMs?: number): FitSpec => ({
  job: 'j',
  version: 'v',
  member: 'm0',
  shard: 0,
  kind: 'baseline',
  params: {},
  seed: 1,
  task: 'classification',
  classes: ['a', 'b'],
  ...(timeBudgetMs ? { timeBudgetMs } : {}),
});
const load = async () => ({ train: { x: new Float32Array(2), rows: 1, cols: 2, y: new Float32Array(1) } as never, features: [] });

describe('fit wall-time budget (lib/trainer/fit-runner)', () => {
  it('stops a fit at its budget with FIT_TIME_EXCEEDED naming the budget; the slot is free again', async () => {
    const runner = new FitRunner(slowPool(5_000), ports);
    const started = Date.now();
    await expect(runner.run(spec(100), load)).rejects.toMatchObject({
      code: 'FIT_TIME_EXCEEDED',
      retryable: false,
      message: expect.stringContaining('FIT_TIME_BUDGET_S'),
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(runner.running.size).toBe(0);
  });

  it('leaves a fit within its budget (or without one) alone', async () => {
    const runner = new FitRunner(slowPool(50), ports);
    await expect(runner.run(spec(5_000), load)).resolves.toMatchObject({ node: 'n1' });
    await expect(runner.run(spec(), load)).resolves.toMatchObject({ node: 'n1' });
  });
});
