/**
 * trainer: fits and predicts with the models of its shards, off the event loop (a worker pool of
 * TRAINER_WORKERS threads). It fetches its shard as a stream from the coordinator, checks the
 * checksum, fits, and streams the artifact to the registry; only ids, sizes and checksums travel
 * as messages.
 */
import os from 'node:os';
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { applyDense, type DenseSpec } from '../lib/data/preprocess';
import { decodeShard } from '../lib/data/shard-codec';
import { QuorumError } from '../lib/errors';
import { modelKindInfo } from '../lib/models/kinds';
import type { FeatureInfo, FitProgress, Task } from '../lib/models/model';
import type { MemberMeta } from '../lib/registry/version';
import { bufferStream, readAll, sha256 } from '../lib/store/streams';
import { Semaphore } from '../lib/util/semaphore';
import type { BlobRef } from '../lib/training/job';
import { WorkerPool } from '../lib/workers/pool';
import type { SharedSet } from '../lib/workers/protocol';
import { nodesWith } from './support/cluster';
import { quorumConfig } from './support/config';
import { QuorumErrors } from './support/errors';
import { RestartGuard } from './support/restart-guard';
import { LocalData } from './support/local-data';
import { trainerModels, type TrainerModels } from './support/trainer-models';
import type { TrainerPredictReply, TrainerPredictRequest } from '../lib/inference/broadcast';
import { QUORUM_METRICS, registerMetrics } from '../lib/ops/metrics';
import { joinChunks, type HostRequest } from '../lib/training/data-parallel';
import { SessionThread } from '../lib/workers/session-thread';
import { DP_INLINE_BYTES } from './support/data-parallel';

/** A data-parallel shard session unused this long is closed (a coordinator that died leaks nothing). */
const DP_IDLE_MS = 10 * 60_000;

/** `trainer.fit`: a member (see {@link FitSpec}) and where its data is. */
export interface FitParams extends FitSpec {
  features: FeatureInfo[];
  dense?: DenseSpec;
  /** Where the shard is: a blob of the coordinator on `nodeID`. */
  source: BlobRef & { nodeID: string };
  validation?: BlobRef & { nodeID: string };
  /** Start from these weights (parameter averaging): a member artifact in the registry. */
  initial?: { version: string; member: string };
}

export interface FitReply {
  node: string;
  rows: number;
  fitMs: number;
  threads: number;
  transferMBps: number;
  artifact: { size: number; sha256: string };
  summary: Record<string, unknown>;
}

/** What a fit is (the identity of the member it makes). */
export interface FitSpec {
  job: string;
  version: string;
  member: string;
  shard: number;
  kind: string;
  params: Record<string, unknown>;
  seed: number;
  task: Task;
  classes?: string[];
  /** The member trained on all rows for comparison (it does not vote). */
  baseline?: boolean;
}

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

interface Running {
  job: string;
  member: string;
  progress: number;
  abort: AbortController;
}

export type TrainerThis = Service & {
  pool: WorkerPool;
  /** Bulkhead: at most one fit per worker thread; the others wait here before fetching data. */
  slots: Semaphore;
  running: Map<string, Running>;
  /** Set when the node is shutting down: running fits are handed back (retryable error). */
  leaving: boolean;
  loadTimer?: NodeJS.Timeout;
  /**
   * Data-parallel shard sessions held for coordinators (lib/training/data-parallel/host.ts), in a
   * thread of their own (started on the first session), so their compute never blocks this node's
   * event loop.
   */
  dpThread?: SessionThread;
  dpSwept: number;
  sessions(): SessionThread;
  sweepTimer?: NodeJS.Timeout;
  /** Members this node fitted (or was asked for), for broadcast voting. */
  models: TrainerModels;
  fetchSet(ctx: Context, ref: BlobRef & { nodeID: string }, dense?: DenseSpec): Promise<{ set: SharedSet; seconds: number }>;
  fetchArtifact(ctx: Context, version: string, member: string): Promise<Uint8Array>;
  nodeServes(nodeID: string, service: string): Promise<void>;
  runFit(spec: FitSpec, load: () => Promise<FitData>): Promise<FitReply>;
  publishLoad(): void;
};

/** What a trainer can hold: the machine's memory and the heap limit of each worker thread (MB). */
function memoryOf(svc: TrainerThis): { totalMB: number; freeMB: number; rssMB: number; threadHeapMB: number } {
  return {
    totalMB: Math.round(os.totalmem() / 1048576),
    freeMB: Math.round(os.freemem() / 1048576),
    rssMB: Math.round(process.memoryUsage().rss / 1048576),
    threadHeapMB: quorumConfig(svc.broker).trainerHeapMb,
  };
}

