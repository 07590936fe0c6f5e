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
import { admitJob } from '../lib/jobs/admission';
import { JobStore } from '../lib/jobs/job-store';
import { Jobs } from '../lib/jobs/jobs';
import { jobSummary, transferSummary } from '../lib/jobs/job-view';
import { modeOptions } from '../lib/jobs/modes';
import { DEFAULT_MODEL, normaliseRequest, REQUEST_DEFAULTS, TRAIN_PARAMS, type TrainRequest } from '../lib/jobs/request';
import { abortableSleep } from '../lib/util/sleep';
import { QuorumErrors } from './mixins/errors';
import type { Role } from '../lib/security/keys';
import { RestartGuard } from './mixins/restart-guard';
import { quorumConfig } from './ports/config';
import { BrokerTrainingCluster } from './ports/training-cluster';
import { forgetTrainer, recordTrainerLoad, type TrainerLoad } from './strategies/trainer-load';
import { MAX_JSON_BODY_BYTES, MAX_JSON_REQUEST_BYTES, MAX_PREDICT_ROWS } from '../lib/limits';

type CoordinatorThis = Service & {
  catalog: DatasetCatalog;
  blobs: FsBlobStore;
  cluster: BrokerTrainingCluster;
  jobs: Jobs;
  flushTimer?: NodeJS.Timeout;
  ingestStream(
    source: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
    options: IngestOptions,
    info: { name?: string; source: DatasetMeta['source'] },
  ): Promise<DatasetMeta>;
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
        return this.ingestStream(
          readFileChunks(file),
          { ...options, sizeHint: size },
          { name: name ?? path.basename(file), source: { type: 'file', path: requested } },
        );
      },
    },

    /** What a training request may name: model kinds, modes, sharding strategies, voting rules; the defaults and limits. */
    options: {
      handler(this: CoordinatorThis) {
        const config = quorumConfig(this.broker);
        return {
          models: modelKinds(),
          defaultModel: DEFAULT_MODEL,
          modes: modeOptions(),
          sharding: shardingNames(),
          voting: { classification: votingNames('classification'), regression: votingNames('regression') },
          defaults: REQUEST_DEFAULTS,
          limits: {
            jsonBodyBytes: MAX_JSON_BODY_BYTES,
            jsonRequestBytes: MAX_JSON_REQUEST_BYTES,
            predictRows: MAX_PREDICT_ROWS,
            uploadBytes: config.uploadLimitBytes,
            inferenceBytes: config.inferenceLimitBytes,
          },
        };
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
        return this.catalog
          .list()
          .map((m) => ({ id: m.id, name: m.name, rows: m.rows, columns: m.columns, bytes: m.bytes, createdAt: m.createdAt, source: m.source }));
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
        const busy = this.jobs.usingDataset(meta.id);
        if (busy) throw new QuorumError('CONFLICT', `dataset '${meta.id}' is used by running job '${busy.id}': cancel it first`);
        await this.catalog.remove(meta.id);
        return { id: meta.id, removed: true };
      },
    },

    /** Starts a training job and returns at once (HTTP 202); follow it with `job`. */
    train: {
      params: TRAIN_PARAMS,
      async handler(this: CoordinatorThis, ctx: Context<TrainRequest, { $statusCode?: number; role?: Role }>) {
        const request = normaliseRequest(ctx.params);
        const config = quorumConfig(this.broker);
        const release = this.jobs.reserveSlot(config.maxConcurrentJobs);
        let job;
        try {
          const admitted = await admitJob(request, this.catalog, {
            fitMemoryBytes: config.fitMemoryBytes,
            maxMembers: config.maxMembers,
            fitTimeBudgetS: config.fitTimeBudgetS,
            modelMemoryBytes: config.modelMemoryBytes,
          });
          job = admitted.job;
          if (ctx.meta.role) job.startedBy = ctx.meta.role;
          await this.jobs.add(job, admitted.checked);
        } finally {
          release();
        }
        ctx.meta.$statusCode = 202;
        return jobSummary(job);
      },
    },

    jobs: {
      handler(this: CoordinatorThis) {
        return this.jobs.list().map((j) => jobSummary(j));
      },
    },

    job: {
      params: { id: 'string' },
      handler(this: CoordinatorThis, ctx: Context<{ id: string }>) {
        const job = this.jobs.get(ctx.params.id);
        return { ...job, transfer: transferSummary(job) };
      },
    },

    cancel: {
      params: { id: 'string' },
      async handler(this: CoordinatorThis, ctx: Context<{ id: string }>) {
        const job = await this.jobs.cancel(ctx.params.id, (j) => void this.broker.broadcast('training.cancelled', { job: j.id }));
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
      this.jobs.markLive(ctx.params.version);
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
  },

  async created(this: CoordinatorThis) {
    const config = quorumConfig(this.broker);
    this.catalog = new DatasetCatalog(path.join(config.stateDir, 'datasets'));
    this.blobs = new FsBlobStore(path.join(config.stateDir, 'blobs'));
    this.cluster = new BrokerTrainingCluster(this.broker, this.blobs);
    const states = new Set<string>();
    this.jobs = new Jobs(
      {
        nodeID: this.broker.nodeID,
        cluster: this.cluster,
        blobs: this.blobs,
        datasets: this.catalog,
        settings: {
          fitAttempts: config.fitAttempts,
          trainerWaitMs: config.trainerWaitMs,
          fitTimeoutMs: config.fitTimeoutMs,
          requestTimeoutMs: config.requestTimeoutMs,
          fitTimeBudgetMs: config.fitTimeBudgetS * 1000,
        },
        log: this.logger,
        sleep: abortableSleep,
      },
      {
        store: new JobStore(path.join(config.stateDir, 'jobs')),
        publish: (summary) => void this.broker.broadcast('training.progress', summary),
        counted: (counts) => setCounts(this.broker.metrics, 'jobs', 'state', counts, states),
        log: this.logger,
      },
    );
    registerMetrics(this.broker.metrics, ['jobs']);
  },

  async started(this: CoordinatorThis) {
    await this.catalog.init();
    const jobs = await this.jobs.load(() => this.broker.waitForServices(['registry'], 60_000).catch(() => undefined));
    this.flushTimer = setInterval(() => void this.jobs.flush(), 500);
    this.flushTimer.unref();
    this.logger.info(`coordinator: ${this.catalog.list().length} dataset(s), ${jobs} job(s)`);
  },

  async stopped(this: CoordinatorThis) {
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.jobs.stop();
  },
};

export default CoordinatorService;
