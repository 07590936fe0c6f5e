/**
 * Fitting every member of a job on the trainers, whatever happens to them: a member whose trainer
 * dies, times out or fails with a retryable error is tried again (the balancer picks a trainer
 * again; a dead node has left the registry by then); with no trainer online the job waits up to a
 * deadline; at the end the quorum (minShards / minFraction) decides between completed and failed.
 *
 * The cluster is reached through {@link RunnerPorts}, so this logic is tested without a broker.
 */
import { QuorumError, remoteFailure, type RemoteFailure } from '../errors';
import type { FitProgress } from '../models/model';
import type { JobState, MemberState } from './job';
import {
  jobProgressFromMembers,
  jobTraining,
  jobWaiting,
  memberAttemptFailed,
  memberDone,
  memberFailed,
  memberPending,
  memberProgress,
  memberRunning,
} from './job-transitions';

export interface FitOutcome {
  node: string;
  fitMs: number;
  threads: number;
  artifact: { size: number; sha256: string };
  summary: Record<string, unknown>;
  curve?: Record<string, number>[];
  transferMBps?: number;
}

/** An error as it arrives from a trainer (see {@link remoteFailure}). */
export type FitFailure = RemoteFailure;

export interface RunnerPorts {
  /** Trainer nodes online now. */
  trainersOnline(): number;
  fit(member: MemberState, signal: AbortSignal, onProgress: (p: FitProgress) => void): Promise<FitOutcome>;
  /** The job changed (the caller persists and publishes, throttled as it likes). */
  changed(job: JobState): void;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export interface RunnerOptions {
  /** Attempts per member. */
  attempts: number;
  /** How long to wait for a trainer to come online. */
  trainerWaitMs: number;
}

const failure = (err: unknown): FitFailure => remoteFailure(err, 'FIT_FAILED');

export async function waitForTrainer(
  job: JobState,
  ports: Pick<RunnerPorts, 'trainersOnline' | 'changed' | 'sleep'>,
  options: RunnerOptions,
  signal: AbortSignal,
): Promise<void> {
  if (ports.trainersOnline() > 0) return;
  const deadline = Date.now() + options.trainerWaitMs;
  jobWaiting(job, `waiting for trainers (up to ${Math.round(options.trainerWaitMs / 1000)} s)`);
  ports.changed(job);
  while (ports.trainersOnline() === 0) {
    if (signal.aborted) throw new QuorumError('CANCELLED', 'cancelled');
    if (Date.now() >= deadline) {
      throw new QuorumError('NO_TRAINERS', `no trainer node came online within ${Math.round(options.trainerWaitMs / 1000)} s: start one with SERVICES=trainer`);
    }
    await ports.sleep(Math.min(500, Math.max(1, deadline - Date.now())), signal);
  }
  jobTraining(job);
  ports.changed(job);
}

async function fitMember(job: JobState, member: MemberState, ports: RunnerPorts, options: RunnerOptions, signal: AbortSignal): Promise<void> {
  while (member.attempts < options.attempts) {
    if (signal.aborted) {
      memberFailed(job, member, true);
      return;
    }
    try {
      await waitForTrainer(job, ports, options, signal);
    } catch (err) {
      const f = failure(err);
      memberAttemptFailed(member, { code: f.code, message: f.message });
      memberFailed(job, member, signal.aborted);
      return;
    }
    memberRunning(job, member);
    ports.changed(job);
    try {
      const outcome = await ports.fit(member, signal, (p: FitProgress & { node?: string }) => {
        // The trainer says where it fits from the first event on.
        memberProgress(member, {
          fraction: p.fraction,
          node: p.node,
          point: p.epoch !== undefined && p.metrics ? { epoch: p.epoch, ...p.metrics } : undefined,
        });
        jobProgressFromMembers(job);
        ports.changed(job);
      });
      memberDone(job, member, {
        node: outcome.node,
        fitMs: outcome.fitMs,
        threads: outcome.threads,
        artifact: outcome.artifact,
        summary: outcome.summary,
        transferMBps: outcome.transferMBps,
        curve: outcome.curve,
      });
      jobProgressFromMembers(job);
      ports.changed(job);
      return;
    } catch (err) {
      const f = failure(err);
      memberAttemptFailed(member, { node: f.node, code: f.code, message: f.message });
      if (signal.aborted || f.code === 'CANCELLED') {
        memberFailed(job, member, true);
        return;
      }
      if (!f.retryable) break;
      ports.changed(job);
      // A cluster that is changing (a node restarting, services being discovered) needs a moment.
      if (member.attempts < options.attempts) await ports.sleep(Math.min(5000, 250 * 2 ** member.attempts), signal);
    }
  }
  memberFailed(job, member);
  jobProgressFromMembers(job);
  ports.changed(job);
}

/** How many voting members must succeed for the job to complete (the baseline does not count). */
export function requiredMembers(job: JobState): number {
  const n = job.members.filter((m) => !m.baseline).length;
  const byFraction = Math.ceil(job.request.minFraction * n - 1e-9);
  const byCount = job.request.minShards ?? 0;
  return Math.min(n, Math.max(1, byFraction, byCount));
}

/** Fits every pending member; throws QUORUM_NOT_REACHED / CANCELLED when the job cannot complete. */
export async function trainMembers(job: JobState, ports: RunnerPorts, options: RunnerOptions, signal: AbortSignal): Promise<void> {
  jobTraining(job, job.message);
  ports.changed(job);
  const pending = job.members.filter((m) => m.status !== 'done');
  for (const m of pending) memberPending(job, m);
  await Promise.all(pending.map((m) => fitMember(job, m, ports, options, signal)));
  if (signal.aborted) throw new QuorumError('CANCELLED', 'the job was cancelled');
  const voters = job.members.filter((m) => !m.baseline);
  const done = voters.filter((m) => m.status === 'done').length;
  const required = requiredMembers(job);
  if (done < required) {
    const failed = voters.filter((m) => m.status !== 'done');
    const reasons = failed.map((m) => `${m.id} (shard ${m.shard}, ${m.kind}): ${m.errors?.at(-1)?.message ?? m.status}`);
    throw new QuorumError('QUORUM_NOT_REACHED', `${done} of ${voters.length} members trained, ${required} needed. ${reasons.join('; ')}`, {
      failed: failed.map((m) => m.id),
    });
  }
  const failed = voters.filter((m) => m.status !== 'done');
  if (failed.length)
    job.warnings.push(`completed with ${done} of ${voters.length} members (quorum ${required}); failed: ${failed.map((m) => m.id).join(', ')}`);
  const baseline = job.members.find((m) => m.baseline && m.status !== 'done');
  if (baseline) job.warnings.push(`the baseline model (all rows) failed: ${baseline.errors?.at(-1)?.message ?? baseline.status}; the ensemble is not affected`);
}
