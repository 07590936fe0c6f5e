/**
 * A fixed pool of worker threads that fit and predict with any model kind, so a node that trains
 * for minutes still answers heartbeats, status calls and predictions.
 *
 * - Matrices are copied once into SharedArrayBuffers; every part of a parallel fit reads them.
 * - A kind with `parallel` (forests) can be spread over several threads of the pool; the parts are
 *   merged here. The split never changes the result (see ModelKind.parallel). What every part would
 *   repeat (a forest's binning) is prepared here once, and the parts come back as plain data, moved
 *   rather than copied: only the merged model is encoded.
 * - A kind with `team` (gbm) fits on one thread that borrows others of the pool for its inner loops
 *   (core/team.ts, on shared memory). Lent threads go back when the fit ends, and one at a time
 *   while other fits wait (the team shrinks at its next step): no fit waits for another to finish.
 *   The team's size never changes the result.
 * - Cancellation sets a shared flag the model polls between units of work; a thread that does not
 *   stop within `cancelGraceMs` is terminated and replaced.
 * - A thread that dies (out of memory, native crash) fails its task with FIT_FAILED and is replaced.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { breakTeam, leaveTeam, shrinkTeam, teamControl } from '../core/team';
import { QuorumError, isErrorCode } from '../errors';
import { encodeArtifact } from '../core/container';
import { resolveModelKind } from '../models/kinds';
import { TEAM_MIN_CELLS } from '../models/gbm/hist-kernel';
import type { FitProgress, ModelKind, TrainedModel, TrainingSet } from '../models/model';
import type { FitJob, FromWorker, PredictJob, SharedSet, ToWorker } from './protocol';

export interface PoolOptions {
  /** Number of threads (≥ 1). */
  size: number;
  /** Heap limit per thread in MB; a thread over it dies alone, not the process. Default 4096. */
  maxHeapMb?: number;
  /** How long a cancelled task may take to notice before its thread is terminated. Default 2000. */
  cancelGraceMs?: number;
  /** TensorFlow.js backend preference of the threads ('auto', 'node', 'wasm', 'cpu'). */
  tfBackend?: string;
}

export interface FitOptions {
  onProgress?: (progress: FitProgress) => void;
  signal?: AbortSignal;
  /** Threads for this one fit (kinds with `parallel` or `team` only). Default 1. */
  threads?: number;
}

export interface FitResult {
  artifact: Uint8Array;
  summary: Record<string, unknown>;
  /** Wall time from the first part starting to the merged result. */
  fitMs: number;
  threads: number;
}

export interface PoolStats {
  size: number;
  busy: number;
  queued: number;
  /** What threads set up for model kinds, e.g. { mlp: { backend: 'wasm', simd: true } }. */
  initialised?: Record<string, Record<string, unknown>>;
}

interface Task {
  message: ToWorker;
  resolve: (value: FromWorker) => void;
  reject: (err: Error) => void;
  onProgress?: (progress: FitProgress) => void;
  cancel?: Int32Array;
  /** Told how many threads the task started on. */
  started?: (threads: number) => void;
  /** Threads a team fit may take (leader included); 1 for every other task. */
  width: number;
  /** The team of a running team fit. */
  team?: TeamRun;
}

/** Threads lent to one running fit. */
interface TeamRun {
  /** The fit's task id (a lent thread's 'left' carries it). */
  id: number;
  control: Int32Array;
  /** Slots lent and not back yet. */
  members: Slot[];
  /** Members the team may keep (the pool lowers it to take threads back). */
  want: number;
}

interface Slot {
  /** Null while a thread that keeps dying waits to be started again. */
  worker: Worker | null;
  task?: Task;
  /** Lent to this team (the thread runs another thread's steps). */
  lent?: TeamRun;
  /** When its recent threads died (a thread that dies at start must not be restarted in a loop). */
  deaths: number[];
}

