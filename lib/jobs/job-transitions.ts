/**
 * The only writer of a job's and its members' state: every status change of a {@link JobState} or
 * a {@link MemberState} is one of the transitions below, and each is checked against where the job
 * or member stands — a finished job never changes again (no "completed" after "failed"), a member
 * that is done is not failed. A transition the lifecycle does not allow is a bug: it throws INTERNAL
 * naming the job, the member and both statuses, instead of leaving a job that says two things.
 *
 * Jobs:    preparing → waiting ⇄ training → evaluating → completed; any unfinished → failed | cancelled.
 *          A job resumed after a restart goes back to training from wherever it stood unfinished.
 * Members: pending → running → done | failed | cancelled; running → pending (a retry);
 *          failed or cancelled → pending (a resumed job); done → pending (a new round of parameter
 *          averaging, an artifact the registry no longer holds); anything → done when a resumed
 *          job finds the member's artifact in the registry.
 */
import { QuorumError } from '../errors';
import { FINISHED, type JobState, type JobStatus, type MemberState, type MemberStatus } from './job';

const JOB_NEXT: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  preparing: ['waiting', 'training', 'failed', 'cancelled'],
  waiting: ['waiting', 'training', 'failed', 'cancelled'],
  training: ['waiting', 'training', 'evaluating', 'failed', 'cancelled'],
  evaluating: ['training', 'evaluating', 'completed', 'failed', 'cancelled'],
  completed: [],
  failed: [],
  cancelled: [],
};

const MEMBER_NEXT: Readonly<Record<MemberStatus, readonly MemberStatus[]>> = {
  pending: ['pending', 'running', 'failed', 'cancelled'],
  running: ['pending', 'running', 'done', 'failed', 'cancelled'],
  done: ['pending', 'done'],
  failed: ['pending', 'failed', 'done'],
  cancelled: ['pending', 'cancelled', 'done'],
};

function moveJob(job: JobState, to: JobStatus): void {
  if (!JOB_NEXT[job.status].includes(to)) {
    throw new QuorumError('INTERNAL', `job ${job.id} is ${job.status} and cannot become ${to}`, { job: job.id, from: job.status, to });
  }
  job.status = to;
}

function moveMember(job: JobState, member: MemberState, to: MemberStatus): void {
  if (!MEMBER_NEXT[member.status].includes(to)) {
    throw new QuorumError('INTERNAL', `member ${member.id} of job ${job.id} is ${member.status} and cannot become ${to}`, {
      job: job.id,
      member: member.id,
      from: member.status,
      to,
    });
  }
  member.status = to;
}

/** Whether the job has ended (completed, failed or cancelled). */
export const isFinished = (job: JobState): boolean => FINISHED.includes(job.status);

// -- the job -------------------------------------------------------------------------------------

/** The job's data is split and sharded: its shards, members and split are set. */
export function jobPrepared(job: JobState, prepared: Pick<JobState, 'shards' | 'members' | 'split'>): void {
  if (job.status !== 'preparing') throw new QuorumError('INTERNAL', `job ${job.id} is ${job.status}: it is prepared only once`);
  Object.assign(job, { shards: prepared.shards, members: prepared.members, split: prepared.split });
}

/** The job learned its task and classes (a `local` job, from its trainers' files). */
export function jobTyped(job: JobState, typed: Pick<JobState, 'task' | 'classes' | 'voting'>): void {
  if (job.status !== 'preparing') throw new QuorumError('INTERNAL', `job ${job.id} is ${job.status}: its task is set while preparing`);
  Object.assign(job, { task: typed.task, classes: typed.classes, voting: typed.voting });
}

/** No trainer is online: the job waits (`message` says how long). */
export function jobWaiting(job: JobState, message: string): void {
  moveJob(job, 'waiting');
  job.message = message;
}

/** The job trains; `message` says where it stands (a round, trees so far), none clears it. */
export function jobTraining(job: JobState, message?: string): void {
  moveJob(job, 'training');
  job.message = message;
}

