/**
 * Issue 7 logic without a cluster: retries elsewhere, quorum, waiting for trainers, cancellation;
 * and issue 4's rounds with a shard that drops out.
 */
import { QuorumError } from '../../../lib/errors';
import { trainByAveraging, type AveragingPorts } from '../../../lib/jobs/averaging';
import type { JobState, MemberState } from '../../../lib/jobs/job';
import { normaliseRequest } from '../../../lib/jobs/request';
import { trainMembers, type FitOutcome, type RunnerPorts } from '../../../lib/jobs/runner';

function job(members: number, extra: Record<string, unknown> = {}): JobState {
  return {
    id: 'j',
    status: 'training',
    request: { ...normaliseRequest({ dataset: 'd', target: 't', model: 'baseline' }), ...extra },
    dataset: { id: 'd', name: 'd', rows: 100 },
    name: 'd',
    createdAt: '',
    updatedAt: '',
    progress: 0,
    shards: [],
    members: Array.from({ length: members }, (_, i): MemberState => ({
      id: `m${i}`,
      shard: i,
      kind: 'baseline',
      params: {},
      rows: 10,
      status: 'pending',
      progress: 0,
      attempts: 0,
    })),
    warnings: [],
    timings: {},
  };
}

const outcome = (node: string): FitOutcome => ({ node, fitMs: 1, threads: 1, artifact: { size: 1, sha256: 'x' }, summary: {} });
const fail = (code: string, retryable: boolean, node = 'n1') => Object.assign(new Error(`${code} on ${node}`), { code, retryable, node });

function ports(fit: RunnerPorts['fit'], online = () => 1): RunnerPorts {
  return { trainersOnline: online, fit, changed: () => undefined, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))) };
}

const options = { attempts: 3, trainerWaitMs: 200 };

