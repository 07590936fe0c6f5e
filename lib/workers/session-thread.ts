/**
 * The trainer's handle on its data-parallel session thread (session-worker.ts): host requests in,
 * chunked replies out, per-job close and status; the thread closes sessions idle for longer than
 * `idleMs`. `terminate()` frees everything (the trainer's `stopped()`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { QuorumError, isErrorCode } from '../errors';
import { type HostReply, type HostRequest, type SessionStatus } from '../jobs/data-parallel/wire';

export type SessionThreadRequest = { id: number; msg: HostRequest | { op: 'closeJob'; job: string } | { op: 'status' } };

export type SessionThreadReply =
  | {
      id: number;
      ok: true;
      chunks?: Uint8Array[];
      closed?: number;
      status?: { sessions: SessionStatus[]; memoryBytes: number; reduceJobs: string[] };
      swept?: string[];
    }
  | { id: number; ok: false; error: { code: string; message: string; data?: Record<string, unknown> } };

/** The compiled worker script (under ts-jest, from dist/). */
function script(): string {
  const here = path.join(__dirname, 'session-worker.js');
  if (existsSync(here)) return here;
  const built = path.resolve(__dirname, '..', '..', 'dist', 'lib', 'workers', 'session-worker.js');
  if (existsSync(built)) return built;
  throw new QuorumError('INTERNAL', `session worker script not found at ${here} or ${built}: run 'npm run build'`);
}

export class SessionThread {
  private readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (r: SessionThreadReply) => void; reject: (e: Error) => void }>();
  /** Ids of the sessions the thread closed for idleness (most recent last). */
  readonly swept: string[] = [];
  /** Set when the thread has ended (crashed or terminated): its sessions are gone. */
  exited = false;

  constructor(idleMs: number, sweepMs = 1000) {
    if (!(idleMs > 0)) throw new QuorumError('BAD_VALUE', `the shard session idle timeout must be > 0 ms, got ${idleMs}`);
    this.worker = new Worker(script(), { workerData: { idleMs, sweepMs } });
    this.worker.on('message', (r: SessionThreadReply) => {
      if (r.id === -1) {
        if (r.ok && r.swept) this.swept.push(...r.swept);
        return;
      }
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      p?.resolve(r);
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => {
      this.exited = true;
      this.failAll(new QuorumError('INTERNAL', `the data-parallel session thread exited (code ${code})`));
    });
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private async call(msg: SessionThreadRequest['msg']): Promise<SessionThreadReply & { ok: true }> {
    if (this.exited) throw new QuorumError('INTERNAL', 'the data-parallel session thread has ended; its sessions are gone (the coordinator opens them again)');
    const id = this.next++;
    const reply = await new Promise<SessionThreadReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, msg } satisfies SessionThreadRequest);
    });
    if (!reply.ok) {
      const { code, message, data } = reply.error;
      throw new QuorumError(isErrorCode(code) ? code : 'INTERNAL', message, data);
    }
    return reply;
  }

  /** A host request (open, histograms, applySplits, rows, close). */
  async send(msg: HostRequest): Promise<HostReply> {
    return (await this.call(msg)).chunks!;
  }

  async closeJob(job: string): Promise<number> {
    return (await this.call({ op: 'closeJob', job })).closed!;
  }

  async status(): Promise<{ sessions: SessionStatus[]; memoryBytes: number; reduceJobs: string[] }> {
    return (await this.call({ op: 'status' })).status!;
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}
