/**
 * Threads for large local predictions: every thread holds the members of the versions in use
 * (loaded once, from artifact bytes shared by all threads), and a batch is cut into one row range
 * per thread. The event loop stays free for single-row requests, and a batch uses every core.
 *
 * A thread that dies fails the batches it was running (INTERNAL, retryable by the caller) and is
 * replaced; versions are loaded into the new thread on the next batch.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { QuorumError, isErrorCode } from '../errors';
import type { Matrix } from '../models/model';
import type { Ensemble, MemberSet } from './ensemble';
import type { FromPredictWorker, ToPredictWorker } from './predict-protocol';
import type { MemberVote } from './version-view';

/** Fewer rows than this per thread are not worth the hand-over. */
export const MIN_ROWS_PER_THREAD = 512;

interface Thread {
  worker: Worker;
  /** Ensembles (by key) loaded in this thread. */
  versions: Map<string, Promise<void>>;
  pending: Map<number, { resolve: (m: FromPredictWorker) => void; reject: (err: Error) => void }>;
}

/** The compiled worker script (under ts-jest this file is TypeScript, so look in dist/). */
function workerScript(): string {
  const here = path.join(__dirname, 'predict-worker.js');
  if (existsSync(here)) return here;
  const built = path.resolve(__dirname, '..', '..', 'dist', 'lib', 'inference', 'predict-worker.js');
  if (existsSync(built)) return built;
  throw new QuorumError('INTERNAL', `predict worker script not found at ${here} or ${built}: run 'npm run build'`);
}

export class PredictPool {
  private readonly threads: Thread[] = [];
  private readonly script = workerScript();
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size: number,
    private readonly options: { tfBackend?: string } = {},
  ) {
    if (!Number.isInteger(size) || size < 1) throw new QuorumError('BAD_REQUEST', `predict pool size must be an integer ≥ 1, got ${size}`);
    for (let i = 0; i < size; i++) this.threads.push(this.spawn());
  }

  /** True when `rows` is worth cutting over the threads. */
  worthIt(rows: number): boolean {
    return rows >= 2 * MIN_ROWS_PER_THREAD;
  }

  /** Each member's aligned output on `x`, computed on the threads (rows split evenly). */
  async votes(ensemble: Ensemble, x: Matrix, which: MemberSet): Promise<MemberVote[]> {
    const members = which === 'all' ? [...ensemble.voters, ...ensemble.baselines] : ensemble.voters;
    const parts = Math.max(1, Math.min(this.threads.length, Math.floor(x.rows / MIN_ROWS_PER_THREAD)));
    const shared = new SharedArrayBuffer(x.data.byteLength);
    new Float32Array(shared).set(x.data);
    const step = Math.ceil(x.rows / parts);
    const answers = await Promise.all(
      this.threads.slice(0, parts).map(async (thread, i) => {
        await this.load(thread, ensemble);
        const start = i * step;
        const end = Math.min(x.rows, start + step);
        const answer = await this.send(thread, {
          type: 'predict',
          id: this.nextId++,
          version: ensemble.key,
          members: members.map((m) => m.id),
          x: shared,
          cols: x.cols,
          start,
          end,
        });
        return { rows: end - start, outputs: (answer as Extract<FromPredictWorker, { type: 'predicted' }>).outputs };
      }),
    );
    return members.map((member, m) => {
      const width = answers[0].outputs[m].length / answers[0].rows;
      const output = new Float32Array(x.rows * width);
      let offset = 0;
      for (const a of answers) {
        output.set(a.outputs[m], offset);
        offset += a.outputs[m].length;
      }
      return { member, output: ensemble.align(member, output, x.rows) };
    });
  }

  /** Frees an ensemble's models in every thread. */
  forget(ensemble: Ensemble): void {
    for (const t of this.threads) {
      if (!t.versions.delete(ensemble.key)) continue;
      t.worker.postMessage({ type: 'drop', id: 0, version: ensemble.key } satisfies ToPredictWorker);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => this.retire(t, new QuorumError('CANCELLED', 'predict pool closed'))));
  }

  private load(thread: Thread, ensemble: Ensemble): Promise<void> {
    let loaded = thread.versions.get(ensemble.key);
    if (!loaded) {
      const artifacts = ensemble.artifacts;
      if (!artifacts) return Promise.reject(new QuorumError('INTERNAL', `version '${ensemble.id}' was loaded without its artifacts`));
      const members = ensemble.meta.members.map((m) => ({ id: m.id, input: m.input, dense: m.dense, bytes: artifacts.get(m.id)! }));
      loaded = this.send(thread, { type: 'load', id: this.nextId++, version: ensemble.key, members, dense: ensemble.meta.dense }).then(() => undefined);
      thread.versions.set(ensemble.key, loaded);
      loaded.catch(() => thread.versions.delete(ensemble.key));
    }
    return loaded;
  }

  private send(thread: Thread, message: ToPredictWorker): Promise<FromPredictWorker> {
    if (this.closed) return Promise.reject(new QuorumError('CANCELLED', 'predict pool closed'));
    return new Promise((resolve, reject) => {
      thread.pending.set(message.id, { resolve, reject });
      thread.worker.postMessage(message);
    });
  }

  private spawn(): Thread {
    const worker = new Worker(this.script, { workerData: { tfBackend: this.options.tfBackend ?? 'auto' } });
    worker.unref();
    const thread: Thread = { worker, versions: new Map(), pending: new Map() };
    worker.on('message', (message: FromPredictWorker) => {
      const pending = thread.pending.get(message.id);
      if (!pending) return;
      thread.pending.delete(message.id);
      if (message.type === 'error')
        pending.reject(new QuorumError(isErrorCode(message.error.code) ? message.error.code : 'INTERNAL', message.error.message, message.error.data));
      else pending.resolve(message);
    });
    const died = (err: Error) => {
      if (this.closed) return;
      const i = this.threads.indexOf(thread);
      if (i < 0) return;
      this.threads[i] = this.spawn();
      void this.retire(thread, new QuorumError('INTERNAL', `prediction thread died: ${err.message}`));
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`exited with code ${code}`)));
    return thread;
  }

  private async retire(thread: Thread, err: Error): Promise<void> {
    for (const p of thread.pending.values()) p.reject(err);
    thread.pending.clear();
    thread.worker.removeAllListeners();
    thread.worker.on('error', () => undefined);
    await thread.worker.terminate();
  }
}
