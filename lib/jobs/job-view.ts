/** What the API shows of a job: its summary in lists and events, and the transfer figures. */
import type { JobState } from './job';

/** Shard transfers to trainers in this job: how many, and the median throughput (MB/s). */
export function transferSummary(job: JobState): { shards: number; medianMBps: number | null } | undefined {
  const rates = job.members
    .map((m) => m.transferMBps)
    .filter((v): v is number => typeof v === 'number' && v > 0)
    .sort((a, b) => a - b);
  if (!rates.length) return undefined;
  const mid = rates.length >> 1;
  return { shards: rates.length, medianMBps: rates.length % 2 ? rates[mid] : +((rates[mid - 1] + rates[mid]) / 2).toFixed(1) };
}

/** A job as `GET /api/trainings` lists it and `training.progress` events carry it. */
export function jobSummary(job: JobState): Record<string, unknown> {
  return {
    id: job.id,
    status: job.status,
    message: job.message,
    dataset: job.dataset,
    name: job.name,
    target: job.request.target,
    task: job.task,
    models: job.request.models.map((m) => m.kind),
    mode: job.request.mode,
    version: job.version,
    live: Boolean(job.liveAt),
    liveAt: job.liveAt,
    progress: job.progress,
    members: job.members.map((m) => ({
      id: m.id,
      shard: m.shard,
      kind: m.kind,
      rows: m.rows,
      status: m.status,
      progress: m.progress,
      node: m.node,
      attempts: m.attempts,
      errors: m.errors,
      ...(m.baseline ? { baseline: true } : {}),
    })),
    rounds: job.rounds?.map((r) => ({ round: r.round, trainers: r.trainers, metrics: r.metrics })),
    transfer: transferSummary(job),
    metrics: job.metrics,
    error: job.error,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
  };
}
