/**
 * trainer: fits and predicts with the models of its shards, off the event loop (a worker pool of
 * TRAINER_WORKERS threads, lib/trainer/fit-runner.ts). It fetches its shard as a stream from the
 * coordinator, checks the checksum, fits, and streams the artifact to the registry; only ids,
 * sizes and checksums travel as messages. It also holds data-parallel shard sessions (in a thread
 * of their own) and, with TRAINER_DATA, a file of its own (lib/trainer/local-data.ts).
 */
import os from 'node:os';
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { denseFeatures } from '../lib/data/preprocess';
import { QuorumError } from '../lib/errors';
import type { TrainerPredictReply, TrainerPredictRequest } from '../lib/inference/broadcast';
import { STREAM_ABOVE_BYTES } from '../lib/limits';
import { modelKindInfo } from '../lib/models/kinds';
import type { Task } from '../lib/models/model';
import { QUORUM_METRICS, registerMetrics } from '../lib/ops/metrics';
import { bufferStream } from '../lib/store/streams';
import { BLOB_REF, FIT_PARAMS, LOCAL_FIT_PARAMS, TASK, type FitParams, type FitReply, type LocalFitParams } from '../lib/trainer/fit-contract';
import { FitRunner } from '../lib/trainer/fit-runner';
import { LocalData } from '../lib/trainer/local-data';
import type { TrainerModels } from '../lib/trainer/member-cache';
import { chunkBytes, float64s, joinChunks, packArrays, unpackArrays, type HostRequest } from '../lib/jobs/data-parallel';
import { PartInbox } from '../lib/trainer/part-inbox';
import type { BlobRef } from '../lib/jobs/job';
import { WorkerPool } from '../lib/workers/pool';
import { SessionThread } from '../lib/workers/session-thread';
import { QuorumErrors } from './mixins/errors';
import { RestartGuard } from './mixins/restart-guard';
import { quorumConfig } from './ports/config';
import { trainerModels } from './ports/member-source';
import { fetchArtifact, fetchBlob, fetchSet, fitRunnerPorts, localRegistry } from './ports/trainer-ports';

/** A data-parallel shard session unused this long is closed (a coordinator that died leaks nothing). */
const DP_IDLE_MS = 10 * 60_000;