/** The compiled worker script. Under ts-jest this file is TypeScript, so look in dist/. */
export function workerScript(): string {
  const here = path.join(__dirname, 'fit-worker.js');
  if (existsSync(here)) return here;
  const built = path.resolve(__dirname, '..', '..', 'dist', 'lib', 'workers', 'fit-worker.js');
  if (existsSync(built)) return built;
  throw new QuorumError('INTERNAL', `worker script not found at ${here} or ${built}: run 'npm run build'`);
}

function share(a: Float32Array): Float32Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const s = new Float32Array(new SharedArrayBuffer(a.byteLength));
  s.set(a);
  return s;
}

function shareSet(set: SharedSet): SharedSet {
  return { ...set, x: share(set.x), y: share(set.y) };
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private readonly script = workerScript();
  private nextId = 1;
  private closed = false;
  private readonly initialised: Record<string, Record<string, unknown>> = {};

  constructor(private readonly options: PoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new QuorumError('BAD_REQUEST', `worker pool size must be an integer ≥ 1, got ${options.size}`);
    }
    for (let i = 0; i < options.size; i++) this.slots.push({ worker: this.spawn(), deaths: [] });
  }

  get size(): number {
    return this.slots.length;
  }

  stats(): PoolStats {
    const stats: PoolStats = { size: this.slots.length, busy: this.slots.filter((s) => s.task || s.lent).length, queued: this.queue.length };
    if (Object.keys(this.initialised).length) stats.initialised = { ...this.initialised };
    return stats;
  }

  /** Fits one model, on `threads` threads when its kind can be split. */
  async fit(job: FitJob, options: FitOptions = {}): Promise<FitResult> {
    const started = Date.now();
    const shared: FitJob = {
      ...job,
      train: shareSet(job.train),
      validation: job.validation ? shareSet(job.validation) : undefined,
    };
    const kind = resolveModelKind(job.kind);
    const threads = Math.max(1, Math.min(options.threads ?? 1, this.size));
    if (kind.team && threads > 1 && job.train.rows * job.train.cols >= TEAM_MIN_CELLS) {
      const done = await this.fitOne(shared, options.onProgress, options.signal, threads);
      return { artifact: done.artifact, summary: done.summary, fitMs: Date.now() - started, threads: done.threads };
    }
    const params = threads > 1 && kind.parallel ? kind.params(job.params) : null;
    const parts = params ? kind.parallel!.split(params, threads) : [];
    if (parts.length < 2) {
      const done = await this.fitOne(shared, options.onProgress, options.signal);
      return { artifact: done.artifact, summary: done.summary, fitMs: Date.now() - started, threads: 1 };
    }
    const merged = await this.fitParts(kind, shared, params, parts, options);
    const bytes = encodeArtifact(merged.toArtifact());
    const summary = merged.summary();
    merged.dispose();
    return {
      artifact: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      summary,
      fitMs: Date.now() - started,
      threads: parts.length,
    };
  }

  /** Predicts on a pool thread (large batches: keeps the event loop free). */
  async predict(job: PredictJob): Promise<Float32Array> {
    const done = await this.submit({ type: 'predict', id: this.nextId++, job }, 1);
    if (done.type !== 'predicted') throw new QuorumError('INTERNAL', `unexpected worker answer '${done.type}'`);
    return done.output;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new QuorumError('CANCELLED', 'worker pool closed'));
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.task?.reject(new QuorumError('CANCELLED', 'worker pool closed'));
        slot.task = undefined;
        await slot.worker?.terminate();
      }),
    );
  }

  /** One fit on one thread, or (width > 1) on a team of up to `width` threads. */
  private async fitOne(job: FitJob, onProgress?: (p: FitProgress) => void, signal?: AbortSignal, width = 1) {
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    let threads = 1;
    const done = await this.submit({ type: 'fit', id: this.nextId++, job, cancel }, width, onProgress, signal, cancel, (n) => (threads = n));
    if (done.type !== 'fitted') throw new QuorumError('INTERNAL', `unexpected worker answer '${done.type}'`);
    return { ...done, threads };
  }

  /**
   * One fit in parts, one thread each (ModelKind.parallel): what every part would repeat is
   * prepared once, here, while their threads start or take the job; the parts come back as plain
   * data and are merged.
   */
  private async fitParts<P>(kind: ModelKind<P>, job: FitJob, params: P, parts: P[], options: FitOptions): Promise<TrainedModel> {
    const parallel = kind.parallel!;
    const { train } = job;
    const data: TrainingSet = {
      task: job.task,
      x: { data: train.x, rows: train.rows, cols: train.cols },
      y: train.y,
      nClasses: job.nClasses,
      classes: job.classes,
      features: job.features,
    };
    const prepared = parallel.prepare?.(data, params, job.seed);
    const fractions = new Array<number>(parts.length).fill(0);
    const results = await Promise.all(
      parts.map((part, i) =>
        this.fitPart(
          { ...job, params: part, part: true, shared: prepared },
          (p) => {
            fractions[i] = p.fraction;
            options.onProgress?.({ ...p, fraction: fractions.reduce((a, b) => a + b, 0) / parts.length });
          },
          options.signal,
        ),
      ),
    );
    return parallel.merge(results);
  }

  /** One part of a parallel fit on one thread: its data for the merge (`ModelKind.parallel.part`). */
  private async fitPart(job: FitJob, onProgress?: (p: FitProgress) => void, signal?: AbortSignal): Promise<unknown> {
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const done = await this.submit({ type: 'fit', id: this.nextId++, job, cancel }, 1, onProgress, signal, cancel);
    if (done.type !== 'fitted-part') throw new QuorumError('INTERNAL', `unexpected worker answer '${done.type}'`);
    return done.part;
  }

  private submit(
    message: ToWorker,
    width: number,
    onProgress?: (p: FitProgress) => void,
    signal?: AbortSignal,
    cancel?: Int32Array,
    started?: (threads: number) => void,
  ) {
    return new Promise<FromWorker>((resolve, reject) => {
      if (this.closed) return reject(new QuorumError('CANCELLED', 'worker pool closed'));
      if (signal?.aborted) return reject(new QuorumError('CANCELLED', 'cancelled before it started'));
      const task: Task = { message, resolve, reject, onProgress, cancel, width, started };
      signal?.addEventListener('abort', () => this.cancel(task), { once: true });
      this.queue.push(task);
      this.dispatch();
    });
  }

  private cancel(task: Task): void {
    const queued = this.queue.indexOf(task);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      task.reject(new QuorumError('CANCELLED', 'cancelled while queued'));
      return;
    }
    const slot = this.slots.find((s) => s.task === task);
    if (!slot) return;
    if (task.cancel) Atomics.store(task.cancel, 0, 1);
    const timer = setTimeout(() => {
      if (slot.task !== task) return;
      this.replace(slot, new QuorumError('CANCELLED', 'cancelled (thread terminated)'));
    }, this.options.cancelGraceMs ?? 2000);
    timer.unref();
  }

  private dispatch(): void {
    const free = this.slots.filter((s) => !s.task && !s.lent && s.worker);
    while (this.queue.length && free.length) {
      const task = this.queue.shift()!;
      const slot = free.shift()!;
      // A team fit takes its share of the free threads: every queued task gets at least one.
      const share = Math.floor((free.length + 1) / (this.queue.length + 1));
      const members = free.splice(0, Math.max(0, Math.min(task.width, share) - 1));
      slot.task = task;
      task.started?.(members.length + 1);
      if (members.length === 0 || task.message.type !== 'fit') {
        slot.worker!.postMessage(task.message);
        continue;
      }
      const control = teamControl(members.length);
      const team: TeamRun = { id: task.message.id, control, members, want: members.length };
      task.team = team;
      const ports = members.map((member, index) => {
        const { port1, port2 } = new MessageChannel();
        member.lent = team;
        member.worker!.postMessage({ type: 'join', id: task.message.id, control, index, port: port2 } satisfies ToWorker, [port2]);
        return port1;
      });
      slot.worker!.postMessage({ ...task.message, team: { control, ports } } satisfies ToWorker, ports);
    }
    this.reclaim();
  }

  /** Tasks wait and no thread is free: running teams give threads back, one per waiting task, widest team first. */
  private reclaim(): void {
    const teams = [...new Set(this.slots.map((s) => s.lent).filter((t): t is TeamRun => !!t))];
    let owed = this.queue.length - teams.reduce((n, t) => n + t.members.length - t.want, 0);
    while (owed > 0) {
      const widest = teams.filter((t) => t.want > 0).sort((a, b) => b.want - a.want)[0];
      if (!widest) return;
      widest.want--;
      shrinkTeam(widest.control, widest.want);
      owed--;
    }
  }

  /**
   * The fit is over: its lent threads leave at once (they are woken), so their slots are free now;
   * work sent to them waits in their queue the moment it takes them to return.
   */
  private endTeam(team: TeamRun): void {
    leaveTeam(team.control);
    for (const member of team.members) member.lent = undefined;
    team.members = [];
    team.want = 0;
  }

  /** A lent thread is back (or gone): its team no longer counts it. */
  private unlend(slot: Slot): void {
    const team = slot.lent;
    if (!team) return;
    slot.lent = undefined;
    team.members = team.members.filter((m) => m !== slot);
    team.want = Math.min(team.want, team.members.length);
  }

  private spawn(): Worker {
    const worker = new Worker(this.script, {
      workerData: { tfBackend: this.options.tfBackend ?? 'auto' },
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb ?? 4096 },
    });
    worker.unref();
    worker.on('message', (message: FromWorker) => this.onMessage(worker, message));
    worker.on('error', (err) => this.onDeath(worker, err));
    worker.on('exit', (code) => this.onDeath(worker, new Error(`worker thread exited with code ${code}`)));
    return worker;
  }

  private onMessage(worker: Worker, message: FromWorker): void {
    const slot = this.slots.find((s) => s.worker === worker);
    if (message.type === 'initialised') {
      this.initialised[message.kind] = message.info;
      return;
    }
    if (!slot || message.type === 'ready') return;
    if (message.type === 'left') {
      if (slot.lent?.id === message.id) this.unlend(slot);
      this.dispatch();
      return;
    }
    const task = slot.task;
    if (!task || task.message.id !== message.id) return;
    if (message.type === 'progress') {
      task.onProgress?.(message.progress);
      return;
    }
    slot.task = undefined;
    if (task.team) this.endTeam(task.team);
    if (message.type === 'error') {
      const code = isErrorCode(message.error.code) ? message.error.code : 'FIT_FAILED';
      task.reject(new QuorumError(code, message.error.message, message.error.data));
    } else {
      task.resolve(message);
    }
    this.dispatch();
  }

  private onDeath(worker: Worker, err: Error): void {
    const slot = this.slots.find((s) => s.worker === worker);
    if (!slot || this.closed) return;
    const reason = /out of memory|ERR_WORKER_OUT_OF_MEMORY/i.test(`${err.message} ${(err as { code?: string }).code}`)
      ? `worker thread ran out of memory (heap limit ${this.options.maxHeapMb ?? 4096} MB)`
      : `worker thread died: ${err.message}`;
    this.replace(slot, new QuorumError('FIT_FAILED', reason));
  }

  /** Fails the slot's task with `err`, terminates its thread and starts a fresh one. */
  private replace(slot: Slot, err: QuorumError): void {
    const old = slot.worker;
    const task = slot.task;
    slot.task = undefined;
    if (task?.team) this.endTeam(task.team);
    if (slot.lent) {
      // A lent thread died: its leader's step throws (the fit fails like any fit whose thread died).
      breakTeam(slot.lent.control);
      this.unlend(slot);
    }
    if (old) {
      old.removeAllListeners();
      old.on('error', () => undefined);
      void old.terminate();
    }
    const now = Date.now();
    slot.deaths = slot.deaths.filter((t) => now - t < 10_000).concat(now);
    if (slot.deaths.length >= 3) {
      // Three deaths in ten seconds: wait before starting another thread.
      slot.worker = null;
      setTimeout(() => {
        if (this.closed) return;
        slot.worker = this.spawn();
        this.dispatch();
      }, 2000).unref();
    } else {
      slot.worker = this.spawn();
    }
    task?.reject(err);
    this.dispatch();
  }
}
