/** Jobs on disk, one JSON file each, written atomically: a restarted coordinator finds them all. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { QuorumError } from '../errors';
import { readJson, removeStaleTemps, writeJsonAtomic } from '../store/atomic';
import type { JobState } from './job';

const SAFE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Writes of one job are coalesced: while one is on disk, the saves that arrive wait for a single
 * next write carrying the latest state. A job of many members updating at once costs at most two
 * writes in flight, not one full rewrite per member update.
 */
interface Writer {
  latest: JobState;
  /** The write not started yet (every save until it starts shares it). */
  next?: Promise<void>;
  /** The chain of writes, settled. */
  tail: Promise<void>;
}

export class JobStore {
  private readonly writers = new Map<string, Writer>();
  /** Writes done (for tests: coalescing bounds this, not the number of saves). */
  writes = 0;

  constructor(readonly dir: string) {}

  private file(id: string): string {
    if (!SAFE.test(id)) throw new QuorumError('JOB_NOT_FOUND', `no job '${id}'`);
    return path.join(this.dir, `${id}.json`);
  }

  save(job: JobState): Promise<void> {
    const file = this.file(job.id);
    let w = this.writers.get(job.id);
    if (!w) this.writers.set(job.id, (w = { latest: job, tail: Promise.resolve() }));
    w.latest = job;
    if (w.next) return w.next;
    const writer = w;
    const next = writer.tail.then(() => {
      writer.next = undefined;
      this.writes++;
      return writeJsonAtomic(file, writer.latest);
    });
    writer.next = next;
    writer.tail = next.then(
      () => this.idle(job.id, writer),
      () => this.idle(job.id, writer),
    );
    return next;
  }

  private idle(id: string, writer: Writer): void {
    if (!writer.next && this.writers.get(id) === writer) this.writers.delete(id);
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