/** File name and size of a node's own data (never its path or rows). */
function localSummary(svc: TrainerThis): { file: string; rows: number; columns: number } | undefined {
  const local = (svc as TrainerThis & { local?: { file: string; table: { nRows: number; columns: unknown[] } } }).local;
  return local ? { file: local.file.split(/[\\/]/).pop()!, rows: local.table.nRows, columns: local.table.columns.length } : undefined;
}

function leavingError(node: string): QuorumError {
  return new QuorumError('TRAINER_LEAVING', `trainer ${node} is shutting down: the shard goes to another trainer`, { nodeID: node });
}

const TrainerService: ServiceSchema<ServiceSettingSchema, TrainerThis> = {
  name: 'trainer',
  mixins: [QuorumErrors, RestartGuard, LocalData],

  actions: {
    fit: {
      params: {
        job: 'string',
        version: 'string',
        member: 'string',
        shard: 'number',
        kind: 'string',
        params: { type: 'object', optional: true },
        seed: 'number',
        task: { type: 'enum', values: ['classification', 'regression'] },
        classes: { type: 'array', items: 'string', optional: true },
        features: { type: 'array', items: 'object' },
        dense: { type: 'object', optional: true },
        source: { type: 'object', props: { id: 'string', size: 'number', sha256: 'string', nodeID: 'string' } },
        validation: { type: 'object', optional: true },
        initial: { type: 'object', optional: true, props: { version: 'string', member: 'string' } },
        baseline: { type: 'boolean', optional: true },
      },
      async handler(this: TrainerThis, ctx: Context<FitParams>): Promise<FitReply> {
        const p = ctx.params;
        const kind = modelKindInfo(p.kind);
        const dense = kind.input === 'dense' ? p.dense : undefined;
        if (kind.input === 'dense' && !dense) throw new QuorumError('BAD_REQUEST', `model '${p.kind}' needs the job's dense transform`);
        return this.runFit(p, async () => {
          const shard = await this.fetchSet(ctx, p.source, dense);
          return {
            train: shard.set,
            validation: p.validation ? (await this.fetchSet(ctx, p.validation, dense)).set : undefined,
            initial: p.initial ? await this.fetchArtifact(ctx, p.initial.version, p.initial.member) : undefined,
            features: dense ? dense.names.map((name) => ({ name, kind: 'numeric' as const })) : p.features,
            transferSeconds: shard.seconds,
          };
        });
      },
    },

    /** Data-parallel: opens a shard session from the shard's blob (fetched from its coordinator). */
    dpOpen: {
      params: { id: { type: 'string', max: 256 }, blob: { type: 'object', props: { id: 'string', size: 'number', sha256: 'string', nodeID: 'string' } } },
      async handler(this: TrainerThis, ctx: Context<{ id: string; blob: BlobRef & { nodeID: string } }>) {
        if (this.leaving) throw leavingError(this.broker.nodeID);
        const timeout = quorumConfig(this.broker).requestTimeoutMs;
        await this.nodeServes(ctx.params.blob.nodeID, 'coordinator');
        const stream = await ctx.call<NodeJS.ReadableStream, { id: string }>('coordinator.blob', { id: ctx.params.blob.id }, { nodeID: ctx.params.blob.nodeID, timeout });
        const bytes = await readAll(stream, { size: ctx.params.blob.size, sha256: ctx.params.blob.sha256, idleMs: timeout });
        if (this.broker.metrics.isEnabled()) this.broker.metrics.increment(QUORUM_METRICS.shardBytes.name, undefined, bytes.byteLength);
        const reply = await this.sessions().send({ op: 'open', id: ctx.params.id, shard: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
        this.logger.info(`data-parallel session ${ctx.params.id} open: ${(bytes.byteLength / 1e6).toFixed(1)} MB`);
        return { id: ctx.params.id, bytes: reply.length };
      },
    },

    /** Data-parallel: a request to an open shard session; packed typed arrays (a stream when large). */
    dp: {
      params: {
        op: { type: 'enum', values: ['histograms', 'applySplits', 'rows', 'round', 'level', 'close'] },
        id: { type: 'string', max: 256 },
        nodes: { type: 'array', optional: true },
        req: { type: 'object', optional: true },
      },
      async handler(this: TrainerThis, ctx: Context<HostRequest>) {
        const joined = joinChunks(await this.sessions().send(ctx.params));
        const bytes = Buffer.from(joined.buffer, joined.byteOffset, joined.byteLength);
        if (ctx.params.op === 'close') this.logger.info(`data-parallel session ${ctx.params.id} closed`);
        return bytes.length > DP_INLINE_BYTES ? bufferStream(bytes) : bytes;
      },
    },

    /** Broadcast voting: this node's members of a version predict encoded features. */
    predict: {
      params: {
        version: 'string',
        members: { type: 'array', items: 'string', min: 1 },
        x: { type: 'any' },
        rows: { type: 'number', integer: true, positive: true },
        cols: { type: 'number', integer: true, positive: true },
        waitMs: { type: 'number', min: 0, default: 0 },
      },
      handler(this: TrainerThis, ctx: Context<TrainerPredictRequest>): Promise<TrainerPredictReply> {
        return this.models.predict(ctx.params);
      },
    },

    status: {
      async handler(this: TrainerThis) {
        return {
          nodeID: this.broker.nodeID,
          ...this.pool.stats(),
          fits: [...this.running.values()].map(({ job, member, progress }) => ({ job, member, progress })),
          memory: memoryOf(this),
          local: localSummary(this),
          dataParallel: this.dpThread ? await this.dpThread.status() : { sessions: [], memoryBytes: 0 },
        };
      },
    },
  },

  events: {
    'model.activated'(this: TrainerThis, ctx: Context<{ version: string }>) {
      void this.models.preload(ctx.params.version).catch((err: Error) => this.logger.warn(`members of ${ctx.params.version} not preloaded: ${err.message}`));
    },
    'model.removed'(this: TrainerThis, ctx: Context<{ version: string }>) {
      void this.models.forget(ctx.params.version).catch((err: Error) => this.logger.warn(`members of ${ctx.params.version} not dropped: ${err.message}`));
    },
    'training.cancelled'(this: TrainerThis, ctx: Context<{ job: string }>) {
      for (const r of this.running.values()) if (r.job === ctx.params.job) r.abort.abort();
      void this.dpThread
        ?.closeJob(ctx.params.job)
        .then((closed) => closed && this.logger.info(`job ${ctx.params.job} cancelled: ${closed} data-parallel session(s) closed`))
        .catch((err: Error) => this.logger.warn(`data-parallel sessions of ${ctx.params.job} not closed: ${err.message}`));
    },
  },

  methods: {
    /** The session thread, started on first use. */
    sessions(this: TrainerThis): SessionThread {
      if (!this.dpThread || this.dpThread.exited) {
        this.dpThread = new SessionThread(DP_IDLE_MS);
        this.dpSwept = 0;
      }
      return this.dpThread;
    },

    /**
     * One fit on this node: waits for a free worker slot (bulkhead), loads the data (`load` runs only
     * then, so a queued fit holds no rows), fits on the pool, streams the artifact to the registry.
     */
    async runFit(this: TrainerThis, spec: FitSpec, load: () => Promise<FitData>): Promise<FitReply> {
      const kind = modelKindInfo(spec.kind);
      if (this.leaving) throw leavingError(this.broker.nodeID);
      const key = `${spec.job}/${spec.member}`;
      const running: Running = { job: spec.job, member: spec.member, progress: 0, abort: new AbortController() };
      this.running.set(key, running);
      this.publishLoad();
      let release: (() => void) | undefined;
      try {
        release = await this.slots.acquire(running.abort.signal);
        this.broker.emit('shard.progress', { job: spec.job, member: spec.member, node: this.broker.nodeID, fraction: 0 }); // the coordinator learns the node now
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
              this.broker.emit('shard.progress', { job: spec.job, member: spec.member, node: this.broker.nodeID, ...progress });
            },
          },
        );
        if (this.broker.metrics.isEnabled()) this.broker.metrics.observe(QUORUM_METRICS.fitSeconds.name, result.fitMs / 1000, { kind: spec.kind });
        const member: MemberMeta = {
          id: spec.member,
          kind: spec.kind,
          params: spec.params,
          input: kind.input,
          shard: spec.shard,
          rows: data.train.rows,
          node: this.broker.nodeID,
          fitMs: result.fitMs,
          classes: spec.classes,
          summary: result.summary,
          ...(spec.baseline ? { baseline: true } : {}),
          ...data.member,
        };
        await this.broker.waitForServices('registry', 60_000);
        const stored = await this.broker.call<MemberMeta, unknown>('registry.putMember', bufferStream(result.artifact), {
          meta: { version: spec.version, member: { ...member, artifact: { size: result.artifact.length, sha256: sha256(result.artifact) } } },
          timeout: 0,
        });
        // Kept for broadcast voting; a failure here only means the member is fetched again later.
        await this.models.keep(spec.version, spec.member, result.artifact).catch((err: Error) => this.logger.warn(`member ${spec.member} not kept: ${err.message}`));
        const mb = data.train.x.byteLength / 1e6;
        return {
          node: this.broker.nodeID,
          fitMs: result.fitMs,
          threads: result.threads,
          rows: data.train.rows,
          transferMBps: data.transferSeconds ? +(mb / data.transferSeconds).toFixed(1) : 0,
          artifact: stored.artifact!,
          summary: result.summary,
        };
      } catch (err) {
        // A node that is shutting down hands its shard back: the coordinator retries it elsewhere.
        if (this.leaving) throw leavingError(this.broker.nodeID);
        throw err;
      } finally {
        release?.();
        this.running.delete(key);
        this.publishLoad();
      }
    },

    async fetchSet(this: TrainerThis, ctx: Context, ref: BlobRef & { nodeID: string }, dense?: DenseSpec) {
      const started = process.hrtime.bigint();
      await this.nodeServes(ref.nodeID, 'coordinator');
      const stream = await ctx.call<NodeJS.ReadableStream, { id: string }>('coordinator.blob', { id: ref.id }, { nodeID: ref.nodeID, timeout: quorumConfig(this.broker).requestTimeoutMs });
      const bytes = await readAll(stream, { size: ref.size, sha256: ref.sha256, idleMs: quorumConfig(this.broker).requestTimeoutMs });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (this.broker.metrics.isEnabled()) this.broker.metrics.increment(QUORUM_METRICS.shardBytes.name, undefined, bytes.byteLength);
      const shard = decodeShard(bytes);
      const x = dense ? applyDense(dense, shard.x) : shard.x;
      return { set: { x: x.data, rows: x.rows, cols: x.cols, y: shard.y }, seconds };
    },

    /**
     * Waits (up to the request timeout) until `nodeID` is known to run `service`: a coordinator that
     * just restarted may ask for a fit before this node has heard of its services.
     */
    async nodeServes(this: TrainerThis, nodeID: string, service: string) {
      const deadline = Date.now() + quorumConfig(this.broker).requestTimeoutMs;
      while (!nodesWith(this.broker, service).includes(nodeID) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    },

    async fetchArtifact(this: TrainerThis, ctx: Context, version: string, member: string) {
      const stream = await ctx.call<NodeJS.ReadableStream, { version: string; member: string }>('registry.artifact', { version, member }, { timeout: quorumConfig(this.broker).requestTimeoutMs });
      const bytes = await readAll(stream, { idleMs: quorumConfig(this.broker).requestTimeoutMs });
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },

    publishLoad(this: TrainerThis) {
      const stats = this.pool.stats();
      if (this.broker.metrics.isEnabled()) {
        this.broker.metrics.set(QUORUM_METRICS.threads.name, stats.size);
        this.broker.metrics.set(QUORUM_METRICS.threadsBusy.name, stats.busy);
      }
      this.broker.broadcast('trainer.load', {
        nodeID: this.broker.nodeID,
        workers: stats.size,
        busy: stats.busy,
        queued: stats.queued,
        slots: this.leaving ? 0 : stats.size,
        fits: this.running.size,
        memory: memoryOf(this),
        local: localSummary(this),
      });
    },
  },

  created(this: TrainerThis) {
    const config = quorumConfig(this.broker);
    this.pool = new WorkerPool({ size: config.trainerWorkers, maxHeapMb: config.trainerHeapMb, tfBackend: config.tfBackend });
    this.slots = new Semaphore(config.trainerWorkers);
    this.running = new Map();
    this.leaving = false;
    this.models = trainerModels(this.broker, config);
    registerMetrics(this.broker.metrics, ['fitSeconds', 'shardBytes', 'threads', 'threadsBusy']);
    this.dpSwept = 0;
  },

  started(this: TrainerThis) {
    this.logger.info(`trainer ready: ${this.pool.size} worker thread(s)`);
    this.publishLoad();
    this.loadTimer = setInterval(() => this.publishLoad(), 5000);
    this.loadTimer.unref();
    this.sweepTimer = setInterval(() => {
      const swept = this.dpThread?.swept ?? [];
      for (; this.dpSwept < swept.length; this.dpSwept++) this.logger.warn(`data-parallel session ${swept[this.dpSwept]} closed after ${DP_IDLE_MS / 60_000} min unused`);
    }, 30_000);
    this.sweepTimer.unref();
  },

  async stopped(this: TrainerThis) {
    if (this.loadTimer) clearInterval(this.loadTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.dpThread?.terminate();
    this.dpThread = undefined;
    this.leaving = true;
    this.publishLoad();
    if (this.running.size) this.logger.info(`handing back ${this.running.size} fit(s) before leaving`);
    for (const r of this.running.values()) r.abort.abort();
    await this.pool.close();
    this.models.dispose();
  },
};

export default TrainerService;