describe('job runner (issue 7)', () => {
  it('retries a member whose trainer died, and records what happened', async () => {
    const j = job(2);
    let calls = 0;
    await trainMembers(
      j,
      ports(async (m) => {
        calls++;
        if (m.id === 'm1' && m.attempts === 1) throw fail('RequestRejectedError', true, 'dead-node');
        return outcome('n2');
      }),
      options,
      new AbortController().signal,
    );
    expect(calls).toBe(3);
    expect(j.members.map((m) => m.status)).toEqual(['done', 'done']);
    expect(j.members[1].attempts).toBe(2);
    expect(j.members[1].errors).toEqual([{ node: 'dead-node', code: 'RequestRejectedError', message: 'RequestRejectedError on dead-node' }]);
  });

  it('does not retry a client error, and fails the job below the quorum naming the member', async () => {
    const j = job(2);
    await expect(
      trainMembers(
        j,
        ports(async (m) => {
          if (m.id === 'm0') throw fail('BAD_MODEL_PARAMS', false);
          return outcome('n1');
        }),
        options,
        new AbortController().signal,
      ),
    ).rejects.toThrow(/1 of 2 members trained, 2 needed.*m0 \(shard 0, baseline\): BAD_MODEL_PARAMS/);
    expect(j.members[0]).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('gives up after the configured attempts; completes with the quorum it has', async () => {
    const j = job(4, { minFraction: 0.75 });
    await trainMembers(
      j,
      ports(async (m) => {
        if (m.id === 'm3') throw fail('FIT_FAILED', true);
        return outcome('n1');
      }),
      options,
      new AbortController().signal,
    );
    expect(j.members[3]).toMatchObject({ status: 'failed', attempts: 3 });
    expect(j.warnings.join()).toMatch(/completed with 3 of 4 members \(quorum 3\); failed: m3/);
  });

  it('waits for a trainer, and fails with NO_TRAINERS after the deadline', async () => {
    const j = job(1);
    // No trainer for the first three looks, then one joins.
    let looks = 0;
    await trainMembers(
      j,
      ports(
        async () => outcome('late'),
        () => (++looks > 3 ? 1 : 0),
      ),
      options,
      new AbortController().signal,
    );
    expect(looks).toBeGreaterThan(3);
    expect(j.members[0].node).toBe('late');

    const k = job(1);
    await expect(
      trainMembers(
        k,
        ports(
          async () => outcome('never'),
          () => 0,
        ),
        { attempts: 3, trainerWaitMs: 50 },
        new AbortController().signal,
      ),
    ).rejects.toThrow(/QUORUM|no trainer/i);
    expect(k.members[0].errors?.[0].code).toBe('NO_TRAINERS');
  });

  it('a failed baseline (the model on all rows) warns but does not count for the quorum', async () => {
    const j = job(3);
    j.members[2] = { ...j.members[2], id: 'baseline', shard: -1, baseline: true };
    await trainMembers(
      j,
      ports(async (m) => {
        if (m.baseline) throw fail('FIT_FAILED', false);
        return outcome('n1');
      }),
      options,
      new AbortController().signal,
    );
    expect(j.warnings.join()).toMatch(/the baseline model \(all rows\) failed/);
    expect(j.members.filter((m) => m.status === 'done')).toHaveLength(2);
  });

  it('stops on cancellation', async () => {
    const j = job(2);
    const abort = new AbortController();
    const run = trainMembers(
      j,
      ports(async () => {
        abort.abort();
        throw new QuorumError('CANCELLED', 'cancelled');
      }),
      options,
      abort.signal,
    );
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(j.members.map((m) => m.status)).toEqual(['cancelled', 'cancelled']);
  });
});

describe('parameter averaging rounds (issue 4)', () => {
  function averaging(fitRound: AveragingPorts['fitRound']) {
    const averaged: number[][] = [];
    const p: AveragingPorts = {
      trainersOnline: () => 2,
      changed: () => undefined,
      sleep: async () => undefined,
      fitRound,
      average: async (_round, parts) => void averaged.push(parts.map((x) => x.rows)),
      evaluate: async (round) => ({ accuracy: 0.5 + round / 10 }),
    };
    return { p, averaged };
  }

  it('runs every round, averaging what came back, and records metrics per round', async () => {
    const j = job(4);
    const { p, averaged } = averaging(async (s, round) => ({ member: `p${round}-${s.shard}`, rows: 10 + s.shard, node: 'n', fitMs: 1 }));
    await trainByAveraging(j, p, { ...options, rounds: 3, minTrainers: 1 }, new AbortController().signal);
    expect(averaged).toEqual([
      [10, 11, 12, 13],
      [10, 11, 12, 13],
      [10, 11, 12, 13],
    ]);
    expect(j.rounds!.map((r) => r.metrics.accuracy)).toEqual([0.6, 0.7, 0.8]);
    expect(j.progress).toBe(1);
  });

  it('leaves a shard that fails mid-round out of that round and completes', async () => {
    const j = job(4);
    const { p, averaged } = averaging(async (s, round) => {
      if (round === 2 && s.shard === 1) throw fail('RequestRejectedError', true, 'killed');
      return { member: `p${round}-${s.shard}`, rows: 10, node: 'n', fitMs: 1 };
    });
    await trainByAveraging(j, p, { ...options, rounds: 3, minTrainers: 2 }, new AbortController().signal);
    expect(averaged.map((a) => a.length)).toEqual([4, 3, 4]);
    expect(j.rounds![1].trainers).toBe(3);
    expect(j.warnings.join()).toMatch(/round 2 averaged 3 of 4/);
  });

  it('fails a round below minTrainers', async () => {
    const j = job(2);
    const { p } = averaging(async (s) => {
      if (s.shard === 0) throw fail('FIT_FAILED', true);
      return { member: 'x', rows: 10, node: 'n', fitMs: 1 };
    });
    await expect(trainByAveraging(j, p, { ...options, rounds: 2, minTrainers: 2 }, new AbortController().signal)).rejects.toThrow(
      /round 1: 1 of 2 shards came back, 2 needed/,
    );
  });
});
