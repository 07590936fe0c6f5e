/** Issue 30: one writer of job state, every transition checked against the lifecycle. */
import type { JobState, MemberState } from '../../../lib/jobs/job';
import {
  jobCompleted,
  jobEnded,
  jobEvaluating,
  jobFailed,
  jobNote,
  jobPrepared,
  jobTraining,
  jobWaiting,
  memberAttemptFailed,
  memberDone,
  memberFailed,
  memberPending,
  memberProgress,
  memberRunning,
} from '../../../lib/jobs/job-transitions';

const member = (id: string): MemberState => ({ id, shard: 0, kind: 'forest', params: {}, rows: 10, status: 'pending', progress: 0, attempts: 0 });
const newJob = (): JobState =>
  ({ id: 'job-1', status: 'preparing', members: [], shards: [], warnings: [], timings: {}, progress: 0, createdAt: '', updatedAt: '' }) as unknown as JobState;

describe('job transitions (lib/jobs/job-transitions)', () => {
  it('walks the lifecycle: prepared, waiting, training, evaluating, completed — then nothing moves it', () => {
    const job = newJob();
    jobPrepared(job, { shards: [], members: [member('m0'), member('m1')], split: undefined });
    expect(() => jobPrepared(job, { shards: [], members: [], split: undefined })).not.toThrow(); // still preparing
    jobWaiting(job, 'waiting for trainers');
    jobTraining(job);
    expect(job).toMatchObject({ status: 'training', message: undefined });
    jobNote(job, 'round 1 of 2', 0.5);
    expect(job).toMatchObject({ message: 'round 1 of 2', progress: 0.5 });
    jobEvaluating(job);
    jobCompleted(job, { accuracy: 0.9 }, { activated: true, reason: 'first version' });
    expect(job).toMatchObject({ status: 'completed', progress: 1, message: 'active: first version', metrics: { accuracy: 0.9 } });
    jobEnded(job);
    expect(job.finishedAt).toEqual(expect.any(String));
    for (const move of [
      () => jobFailed(job, { code: 'X', message: 'late' }),
      () => jobTraining(job),
      () => jobNote(job, 'more'),
      () => jobCompleted(job, {}, { activated: false, reason: '' }),
    ]) {
      expect(move).toThrow(expect.objectContaining({ code: 'INTERNAL', message: expect.stringMatching(/job job-1 is completed/) }));
    }
  });

  it('no "completed" after "failed": a failed job stays failed, and its unfinished members are cancelled', () => {
    const job = newJob();
    jobPrepared(job, { shards: [], members: [member('m0'), member('m1'), member('m2')], split: undefined });
    jobTraining(job);
    memberRunning(job, job.members[0]);
    memberRunning(job, job.members[1]);
    memberDone(job, job.members[1], { node: 'n1', fitMs: 5 });
    jobFailed(job, { code: 'QUORUM_NOT_REACHED', message: 'no' });
    expect(job.members.map((m) => m.status)).toEqual(['cancelled', 'done', 'cancelled']);
    expect(() => jobEvaluating(job)).toThrow(/is failed and cannot become evaluating/);
    expect(() => jobCompleted(job, {}, { activated: true, reason: '' })).toThrow(/is failed and cannot become completed/);
    expect(() => jobEnded(newJob())).toThrow(/has not ended/);
  });

  it('members: attempts count, retries run again, a done member is never failed, progress only while running', () => {
    const job = newJob();
    const m = member('m0');
    jobPrepared(job, { shards: [], members: [m], split: undefined });
    memberProgress(m, { fraction: 0.5 });
    expect(m.progress).toBe(0); // not running yet
    memberRunning(job, m);
    memberProgress(m, { fraction: 0.4, node: 'n2', point: { epoch: 1, loss: 0.3 } });
    expect(m).toMatchObject({ attempts: 1, progress: 0.4, node: 'n2', curve: [{ epoch: 1, loss: 0.3 }] });
    memberAttemptFailed(m, { node: 'n2', code: 'NODE_GONE', message: 'gone' });
    memberRunning(job, m); // a retry
    expect(m).toMatchObject({ attempts: 2, progress: 0, errors: [{ code: 'NODE_GONE' }] });
    memberDone(job, m, { node: 'n3', fitMs: 7, summary: { nTrees: 3 } });
    expect(m).toMatchObject({ status: 'done', progress: 1, node: 'n3', fitMs: 7 });
    expect(() => memberFailed(job, m)).toThrow(/member m0 of job job-1 is done and cannot become failed/);
    expect(() => memberRunning(job, m)).toThrow(/is done and cannot become running/);
    memberPending(job, m); // a new round of averaging
    expect(m).toMatchObject({ status: 'pending', attempts: 0, progress: 0 });
  });
});
