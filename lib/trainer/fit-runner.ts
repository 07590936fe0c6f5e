/**
 * A trainer's fits: at most one per worker thread (a bulkhead: the others wait before fetching any
 * data), each fitted on the worker pool and stored in the registry. A node that is leaving hands
 * its fits back with TRAINER_LEAVING (retryable: the coordinator sends them elsewhere).
 */
import { QuorumError } from '../errors';
import { modelKindInfo } from '../models/kinds';
import type { FeatureInfo, FitProgress } from '../models/model';
import type { MemberMeta } from '../registry/version';
import { Semaphore } from '../util/semaphore';
import type { WorkerPool } from '../workers/pool';
import type { SharedSet } from '../workers/protocol';
import { timeExceeded, type FitReply, type FitSpec } from './fit-contract';

/** What a fit is made of, loaded once a worker slot is free. */
export interface FitData {
  train: SharedSet;
  validation?: SharedSet;
  initial?: Uint8Array;
  features: FeatureInfo[];
  transferSeconds?: number;
  /** Extra member metadata (a node-local member's own dense transform…). */
  member?: Partial<MemberMeta>;
}

/** What the runner tells and asks of its node. */
export interface FitRunnerPorts {
  nodeID: string;
  /** A fit moved on (fraction 0 as soon as it has a slot: the coordinator learns the node then). */
  progress(spec: FitSpec, p: FitProgress): void;
  /** Stores the artifact in the registry; returns the stored member. */
  store(version: string, member: MemberMeta, artifact: Uint8Array): Promise<MemberMeta>;
  /** Keeps the artifact on this node for broadcast voting (best effort). */
  keep(version: string, member: string, artifact: Uint8Array): Promise<void>;
  /** The fits in flight changed (the node publishes its load). */
  changed(): void;
  fitted(kind: string, seconds: number): void;
  warn(message: string): void;
}

export interface RunningFit {
  job: string;
  member: string;
  progress: number;
  abort: AbortController;
}

export function leavingError(node: string): QuorumError {
  return new QuorumError('TRAINER_LEAVING', `trainer ${node} is shutting down: the shard goes to another trainer`, { nodeID: node });
}

export class FitRunner {
  readonly running = new Map<string, RunningFit>();
  private readonly slots: Semaphore;
  /** Set when the node is shutting down: running fits are handed back (retryable error). */
  leaving = false;

  constructor(
    private readonly pool: WorkerPool,
    private readonly ports: FitRunnerPorts,
  ) {
    this.slots = new Semaphore(pool.size);
  }

  /** Fits in flight (and waiting for a slot), for status pages. */
  fits(): { job: string; member: string; progress: number }[] {
    return [...this.running.values()].map(({ job, member, progress }) => ({ job, member, progress }));
  }

  /** Throws TRAINER_LEAVING when the node is on its way out. */
  checkOpen(): void {
    if (this.leaving) throw leavingError(this.ports.nodeID);
  }

  /** Aborts the fits of a cancelled job. */
  cancelJob(job: string): void {
    for (const r of this.running.values()) if (r.job === job) r.abort.abort();
  }

  /** The node leaves: every fit is aborted and handed back. Returns how many there were. */
  handBack(): number {
    this.leaving = true;
    for (const r of this.running.values()) r.abort.abort();
    return this.running.size;
  }

  /**
   * One fit on this node: waits for a free worker slot (bulkhead), loads the data (`load` runs only
   * then, so a queued fit holds no rows), fits on the pool, stores the artifact in the registry.
   */
  async run(spec: FitSpec, load: () => Promise<FitData>): Promise<FitReply> {
    const kind = modelKindInfo(spec.kind);
    this.checkOpen();
    const { nodeID } = this.ports;
    const key = `${spec.job}/${spec.member}`;
    const running: RunningFit = { job: spec.job, member: spec.member, progress: 0, abort: new AbortController() };
    this.running.set(key, running);
    this.ports.changed();
    let release: (() => void) | undefined;
    let budget: NodeJS.Timeout | undefined;
    let overBudget = false;
    try {
      release = await this.slots.acquire(running.abort.signal);
      // The fit's wall-time budget counts from its slot (a queued fit has not started).
      if (spec.timeBudgetMs) {
        budget = setTimeout(() => {
          overBudget = true;
          running.abort.abort();
        }, spec.timeBudgetMs);
        budget.unref();
      }
      this.ports.progress(spec, { fraction: 0 });
      const data = await load();
      const threads = Math.max(1, Math.floor(this.pool.size / Math.max(1, this.slots.active)));
      const result = await this.pool.fit(
        {
          kind: spec.kind,
          params: spec.params,
          seed: spec.seed,
          task: spec.task,
          nClasses: spec.classes?.length ?? 0,
          classes: spec.classes,
          features: data.features,
          train: data.train,
          validation: data.validation,
          initial: data.initial,
        },
        {
          threads,
          signal: running.abort.signal,
          onProgress: (progress: FitProgress) => {
            running.progress = progress.fraction;
            this.ports.progress(spec, progress);
          },
        },
      );
      this.ports.fitted(spec.kind, result.fitMs / 1000);
      const member: MemberMeta = {
        id: spec.member,
        kind: spec.kind,
        params: spec.params,
        input: kind.input,
        shard: spec.shard,
        rows: data.train.rows,
        node: nodeID,
        fitMs: result.fitMs,
        classes: spec.classes,
        summary: result.summary,
        ...(spec.baseline ? { baseline: true } : {}),
        ...data.member,
      };
      const stored = await this.ports.store(spec.version, member, result.artifact);
      // Kept for broadcast voting; a failure here only means the member is fetched again later.
      await this.ports
        .keep(spec.version, spec.member, result.artifact)
        .catch((err: Error) => this.ports.warn(`member ${spec.member} not kept: ${err.message}`));
      const mb = data.train.x.byteLength / 1e6;
      return {
        node: nodeID,
        fitMs: result.fitMs,
        threads: result.threads,
        rows: data.train.rows,
        transferMBps: data.transferSeconds ? +(mb / data.transferSeconds).toFixed(1) : 0,
        artifact: stored.artifact!,
        summary: result.summary,
      };
    } catch (err) {
      // A node that is shutting down hands its shard back: the coordinator retries it elsewhere.
      this.checkOpen();
      if (overBudget) throw timeExceeded(spec.timeBudgetMs!);
      throw err;
    } finally {
      if (budget) clearTimeout(budget);
      release?.();
      this.running.delete(key);
      this.ports.changed();
    }
  }
}
