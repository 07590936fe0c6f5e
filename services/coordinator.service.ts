/**
 * coordinator: datasets and training jobs. Ingests CSV streams, and runs each job: prepare (split,
 * encode, shard into the blob store) → dispatch every member to `trainer.fit` (load-balanced,
 * retried) → evaluate (inference) → complete the version (registry). Serves the blobs trainers and
 * the registry read as streams.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { DatasetCatalog, listDataFiles, resolveDataPath, type DatasetMeta } from '../lib/data/catalog';
import { csvLimits } from '../lib/data/csv/limits';
import { readFileChunks } from '../lib/data/csv/source';
import { ingestCsv, INGEST_OPTION_PARAMS, type IngestOptions } from '../lib/data/ingest';
import { shardingNames } from '../lib/data/sharding';
import { votingNames } from '../lib/ensemble';
import { QuorumError } from '../lib/errors';
import { modelKinds } from '../lib/models/kinds';
import type { FitProgress } from '../lib/models/model';
import { registerMetrics, setCounts } from '../lib/ops/metrics';
import { FsBlobStore } from '../lib/store/blob-store';
import { admitJob } from '../lib/training/admission';
import type { JobEnv } from '../lib/training/cluster';
import { executeJob, resumableState } from '../lib/training/executor';
import { FINISHED, type JobState } from '../lib/training/job';
import { JobStore } from '../lib/training/job-store';
import { jobSummary, transferSummary } from '../lib/training/job-view';
import { modeOptions } from '../lib/training/modes';
import type { Checked } from '../lib/training/prepare';
import { DEFAULT_MODEL, normaliseRequest, REQUEST_DEFAULTS, TRAIN_PARAMS, type TrainRequest } from '../lib/training/request';
import { abortableSleep } from '../lib/util/sleep';
import { QuorumErrors } from './mixins/errors';
import { RestartGuard } from './mixins/restart-guard';
import { quorumConfig } from './ports/config';
import { BrokerTrainingCluster } from './ports/training-cluster';
import { forgetTrainer, recordTrainerLoad, type TrainerLoad } from './strategies/trainer-load';
import { MAX_JSON_BODY_BYTES, MAX_PREDICT_ROWS } from '../lib/limits';

interface RunningJob {
  state: JobState;
  abort: AbortController;
  done: Promise<void>;
}

type CoordinatorThis = Service & {
  catalog: DatasetCatalog;
  jobStore: JobStore;
  blobs: FsBlobStore;
  cluster: BrokerTrainingCluster;
  env: JobEnv;
  jobs: Map<string, JobState>;
  running: Map<string, RunningJob>;
  flushTimer?: NodeJS.Timeout;
  dirty: Set<string>;
  /** Set while the service stops: running jobs are left to resume, not failed. */
  stopping?: boolean;
  ingestStream(source: NodeJS.ReadableStream | AsyncIterable<Uint8Array>, options: IngestOptions, info: { name?: string; source: DatasetMeta['source'] }): Promise<DatasetMeta>;
  start(job: JobState, checked?: Checked): void;
  resume(jobs: JobState[]): Promise<void>;
  touch(job: JobState): void;
  flush(): Promise<void>;
  countJobs(): void;
  jobStates?: Set<string>;
};

