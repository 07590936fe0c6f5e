/**
 * A coordinator's training jobs: every job it knows (persisted in the {@link JobStore}), the ones
 * running, and their life — started through the executor, cancelled, paused by a shutdown and
 * resumed (or failed with the reason) at the next start. Changes are saved and published in
 * batches ({@link Jobs.flush}, every 500 ms from the service).
 */
import { QuorumError } from '../errors';
import type { JobEnv } from './cluster';
import { executeJob, resumableState } from './executor';
import { FINISHED, type JobState } from './job';
import type { JobStore } from './job-store';
import { jobEnded, jobFailed, jobLive } from './job-transitions';
import { jobSummary } from './job-view';
import type { Checked } from './prepare';

interface RunningJob {
  state: JobState;
  abort: AbortController;
  done: Promise<void>;
}

export interface JobsPorts {
  store: JobStore;
  /** A changed job's summary (`training.progress`). */
  publish(summary: Record<string, unknown>): void;
  /** Jobs by state (the /metrics gauge). */
  counted(counts: Map<string, number>): void;
  log: { info(m: string): void; warn(m: string): void; error(m: string): void };
}

export class Jobs {
  private readonly jobs = new Map<string, JobState>();
  private readonly running = new Map<string, RunningJob>();
  private readonly dirty = new Set<string>();
  private stopping = false;
  readonly env: JobEnv;

  /** `env` without the job bookkeeping, which this class provides. */
  constructor(
    env: Omit<JobEnv, 'changed' | 'flush' | 'stopping'>,
    private readonly ports: JobsPorts,
  ) {
    this.env = { ...env, changed: (job) => this.touch(job), flush: () => this.flush(), stopping: () => this.stopping };
  }

  /** Loads the stored jobs; the unfinished ones resume (after `ready`, e.g. the registry is up). */
  async load(ready: () => Promise<void>): Promise<number> {
    const unfinished: JobState[] = [];
    for (const job of await this.ports.store.all()) {
      this.jobs.set(job.id, job);
      if (!FINISHED.includes(job.status)) unfinished.push(job);
    }
    this.count();
    if (unfinished.length) void ready().then(() => this.resume(unfinished));
    return this.jobs.size;
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** Slots taken by jobs being admitted (between the request and their start). */
  private reserved = 0;

  /**
   * Takes a job slot at once — synchronously, before the admission's first await — or throws
   * TOO_MANY_JOBS: fifty requests arriving together cannot all pass a count read before an await.
   * Call the returned function when the job has started (or was refused).
   */
  reserveSlot(limit: number): () => void {
    const busy = this.running.size + this.reserved;
    if (busy >= limit) {
      throw new QuorumError(
        'TOO_MANY_JOBS',
        `${busy} jobs are running or starting on this coordinator (MAX_CONCURRENT_JOBS ${limit}): wait for one to end or cancel one`,
        { running: busy, limit },
      );
    }
    this.reserved++;
    let released = false;
    return () => {
      if (!released) this.reserved--;
      released = true;
    };
  }

  /** Jobs newest first. */
  list(): JobState[] {
    return [...this.jobs.values()].reverse();
  }

  get(id: string): JobState {
    const job = this.jobs.get(id);
    if (!job) throw new QuorumError('JOB_NOT_FOUND', `no training job '${id}': list them with GET /api/trainings`);
    return job;
  }

  /** The running job that uses `dataset`, if any. */
  usingDataset(dataset: string): JobState | undefined {
    return [...this.running.values()].find((r) => r.state.dataset.id === dataset)?.state;
  }

  /** Stores a new job and runs it (in the background) until it ends. */
  async add(job: JobState, checked?: Checked): Promise<void> {
    this.jobs.set(job.id, job);
    await this.ports.store.save(job);
    this.start(job, checked);
  }

  /** Cancels a running job (`announce` tells the trainers); resolves when it has stopped. */
  async cancel(id: string, announce: (job: JobState) => void): Promise<JobState> {
    const job = this.get(id);
    const run = this.running.get(job.id);
    if (!run || FINISHED.includes(job.status)) throw new QuorumError('JOB_FINISHED', `job '${job.id}' is already ${job.status}`);
    run.abort.abort();
    announce(job);
    await run.done;
    return job;
  }

  /** An inference node first answered with `version`: its job is live. */
  markLive(version: string): void {
    for (const job of this.jobs.values()) {
      if (job.version === version && !job.liveAt) {
        jobLive(job);
        this.touch(job);
      }
    }
  }

  /** The job changed: saved and published at the next flush; the jobs-by-state gauge follows at once. */
  touch(job: JobState): void {
    job.updatedAt = new Date().toISOString();
    this.dirty.add(job.id);
    this.count();
  }

  /** Saves and publishes every job that changed since the last flush. */
  async flush(): Promise<void> {
    const ids = [...this.dirty];
    this.dirty.clear();
    for (const id of ids) {
      const job = this.jobs.get(id);
      if (!job) continue;
      await this.ports.store.save(job).catch((err: Error) => this.ports.log.error(`could not save job ${id}: ${err.message}`));
      this.ports.publish(jobSummary(job));
    }
  }

  /** The coordinator stops: running jobs are paused, not cancelled (the next start resumes them). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const run of this.running.values()) run.abort.abort();
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await this.flush();
  }

  private start(job: JobState, checked?: Checked): void {
    const run: RunningJob = { state: job, abort: new AbortController(), done: Promise.resolve() };
    this.running.set(job.id, run);
    run.done = executeJob(this.env, job, run.abort.signal, checked).finally(() => this.running.delete(job.id));
  }

  /** Jobs in flight when the coordinator stopped: resume them, or fail them with the reason. */
  private async resume(jobs: JobState[]): Promise<void> {
    for (const job of jobs) {
      const reason = await resumableState(this.env, job).catch((err: Error) => err.message);
      if (reason) {
        jobFailed(job, { code: 'INTERNAL', message: `coordinator restarted: ${reason}` });
        jobEnded(job);
        if (job.version) await this.env.cluster.discard(job.version).catch(() => undefined);
        await this.env.blobs.remove(`jobs/${job.id}`).catch(() => undefined);
        this.touch(job);
        this.ports.log.warn(`job ${job.id} failed: ${job.error!.message}`);
        continue;
      }
      job.warnings.push(`resumed after a coordinator restart at ${new Date().toISOString()}`);
      this.ports.log.info(`resuming job ${job.id} (${job.members.filter((m) => m.status === 'done').length} of ${job.members.length} members already trained)`);
      this.start(job);
    }
  }

  private count(): void {
    const counts = new Map<string, number>();
    for (const j of this.jobs.values()) counts.set(j.status, (counts.get(j.status) ?? 0) + 1);
    this.ports.counted(counts);
  }
}
