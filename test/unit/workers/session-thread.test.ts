/**
 * Issue 13: data-parallel shard sessions in a worker thread (needs `npm run build`): a fit over
 * two threads (as two trainers) gives the one-shard artifact; per-job close frees the sessions;
 * an idle session is swept; errors keep their codes.
 */
import { irisSplit } from '../../../fixtures/datasets';
import { forestKind } from '../../../lib/models/forest';
import { encodeArtifact } from '../../../lib/core/container';
import { HostPort, encodeBinnedShard, fitForestDataParallel, fitInProcess, binShards } from '../../../lib/jobs/data-parallel';
import { SessionThread } from '../../../lib/workers/session-thread';

describe('data-parallel session thread', () => {
  const { train } = irisSplit();
  const threads: SessionThread[] = [];
  afterAll(async () => {
    await Promise.all(threads.map((t) => t.terminate()));
  });

  it('fits over two threads like one shard, and frees the sessions when the job closes', async () => {
    threads.push(new SessionThread(60_000), new SessionThread(60_000));
    const p = forestKind.params({ nEstimators: 10 });
    const prepared = binShards(train, p.maxBins, 1, 3);
    const ports = prepared.shards.map((_, s) => {
      const t = threads[s % 2];
      return new HostPort(`job-7/${s}`, (msg) => t.send(msg));
    });
    await Promise.all(ports.map((port, s) => port.open(encodeBinnedShard(prepared.shards[s]))));
    const before = await threads[0].status();
    expect(before.sessions.map((x) => x.id)).toEqual(['job-7/0', 'job-7/2']);
    expect(before.memoryBytes).toBe((34 + 33) * 16); // rows × (4 codes + 8 target + 4 row index)
    const { model } = await fitForestDataParallel(
      ports,
      { config: prepared.config, bins: prepared.bins, features: train.features, classes: train.classes },
      p,
      { smallRows: 8 },
    );
    const ref = (await fitInProcess(train, p, 1, 1, { smallRows: 8 })).model;
    expect(encodeArtifact(model.toArtifact()).equals(encodeArtifact(ref.toArtifact()))).toBe(true);
    expect(await threads[0].closeJob('job-7')).toBe(2);
    expect(await threads[1].closeJob('job-7')).toBe(1);
    for (const t of threads) expect(await t.status()).toEqual({ sessions: [], memoryBytes: 0, reduceJobs: [] });
    await expect(ports[0].histograms([{ tree: 0, node: 0 }])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('sweeps a session left idle by a coordinator that went away', async () => {
    const t = new SessionThread(30, 20);
    threads.push(t);
    const { shards } = binShards(train, 255, 1, 1);
    await new HostPort('gone/0', (msg) => t.send(msg)).open(encodeBinnedShard(shards[0]));
    for (let i = 0; i < 250 && t.swept.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(t.swept).toEqual(['gone/0']);
    expect((await t.status()).sessions).toEqual([]);
  });
});