const CoordinatorService: ServiceSchema<ServiceSettingSchema, CoordinatorThis> = {
  name: 'coordinator',
  mixins: [QuorumErrors, RestartGuard],

  actions: {
    /** Stream in: a CSV (plain or gzip). meta: { filename?, name?, options? }. */
    upload: {
      async handler(this: CoordinatorThis, ctx: Context<NodeJS.ReadableStream, { filename?: string; name?: string; options?: IngestOptions }>) {
        const options = ctx.meta.options ?? {};
        return this.ingestStream(ctx.params, options, { name: ctx.meta.name, source: { type: 'upload', filename: ctx.meta.filename } });
      },
    },

    /** Ingests a file of the data folder by its path (REPL / API). */
    ingest: {
      params: { path: { type: 'string', min: 1, max: 4096 }, name: { type: 'string', optional: true, max: 64 }, ...INGEST_OPTION_PARAMS },
      async handler(this: CoordinatorThis, ctx: Context<{ path: string; name?: string } & IngestOptions>) {
        const { path: requested, name, ...options } = ctx.params;
        const file = await resolveDataPath(quorumConfig(this.broker).dataDirs, requested);
        const { size } = await fs.stat(file);
        return this.ingestStream(readFileChunks(file), { ...options, sizeHint: size }, { name: name ?? path.basename(file), source: { type: 'file', path: requested } });
      },
    },

    /** What a training request may name: model kinds, modes, sharding strategies, voting rules; the defaults and limits. */
    options: {
      handler(this: CoordinatorThis) {
        const config = quorumConfig(this.broker);
        return { models: modelKinds(), defaultModel: DEFAULT_MODEL, modes: modeOptions(), sharding: shardingNames(), voting: { classification: votingNames('classification'), regression: votingNames('regression') }, defaults: REQUEST_DEFAULTS, limits: { jsonBodyBytes: MAX_JSON_BODY_BYTES, predictRows: MAX_PREDICT_ROWS, uploadBytes: config.uploadLimitBytes, inferenceBytes: config.inferenceLimitBytes } };
      },
    },

    /** CSV files of the data folders that `ingest` accepts by path (names and sizes only). */
    files: {
      async handler(this: CoordinatorThis) {
        return listDataFiles(quorumConfig(this.broker).dataDirs);
      },
    },

    datasets: {
      handler(this: CoordinatorThis) {
        return this.catalog.list().map((m) => ({ id: m.id, name: m.name, rows: m.rows, columns: m.columns, bytes: m.bytes, createdAt: m.createdAt, source: m.source }));
      },
    },

    dataset: {
      params: { id: 'string' },
      handler(this: CoordinatorThis, ctx: Context<{ id: string }>) {
        return this.catalog.get(ctx.params.id);
      },
    },

    removeDataset: {
      params: { id: 'string' },
      async handler(this: CoordinatorThis, ctx: Context<{ id: string }>) {
        const meta = this.catalog.get(ctx.params.id);
        const busy = [...this.running.values()].find((r) => r.state.dataset.id === meta.id);
        if (busy) throw new QuorumError('CONFLICT', `dataset '${meta.id}' is used by running job '${busy.state.id}': cancel it first`);
        await this.catalog.remove(meta.id);
        return { id: meta.id, removed: true };
      },
    },

    /** Starts a training job and returns at once (HTTP 202); follow it with `job`. */
    train: {
      params: TRAIN_PARAMS,
      async handler(this: CoordinatorThis, ctx: Context<TrainRequest, { $statusCode?: number }>) {
        const request = normaliseRequest(ctx.params);
        const config = quorumConfig(this.broker);
        if (this.running.size >= config.maxConcurrentJobs) {
          throw new QuorumError('TOO_MANY_JOBS', `${this.running.size} jobs are running on this coordinator (MAX_CONCURRENT_JOBS ${config.maxConcurrentJobs}): wait for one to end or cancel one`);
        }
        const { job, checked } = await admitJob(request, this.catalog, { fitMemoryBytes: config.fitMemoryBytes, maxMembers: config.maxMembers });
        this.jobs.set(job.id, job);
        await this.jobStore.save(job);
        this.start(job, checked);
        ctx.meta.$statusCode = 202;
        return jobSummary(job);
      },
    },

    jobs: {
      handler(this: CoordinatorThis) {
        return [...this.jobs.values()].reverse().map((j) => jobSummary(j));
      },
    },

    job: {
      params: { id: 'string' },
      handler(this: CoordinatorThis, ctx: Context<{ id: string }>) {
        const job = this.jobs.get(ctx.params.id);
        if (!job) throw new QuorumError('JOB_NOT_FOUND', `no training job '${ctx.params.id}': list them with GET /api/trainings`);
        return { ...job, transfer: transferSummary(job) };
      },
    },

    cancel: {
      params: { id: 'string' },
      async handler(this: CoordinatorThis, ctx: Context<{ id: string }>) {
        const job = this.jobs.get(ctx.params.id);
        if (!job) throw new QuorumError('JOB_NOT_FOUND', `no training job '${ctx.params.id}'`);
        const run = this.running.get(job.id);
        if (!run || FINISHED.includes(job.status)) throw new QuorumError('JOB_FINISHED', `job '${job.id}' is already ${job.status}`);
        run.abort.abort();
        this.broker.broadcast('training.cancelled', { job: job.id });
        await run.done;
        return jobSummary(job);
      },
    },

    /** Stream out: a blob (shard, validation rows). Trainers and the registry read these. */
    blob: {
      params: { id: { type: 'string', max: 512 } },
      async handler(this: CoordinatorThis, ctx: Context<{ id: string }>) {
        return this.blobs.stream(ctx.params.id);
      },
    },
  },

  events: {
    'shard.progress'(this: CoordinatorThis, ctx: Context<{ job: string; member: string } & FitProgress>) {
      this.cluster.progressed(ctx.params);
    },
    'model.live'(this: CoordinatorThis, ctx: Context<{ version: string }>) {
      for (const job of this.jobs.values()) {
        if (job.version === ctx.params.version && !job.liveAt) {
          job.liveAt = new Date().toISOString();
          this.touch(job);
        }
      }
    },
    'trainer.load'(ctx: Context<TrainerLoad>) {
      recordTrainerLoad(ctx.params);
    },
    '$node.disconnected'(ctx: Context<{ node: { id: string } }>) {
      forgetTrainer(ctx.params.node.id);
    },
  },

  methods: {
    async ingestStream(this: CoordinatorThis, source, options, info) {
      const config = quorumConfig(this.broker);
      const started = Date.now();
      let lastLog = started;
      const result = await ingestCsv(source, {
        ...options,
        ...csvLimits(config, 'dataset'),
        onProgress: ({ bytes, rows }) => {
          if (Date.now() - lastLog < 2000) return;
          lastLog = Date.now();
          this.logger.info(`ingesting ${info.source.filename ?? info.source.path ?? ''}: ${(bytes / 1e6).toFixed(0)} MB, ${rows} rows`);
          this.broker.broadcast('dataset.progress', { filename: info.source.filename ?? info.source.path, bytes, rows });
        },
      });
      const meta = await this.catalog.register(result, { ...info, ingestMs: Date.now() - started });
      this.logger.info(`dataset ${meta.id}: ${meta.rows} rows × ${meta.columns} columns in ${meta.ingestMs} ms`);
      this.broker.broadcast('dataset.ingested', { id: meta.id, name: meta.name, rows: meta.rows, columns: meta.columns });
      return meta;
    },

    /** Runs a job (new, with its checks, or resumed) until it ends; it stays in `running` until then. */
    start(this: CoordinatorThis, job: JobState, checked?: Checked) {
      const run: RunningJob = { state: job, abort: new AbortController(), done: Promise.resolve() };
      this.running.set(job.id, run);
      run.done = executeJob(this.env, job, run.abort.signal, checked).finally(() => this.running.delete(job.id));
    },

    /** Jobs in flight when the coordinator stopped: resume them, or fail them with the reason. */
    async resume(this: CoordinatorThis, jobs: JobState[]) {
      await this.broker.waitForServices(['registry'], 60_000).catch(() => undefined);
      for (const job of jobs) {
        const reason = await resumableState(this.env, job).catch((err: Error) => err.message);
        if (reason) {
          job.status = 'failed';
          job.error = { code: 'INTERNAL', message: `coordinator restarted: ${reason}` };
          job.finishedAt = new Date().toISOString();
          if (job.version) await this.cluster.discard(job.version).catch(() => undefined);
          await this.blobs.remove(`jobs/${job.id}`).catch(() => undefined);
          this.touch(job);
          this.logger.warn(`job ${job.id} failed: ${job.error.message}`);
          continue;
        }
        job.warnings.push(`resumed after a coordinator restart at ${new Date().toISOString()}`);
        this.logger.info(`resuming job ${job.id} (${job.members.filter((m) => m.status === 'done').length} of ${job.members.length} members already trained)`);
        this.start(job);
      }
    },

    touch(this: CoordinatorThis, job: JobState) {
      job.updatedAt = new Date().toISOString();
      this.dirty.add(job.id);
    },

    async flush(this: CoordinatorThis) {
      const ids = [...this.dirty];
      this.dirty.clear();
      for (const id of ids) {
        const job = this.jobs.get(id);
        if (!job) continue;
        await this.jobStore.save(job).catch((err: Error) => this.logger.error(`could not save job ${id}: ${err.message}`));
        this.broker.broadcast('training.progress', jobSummary(job));
      }
      if (ids.length) this.countJobs();
    },

    /** The jobs gauge of /metrics: jobs by state. */
    countJobs(this: CoordinatorThis) {
      const counts = new Map<string, number>();
      for (const j of this.jobs.values()) counts.set(j.status, (counts.get(j.status) ?? 0) + 1);
      setCounts(this.broker.metrics, 'jobs', 'state', counts, (this.jobStates ??= new Set()));
    },

  },

  async created(this: CoordinatorThis) {
    const { stateDir } = quorumConfig(this.broker);
    this.catalog = new DatasetCatalog(path.join(stateDir, 'datasets'));
    this.jobStore = new JobStore(path.join(stateDir, 'jobs'));
    this.blobs = new FsBlobStore(path.join(stateDir, 'blobs'));
    this.jobs = new Map();
    this.running = new Map();
    this.dirty = new Set();
    this.cluster = new BrokerTrainingCluster(this.broker, this.blobs);
    const config = quorumConfig(this.broker);
    this.env = {
      nodeID: this.broker.nodeID,
      cluster: this.cluster,
      blobs: this.blobs,
      datasets: this.catalog,
      settings: { fitAttempts: config.fitAttempts, trainerWaitMs: config.trainerWaitMs, fitTimeoutMs: config.fitTimeoutMs, requestTimeoutMs: config.requestTimeoutMs },
      changed: (job) => this.touch(job),
      flush: () => this.flush(),
      log: this.logger,
      stopping: () => this.stopping === true,
      sleep: abortableSleep,
    };
    registerMetrics(this.broker.metrics, ['jobs']);
  },

  async started(this: CoordinatorThis) {
    await this.catalog.init();
    const unfinished: JobState[] = [];
    for (const job of await this.jobStore.all()) {
      this.jobs.set(job.id, job);
      if (!FINISHED.includes(job.status)) unfinished.push(job);
    }
    this.countJobs();
    if (unfinished.length) void this.resume(unfinished);
    this.flushTimer = setInterval(() => void this.flush(), 500);
    this.flushTimer.unref();
    this.logger.info(`coordinator: ${this.catalog.list().length} dataset(s), ${this.jobs.size} job(s)`);
  },

  async stopped(this: CoordinatorThis) {
    if (this.flushTimer) clearInterval(this.flushTimer);
    // Jobs in flight are paused, not cancelled: the next start resumes them.
    this.stopping = true;
    for (const run of this.running.values()) run.abort.abort();
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await this.flush();
  },
};

export default CoordinatorService;
