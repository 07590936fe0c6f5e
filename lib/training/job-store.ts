/** Jobs on disk, one JSON file each, written atomically: a restarted coordinator finds them all. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { QuorumError } from '../errors';
import { readJson, removeStaleTemps, writeJsonAtomic } from '../store/atomic';
import type { JobState } from './job';

const SAFE = /^[A-Za-z0-9_-]{1,64}$/;

export class JobStore {
  constructor(readonly dir: string) {}

  private file(id: string): string {
    if (!SAFE.test(id)) throw new QuorumError('JOB_NOT_FOUND', `no job '${id}'`);
    return path.join(this.dir, `${id}.json`);
  }

  async save(job: JobState): Promise<void> {
    await writeJsonAtomic(this.file(job.id), job);
  }

  async get(id: string): Promise<JobState | undefined> {
    return readJson<JobState>(this.file(id));
  }

  async all(): Promise<JobState[]> {
    await fs.mkdir(this.dir, { recursive: true });
    await removeStaleTemps(this.dir);
    const names = (await fs.readdir(this.dir)).filter((n) => n.endsWith('.json'));
    const jobs = await Promise.all(names.map((n) => readJson<JobState>(path.join(this.dir, n))));
    return jobs.filter((j): j is JobState => !!j).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
}
