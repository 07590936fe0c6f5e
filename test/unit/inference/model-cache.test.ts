/**
 * Issue 30: a version is loaded once for its evaluation and its activation. The cache keeps the
 * ensemble it evaluated and, when the version becomes active, adopts it under the version's final
 * metadata (its members' weights) instead of reading every artifact again; a version that is not
 * activated frees its models.
 */
import { localVoting } from '../../../lib/inference/local';
import { ModelCache, type VersionSource } from '../../../lib/inference/model-cache';
import type { VersionMeta } from '../../../lib/registry/version';
import { constantArtifact, versionMeta } from '../../fixtures/versions';

function source(meta: VersionMeta, artifacts: Map<string, Uint8Array>): VersionSource & { reads: number; state: { meta: VersionMeta } } {
  const state = { meta };
  const s = {
    reads: 0,
    state,
    meta: async () => state.meta,
    artifact: async (_id: string, member: string) => {
      s.reads++;
      return artifacts.get(member)!;
    },
    active: async () => ({}),
  };
  return s;
}

describe('model cache: one load per version (lib/inference/model-cache)', () => {
  const members = [
    { id: 'm0', output: [0.2, 0.8] },
    { id: 'm1', output: [0.6, 0.4] },
  ];
  const artifacts = new Map(members.map((m) => [m.id, constantArtifact('classification', m.output)]));
  const training: VersionMeta = { ...versionMeta('a-v1', 'classification', members, ['no', 'yes']), status: 'training' };
  const ready: VersionMeta = { ...training, status: 'ready', members: training.members.map((m, i) => ({ ...m, weight: [0.9, 0.1][i] })) };

  it('the evaluated ensemble is adopted at activation, with the final metadata: the artifacts are read once', async () => {
    const src = source(training, artifacts);
    const cache = new ModelCache(src, localVoting());
    const evaluated = await cache.load('a-v1', true);
    expect(src.reads).toBe(2);
    cache.keepEvaluated(evaluated);
    src.state.meta = ready;
    await cache.activate('a', 'a-v1');
    expect(src.reads).toBe(2);
    const active = cache.cached('a-v1')!;
    expect(active.meta.members.map((m) => m.weight)).toEqual([0.9, 0.1]);
    const x = { data: new Float32Array([0, 0]), rows: 1, cols: 2 };
    const votes = active.votes(x);
    expect(Array.from(active.combine(votes, 1, 'weighted'))).toEqual([expect.closeTo(0.9 * 0.2 + 0.1 * 0.6, 5), expect.closeTo(0.9 * 0.8 + 0.1 * 0.4, 5)]);
    cache.dispose();
  });

  it('members that changed since the evaluation are loaded afresh; a removed version frees what was kept', async () => {
    const src = source(training, artifacts);
    const cache = new ModelCache(src, localVoting());
    cache.keepEvaluated(await cache.load('a-v1', true));
    src.state.meta = { ...ready, members: ready.members.slice(0, 1) };
    await cache.activate('a', 'a-v1');
    expect(src.reads).toBe(3); // 2 for the evaluation, 1 for the one member left
    cache.keepEvaluated(await cache.load('a-v1', true));
    cache.removed('a', 'a-v1');
    expect(cache.loaded().loaded).toEqual([]);
    cache.dispose();
  });
});