/** A note on the job while it trains (its status unchanged). */
export function jobNote(job: JobState, message: string | undefined, progress?: number): void {
  if (isFinished(job)) throw new QuorumError('INTERNAL', `job ${job.id} is ${job.status}: it takes no more notes`);
  job.message = message;
  if (progress !== undefined) job.progress = Math.min(1, Math.max(0, progress));
}

/** The job's progress from its members (rows-weighted: a done member counts whole). */
export function jobProgressFromMembers(job: JobState): void {
  const total = job.members.reduce((a, m) => a + m.rows, 0) || 1;
  job.progress = job.members.reduce((a, m) => a + m.rows * (m.status === 'done' ? 1 : m.progress), 0) / total;
}

export function jobEvaluating(job: JobState): void {
  moveJob(job, 'evaluating');
}

/** The job is completed: its metrics, and what the activation decided. */
export function jobCompleted(job: JobState, metrics: Record<string, number | null>, completion: { activated: boolean; reason: string }): void {
  moveJob(job, 'completed');
  job.metrics = metrics;
  job.message = completion.activated ? `active: ${completion.reason}` : `not activated: ${completion.reason}`;
  job.progress = 1;
}

/** The job failed (or was cancelled: `cancelled`); members still pending or running are cancelled. */
export function jobFailed(job: JobState, error: { code: string; message: string }, cancelled = false): void {
  moveJob(job, cancelled ? 'cancelled' : 'failed');
  job.error = error;
  for (const m of job.members) if (m.status === 'pending' || m.status === 'running') moveMember(job, m, 'cancelled');
}

/** An inference node answered with the job's version for the first time (after completion). */
export function jobLive(job: JobState): void {
  job.liveAt = new Date().toISOString();
}

/** The job's run ended (whatever its status): when. */
export function jobEnded(job: JobState): void {
  if (!isFinished(job)) throw new QuorumError('INTERNAL', `job ${job.id} is ${job.status}: it has not ended`);
  job.finishedAt = new Date().toISOString();
}

// -- its members ---------------------------------------------------------------------------------

/** A member is to be (re)trained: pending, its attempts counted afresh when `fresh`. */
export function memberPending(job: JobState, member: MemberState, fresh = true): void {
  moveMember(job, member, 'pending');
  member.progress = 0;
  if (fresh) member.attempts = 0;
}

/** A member's fit starts (an attempt). */
export function memberRunning(job: JobState, member: MemberState): void {
  moveMember(job, member, 'running');
  member.attempts++;
  member.progress = 0;
}

/** A running member moved on: its progress, the node fitting it, a learning-curve point. */
export function memberProgress(member: MemberState, p: { fraction: number; node?: string; point?: Record<string, number> }): void {
  if (member.status !== 'running') return; // a late event of an attempt that has ended
  if (p.node) member.node = p.node;
  member.progress = Math.min(1, Math.max(0, p.fraction));
  if (p.point) (member.curve ??= []).push(p.point);
}

/** What a finished fit reports of itself. */
export type MemberResult = Partial<Pick<MemberState, 'node' | 'fitMs' | 'threads' | 'artifact' | 'summary' | 'transferMBps' | 'curve'>>;

/** A member is trained (or found trained in the registry): its result. */
export function memberDone(job: JobState, member: MemberState, result: MemberResult): void {
  moveMember(job, member, 'done');
  member.progress = 1;
  for (const [key, value] of Object.entries(result)) if (value !== undefined) (member as unknown as Record<string, unknown>)[key] = value;
}

/** An attempt failed: the error is kept (the story of a member that succeeds on a retry includes it). */
export function memberAttemptFailed(member: MemberState, error: { node?: string; code: string; message: string }): void {
  (member.errors ??= []).push(error);
  member.progress = 0;
}

/** A member failed for good (or was cancelled: `cancelled`). */
export function memberFailed(job: JobState, member: MemberState, cancelled = false): void {
  moveMember(job, member, cancelled ? 'cancelled' : 'failed');
}
