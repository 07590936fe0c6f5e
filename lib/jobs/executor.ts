/**
 * Runs a training job to its end through its mode's phases (lib/jobs/modes): prepare → train →
 * complete. A job that fails or is cancelled has its version discarded; one interrupted by the
 * coordinator's shutdown is left as it stands, to resume on restart ({@link resumableState}).
 */
import { QuorumError, remoteFailure } from '../errors';
import type { VersionMeta } from '../registry/version';
import type { JobEnv } from './cluster';
import type { JobState } from './job';
import { jobEnded, jobFailed, memberDone, memberPending } from './job-transitions';
import { trainingMode } from './modes';
import type { Checked } from './prepare';

/** Runs (or resumes) a job to its end; never throws. `checked`: the request's checks, for a new job. */
export async function executeJob(env: JobEnv, job: JobState, signal: AbortSignal, checked?: Checked): Promise<void> {
  const mode = trainingMode(job.request.mode);
  const run = { job, env, signal, checked };
  try {
    if (!job.plan) {
      if (!checked && mode.name !== 'local') throw new QuorumError('INTERNAL', 'a job without a plan cannot resume');
      await mode.prepare(run);
    }
    const trainStarted = Date.now();
    await mode.train(run);
    job.timings.trainMs = (job.timings.trainMs ?? 0) + Date.now() - trainStarted;
    await mode.complete(run);
  } catch (err) {
    if (env.stopping()) {
      // The coordinator is shutting down, not the job: leave it as it stands, to resume on restart.
      env.log.info(`job ${job.id} paused by the shutdown; it resumes when the coordinator starts again`);
      env.changed(job);
      await env.flush();
      return;
    }
    const failure = remoteFailure(err);
    jobFailed(job, { code: signal.aborted ? 'CANCELLED' : failure.code, message: signal.aborted ? 'cancelled by request' : failure.message }, signal.aborted);
    env.changed(job);
    if (job.version) {
      await env.cluster.discard(job.version).catch((discardErr: Error) => {
        job.warnings.push(`version ${job.version} could not be discarded: ${discardErr.message}`);
      });
    }
    env.log.warn(`job ${job.id} ${job.status}: ${job.error!.message}`);
    env.cluster.emit('job.failed', { job: job.id, status: job.status, error: job.error });
  }
  jobEnded(job);
  await env.blobs.remove(`jobs/${job.id}`).catch(() => undefined);
  env.changed(job);
  await env.flush();
}

/**
 * After a coordinator restart: a job that had its plan and version continues where it stopped
 * (members already in the registry are not trained again); one that was still preparing is
 * failed with the reason (returned). Never silently lost.
 */
export async function resumableState(env: JobEnv, job: JobState): Promise<string | undefined> {
  if (!job.plan || !job.version) return 'the coordinator stopped while preparing the job: start it again';
  for (const blob of [...job.shards.map((s) => s.blob), ...(job.plan.validationSample ? [job.plan.validationSample] : [])]) {
    if (!(await env.blobs.has(blob.id))) return `shard data ${blob.id} is gone: start the job again`;
  }
  let version: VersionMeta;
  try {
    version = await env.cluster.version(job.version);
  } catch (err) {
    return `its version ${job.version} is not in the registry (${(err as Error).message})`;
  }
  if (version.status !== 'training') return `its version ${job.version} is ${version.status}`;
  const keeps = trainingMode(job.request.mode).keepsStoredMembers;
  const stored = new Map(version.members.map((m) => [m.id, m]));
  for (const m of job.members) {
    const have = stored.get(m.id);
    if (have?.artifact && keeps) memberDone(job, m, { node: have.node, fitMs: have.fitMs, artifact: have.artifact, summary: have.summary });
    else if (m.status !== 'done' || !have) memberPending(job, m, false);
  }
  return undefined;
}
