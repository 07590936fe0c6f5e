/**
 * Issue 13: the trainer side as messages — sessions opened from shard bytes on two hosts (as two
 * trainers), the driver over HostPorts with every message structured-cloned (as postMessage or a
 * remote call would), idle timeout, per-job close and status.
 */
import { irisSplit } from '../../../../fixtures/datasets';
import { forestKind } from '../../../../lib/models/forest';
import { encodeArtifact } from '../../../../lib/core/container';
import { HostPort, SessionHost, encodeBinnedShard, fitForestDataParallel, fitInProcess, binShards, type HostRequest } from '../../../../lib/jobs/data-parallel';

describe('data-parallel session host', () => {
  const { train } = irisSplit();
  const p = forestKind.params({ nEstimators: 15 });

  it('two hosts holding 3 shards between them give the one-shard artifact, and free everything at the job end', async () => {
    const clock = 0;
    const hosts = [new SessionHost(60_000, () => clock, 2048), new SessionHost(60_000, () => clock, 2048)];
    const prepared = binShards(train, p.maxBins, 1, 3);
    const holder = [0, 1, 0]; // shard → host
    let largest = 0;
    const ports = prepared.shards.map((shard, s) => {
      const host = hosts[holder[s]];
      return new HostPort(`job-1/${s}`, async (msg: HostRequest) => {
        const reply = host.handle(structuredClone(msg));
        for (const c of reply) largest = Math.max(largest, c.length);
        return structuredClone(reply);
      });
    });
    const rows = await Promise.all(ports.map((port, s) => port.open(encodeBinnedShard(prepared.shards[s]))));
    expect(rows).toEqual([34, 33, 33]);
    expect(hosts[0].status().sessions.map((x) => x.id)).toEqual(['job-1/0', 'job-1/2']);
    const { model } = await fitForestDataParallel(
      ports,
      { config: prepared.config, bins: prepared.bins, features: train.features, classes: train.classes },
      p,
      { smallRows: 8 },
    );
    const ref = (await fitInProcess(train, p, 1, 1, { smallRows: 8 })).model;
    expect(encodeArtifact(model.toArtifact()).equals(encodeArtifact(ref.toArtifact()))).toBe(true);
    expect(largest).toBeLessThanOrEqual(2048);
    // every tree was released during the fit: only the shards stay resident
    for (const h of hosts) for (const s of h.status().sessions) expect(s.openTrees).toBe(0);
    expect(hosts[0].closeJob('job-1')).toBe(2);
    expect(hosts[0].status()).toEqual({ sessions: [], memoryBytes: 0, reduceJobs: [] });
    await ports[1].close();
    expect(hosts[1].status().memoryBytes).toBe(0);
  });

  it('closes sessions idle for longer than the timeout; a later request says why it failed', () => {
    let clock = 1000;
    const host = new SessionHost(5000, () => clock);
    const { shards } = binShards(train, 255, 1, 2);
    host.handle({ op: 'open', id: 'j/0', shard: encodeBinnedShard(shards[0]) });
    host.handle({ op: 'open', id: 'j/1', shard: encodeBinnedShard(shards[1]) });
    expect(() => host.handle({ op: 'open', id: 'j/1', shard: encodeBinnedShard(shards[1]) })).toThrow(/already open/);
    clock += 4000;
    host.handle({ op: 'histograms', id: 'j/1', nodes: [{ tree: 0, node: 0 }] });
    clock += 2000; // j/0 idle 6 s, j/1 idle 2 s
    expect(host.sweep()).toEqual(['j/0']);
    expect(host.status().sessions.map((s) => s.id)).toEqual(['j/1']);
    expect(() => host.handle({ op: 'rows', id: 'j/0', nodes: [] })).toThrow(/no shard session 'j\/0'.*idle for more than 5 s/);
    expect(() => new SessionHost(0)).toThrow(/idle timeout/);
  });
});
