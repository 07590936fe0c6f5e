/**
 * Issue 17 at service level: concurrent trainings of one name, then a restart of the node on the
 * same state folder and more trainings — every job gets its own version id, none is reused, and
 * every version's files are its own job's.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNode, waitForJob } from '../helpers/broker';

describe('concurrent trainings never share a version id (issue 17)', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'quorum-versions-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('8 concurrent jobs, a restart, 8 more: 16 distinct versions, each holding its job', async () => {
    const jobs = new Map<string, string>(); // version → job
    for (let round = 0; round < 2; round++) {
      const node = await startNode({ services: ['coordinator', 'trainer', 'registry', 'inference'], stateDir });
      try {
        const dataset =
          round === 0 ? await node.broker.call<{ id: string }, unknown>('coordinator.ingest', { path: 'iris.csv', name: 'flowers' }) : { id: 'flowers' };
        const started = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            node.broker.call<{ id: string }, unknown>('coordinator.train', {
              dataset: dataset.id,
              target: 'class',
              model: 'baseline',
              shards: 1,
              seed: i,
              name: 'same',
            }),
          ),
        );
        const done = await Promise.all(started.map((j) => waitForJob(node.broker, j.id)));
        for (const d of done) {
          expect([d.status, d.error]).toEqual(['completed', undefined]);
          expect(jobs.has(d.version)).toBe(false);
          jobs.set(d.version, d.id);
        }
      } finally {
        await node.stop();
      }
    }
    expect(jobs.size).toBe(16);
    const root = path.join(stateDir, 'registry', 'versions');
    expect(readdirSync(root).filter((d) => d.startsWith('same-v'))).toHaveLength(16);
    for (const [version, job] of jobs) {
      expect(JSON.parse(readFileSync(path.join(root, version, 'version.json'), 'utf8')).job).toBe(job);
    }
  }, 180_000);
});
