/**
 * A training request becomes a job, or a 4xx before the 202: every check that does not need the
 * cluster runs here (the request alone, then against the dataset and the task, then the memory
 * budget), so a job that starts is one that can run.
 */
import type { LoadedDataset } from '../data/catalog';
import { checkBudget, type FitLimits } from './budget';
import type { JobState } from './job';
import { checkRequest, type Checked } from './prepare';
import type { NormalisedRequest } from './request';

export interface Admitted {
  job: JobState;
  /** The request's checks against the dataset (none for `local` jobs: their data is on the trainers). */
  checked?: Checked;
}

function newJobId(): string {
  return `job-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** `request` comes from `normaliseRequest` (the checks that need nothing else). */
export async function admitJob(request: NormalisedRequest, datasets: { load(id: string): Promise<LoadedDataset> }, limits: FitLimits): Promise<Admitted> {
  const now = new Date().toISOString();
  const base = {
    id: newJobId(),
    status: 'preparing' as const,
    createdAt: now,
    updatedAt: now,
    progress: 0,
    shards: [],
    members: [],
    warnings: [],
    timings: {},
  };
  if (request.mode === 'local') {
    // The data stays on the trainers: the schema is learned from them when the job starts.
    const name = request.name ?? 'local';
    return { job: { ...base, request, dataset: { id: 'local', name, rows: 0 }, name, task: request.task } };
  }
  const dataset = await datasets.load(request.dataset!);
  const checked = checkRequest(dataset.table, dataset.profile, request);
  checkBudget(dataset.table, dataset.profile, request, checked, limits);
  const job: JobState = {
    ...base,
    request: { ...request, dataset: dataset.meta.id },
    dataset: { id: dataset.meta.id, name: dataset.meta.name, rows: dataset.meta.rows },
    name: request.name ?? dataset.meta.name,
    task: checked.task,
    classes: checked.target.classes,
    voting: checked.voting,
  };
  return { job, checked };
}
