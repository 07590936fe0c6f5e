/**
 * Issue 15: a running member names the node fitting it (from the trainer's first progress event),
 * not only once it is done.
 */
import type { JobState } from '../../../lib/jobs/job';
import { normaliseRequest } from '../../../lib/jobs/request';
import { trainMembers, type RunnerPorts } from '../../../lib/jobs/runner';

function job(): JobState {
  return {
    id: 'j',
    status: 'training',
    request: normaliseRequest({ dataset: 'd', target: 't', model: 'baseline' }),
    dataset: { id: 'd', name: 'd', rows: 10 },
    name: 'd',
    createdAt: '',
    updatedAt: '',
    progress: 0,
    shards: [],
    warnings: [],
    timings: {},
    members: [{ id: 'm0', shard: 0, kind: 'baseline', params: {}, rows: 10, status: 'pending', progress: 0, attempts: 0 }],
  };
}

it('records the node of a running member from its first progress event', async () => {
  const j = job();
  const seen: { status: string; node?: string }[] = [];
  const ports: RunnerPorts = {
    trainersOnline: () => 1,
    changed: (x) => seen.push({ status: x.members[0].status, node: x.members[0].node }),
    sleep: async () => undefined,
    fit: async (_m, _signal, onProgress) => {
      (onProgress as (p: { fraction: number; node?: string }) => void)({ fraction: 0, node: 'trainer-7' });
      return { node: 'trainer-7', fitMs: 1, threads: 1, artifact: { size: 1, sha256: 'x' }, summary: {} };
    },
  };
  await trainMembers(j, ports, { attempts: 1, trainerWaitMs: 10 }, new AbortController().signal);
  expect(seen).toContainEqual({ status: 'running', node: 'trainer-7' });
  expect(j.members[0]).toMatchObject({ status: 'done', node: 'trainer-7' });
});