type TrainerThis = Service & {
  pool: WorkerPool;
  fits: FitRunner;
  /** Members this node fitted (or was asked for), for broadcast voting. */
  models: TrainerModels;
  /** The node's own file (TRAINER_DATA), if it has one. */
  local?: LocalData;
  /** Data-parallel shard sessions held for coordinators, started on the first one (see `sessions`). */
  dpThread?: SessionThread;
  dpSwept: number;
  /** Blocks other trainers send this one during a data-parallel step (reduce-scatter). */
  dpInbox: PartInbox;
  loadTimer?: NodeJS.Timeout;
  sweepTimer?: NodeJS.Timeout;
  sessions(): SessionThread;
  requireLocal(): LocalData;
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

const TrainerService: ServiceSchema<ServiceSettingSchema, TrainerThis> = {
  name: 'trainer',
  mixins: [QuorumErrors, RestartGuard],

  actions: {
    fit: {
      params: FIT_PARAMS,
      async handler(this: TrainerThis, ctx: Context<FitParams>): Promise<FitReply> {
        const p = ctx.params;
        const kind = modelKindInfo(p.kind);
        const dense = kind.input === 'dense' ? p.dense : undefined;
        if (kind.input === 'dense' && !dense) throw new QuorumError('BAD_REQUEST', `model '${p.kind}' needs the job's dense transform`);
        return this.fits.run(p, async () => {
          const shard = await fetchSet(ctx, p.source, dense);
          return {
            train: shard.set,
            validation: p.validation ? (await fetchSet(ctx, p.validation, dense)).set : undefined,
            initial: p.initial ? await fetchArtifact(ctx, p.initial.version, p.initial.member) : undefined,
            features: dense ? denseFeatures(dense) : p.features,
            transferSeconds: shard.seconds,
          };
        });
      },
    },

    /** This node's file described (columns, types, categories, target): never a row. */
    localProfile: {
      params: { target: { type: 'string', optional: true }, task: { ...TASK, optional: true } },
      handler(this: TrainerThis, ctx: Context<{ target?: string; task?: Task }>) {
        return this.requireLocal().profile(ctx.params.target, ctx.params.task);
      },
    },

    /** Fits a member on this node's own training rows with the job's common encoder. */
    fitLocal: {
      params: LOCAL_FIT_PARAMS,
      handler(this: TrainerThis, ctx: Context<LocalFitParams>): Promise<FitReply> {
        return this.requireLocal().fit(ctx.params);
      },
    },

    /** Every member of a version (and the ensemble) on this node's own validation rows. */
    evaluateLocal: {
      params: { version: 'string' },
      async handler(this: TrainerThis, ctx: Context<{ version: string }>) {
        const local = this.requireLocal();
        return local.evaluate(await localRegistry(this.broker).get(ctx.params.version));
      },
    },

    /** Data-parallel: opens a shard session from the shard's blob (fetched from its coordinator). */
    dpOpen: {
      params: { id: { type: 'string', max: 256 }, blob: BLOB_REF },
      async handler(this: TrainerThis, ctx: Context<{ id: string; blob: BlobRef & { nodeID: string } }>) {
        this.fits.checkOpen();
        const bytes = await fetchBlob(ctx, ctx.params.blob);
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
        return bytes.length > STREAM_ABOVE_BYTES ? bufferStream(bytes) : bytes;
      },
    },

    /**
     * Data-parallel boosting, one step of a job over the sessions this trainer holds (`ids`): the
     * local sums of the step's histograms; block j of them goes to trainer peers[j] (`trainer.dpPart`),
     * the blocks the others send for this trainer's block are added (`reduce`), and the answer is
     * [head, winners, stats] — a few numbers per node, never a histogram. Stats: the session
     * thread's compute (ms), bytes sent to the other trainers, the wait for their parts (ms), and
     * the whole step on this trainer (ms).
     */
    dpStep: {
      params: {
        job: { type: 'string', max: 256 },
        ids: { type: 'array', items: { type: 'string', max: 256 }, min: 1, max: 4096 },
        seq: { type: 'number', integer: true, min: 0 },
        step: { type: 'string', max: 64 * 1024 * 1024 },
        block: { type: 'number', integer: true, min: 0 },
        peers: { type: 'array', items: { type: 'string', max: 256 }, min: 1, max: 4096 },
      },
      async handler(this: TrainerThis, ctx: Context<{ job: string; ids: string[]; seq: number; step: string; block: number; peers: string[] }>) {
        const { job, ids, seq, step, block, peers } = ctx.params;
        const received = performance.now();
        if (block >= peers.length || peers[block] !== this.broker.nodeID) {
          throw new QuorumError('BAD_VALUE', `block ${block} of peers [${peers.join(', ')}] is not this trainer (${this.broker.nodeID})`);
        }
        const settings = quorumConfig(this.broker);
        // Parts from the others may come before this trainer has its own sums: collect from now on.
        const incoming = peers.length > 1 ? this.dpInbox.wait(job, seq, peers.length - 1, settings.fitTimeoutMs) : null;
        incoming?.catch(() => undefined);
        const local = unpackArrays(joinChunks(await this.sessions().send({ op: 'step', job, ids, step, block, peers: peers.length })));
        if (peers.length === 1) {
          const stats = float64s(local[2]);
          return Buffer.from(packArrays([float64s(local[0]), float64s(local[1]), Float64Array.of(stats[0], 0, 0, performance.now() - received)]));
        }
        const head = float64s(local[0]);
        const stepMs = float64s(local[local.length - 1])[0];
        // Block j of this trainer's sums to trainer j, in chunks under the message limit.
        let sent = 0;
        const t0 = performance.now();
        const sending = Promise.all(
          peers.map(async (node, j) => {
            if (j === block) return;
            const chunks = chunkBytes(local[1 + j], STREAM_ABOVE_BYTES);
            sent += local[1 + j].length;
            for (let c = 0; c < chunks.length; c++) {
              await this.broker.call(
                'trainer.dpPart',
                { job, seq, from: block, chunk: c, of: chunks.length, bytes: Buffer.from(chunks[c]) },
                { nodeID: node, timeout: settings.requestTimeoutMs, retries: 0 },
              );
            }
          }),
        );
        sending.catch(() => undefined);
        // The others' parts are what this step waits for; the acknowledgements of its own come in
        // while it reduces (a failed send still ends the step at once).
        const parts = await Promise.race([incoming!, sending.then(() => incoming!)]);
        const waitMs = performance.now() - t0;
        const ordered = peers.flatMap((_, j) => (j === block ? [] : [parts.get(j)!]));
        const reduced = unpackArrays(joinChunks(await this.sessions().send({ op: 'reduce', job, seq, parts: ordered })));
        await sending;
        const stats = Float64Array.of(stepMs + float64s(reduced[1])[0], sent, waitMs, performance.now() - received);
        return Buffer.from(packArrays([head, float64s(reduced[0]), stats]));
      },
    },

    /** A block of another trainer's sums for this trainer's block of a data-parallel step (see dpStep). */
    dpPart: {
      params: {
        job: { type: 'string', max: 256 },
        seq: { type: 'number', integer: true, min: 0 },
        from: { type: 'number', integer: true, min: 0 },
        chunk: { type: 'number', integer: true, min: 0 },
        of: { type: 'number', integer: true, positive: true },
        bytes: { type: 'any' },
      },
      handler(this: TrainerThis, ctx: Context<{ job: string; seq: number; from: number; chunk: number; of: number; bytes: Buffer | Uint8Array }>) {
        const { job, seq, from, chunk, of, bytes } = ctx.params;
        if (!(bytes instanceof Uint8Array)) throw new QuorumError('BAD_VALUE', 'a data-parallel part carries its bytes as a buffer');
        this.dpInbox.put(job, seq, from, chunk, of, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        return true;
      },
    },

    /** The driver abandons step `seq` of a job (a trainer of it failed): a dpStep waiting for parts ends at once. */
    dpAbort: {
      params: { job: { type: 'string', max: 256 }, seq: { type: 'number', integer: true, min: 0 } },
      handler(this: TrainerThis, ctx: Context<{ job: string; seq: number }>) {
        this.dpInbox.abort(ctx.params.job, ctx.params.seq);
        return true;
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
          fits: this.fits.fits(),
          memory: memoryOf(this),
          local: this.local?.summary(),
          dataParallel: this.dpThread ? await this.dpThread.status() : { sessions: [], memoryBytes: 0, reduceJobs: [] },
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
      this.fits.cancelJob(ctx.params.job);
      this.dpInbox.drop(ctx.params.job);
      void this.dpThread
        ?.closeJob(ctx.params.job)
        .then((closed) => closed && this.logger.info(`job ${ctx.params.job} cancelled: ${closed} data-parallel session(s) closed`))
        .catch((err: Error) => this.logger.warn(`data-parallel sessions of ${ctx.params.job} not closed: ${err.message}`));
    },
  },

  methods: {
    /** The session thread, started on first use (and again if it ended), so its compute never blocks this event loop. */
    sessions(this: TrainerThis): SessionThread {
      if (!this.dpThread || this.dpThread.exited) {
        this.dpThread = new SessionThread(DP_IDLE_MS);
        this.dpSwept = 0;
      }
      return this.dpThread;
    },

    requireLocal(this: TrainerThis): LocalData {
      if (!this.local) throw new QuorumError('NOT_FOUND', `trainer ${this.broker.nodeID} has no local data: start it with TRAINER_DATA=path/to/file.csv`);
      return this.local;
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
        slots: this.fits.leaving ? 0 : stats.size,
        fits: this.fits.running.size,
        memory: memoryOf(this),
        local: this.local?.summary(),
      });
    },
  },

  created(this: TrainerThis) {
    const config = quorumConfig(this.broker);
    this.pool = new WorkerPool({ size: config.trainerWorkers, maxHeapMb: config.trainerHeapMb, tfBackend: config.tfBackend });
    this.models = trainerModels(this.broker, config);
    this.fits = new FitRunner(
      this.pool,
      fitRunnerPorts(this.broker, this.models, () => this.publishLoad()),
    );
    registerMetrics(this.broker.metrics, ['fitSeconds', 'shardBytes', 'threads', 'threadsBusy']);
    this.dpSwept = 0;
    this.dpInbox = new PartInbox();
  },

  async started(this: TrainerThis) {
    const config = quorumConfig(this.broker);
    if (config.trainerData) {
      this.local = await LocalData.open({
        nodeID: this.broker.nodeID,
        file: config.trainerData,
        tfBackend: config.tfBackend,
        retrain: { rowsShare: config.retrainRows, psi: config.retrainDrift, policy: config.activation === 'manual' ? 'manual' : 'always' },
        registry: localRegistry(this.broker),
        runFit: (spec, load) => this.fits.run(spec, load),
        retrained: (event) => void this.broker.broadcast('member.retrained', event),
        log: this.logger,
      });
      const { file, rows, columns } = this.local.summary();
      this.logger.info(`local data: ${file}, ${rows} rows × ${columns} columns (stays on this node)`);
      this.local.watch();
    }
    this.logger.info(`trainer ready: ${this.pool.size} worker thread(s)`);
    this.publishLoad();
    this.loadTimer = setInterval(() => this.publishLoad(), 5000);
    this.loadTimer.unref();
    this.sweepTimer = setInterval(() => {
      const swept = this.dpThread?.swept ?? [];
      for (; this.dpSwept < swept.length; this.dpSwept++)
        this.logger.warn(`data-parallel session ${swept[this.dpSwept]} closed after ${DP_IDLE_MS / 60_000} min unused`);
    }, 30_000);
    this.sweepTimer.unref();
  },

  async stopped(this: TrainerThis) {
    if (this.loadTimer) clearInterval(this.loadTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.local?.unwatch();
    await this.dpThread?.terminate();
    this.dpThread = undefined;
    const handed = this.fits.handBack();
    this.publishLoad();
    if (handed) this.logger.info(`handing back ${handed} fit(s) before leaving`);
    await this.pool.close();
    this.models.dispose();
  },
};

export default TrainerService;
