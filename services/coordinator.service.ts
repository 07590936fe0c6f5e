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
import { ingestCsv, type IngestOptions } from '../lib/data/ingest';
import { readFileChunks } from '../lib/data/csv/source';
import { QuorumError } from '../lib/errors';
import { FsBlobStore } from '../lib/store/blob-store';
import { FINISHED, type JobState } from '../lib/training/job';
import { JobStore } from '../lib/training/job-store';
import { checkRequest, type Checked } from '../lib/training/prepare';
import { AVERAGE_KINDS, DATA_PARALLEL_KINDS, DEFAULT_MODEL, normaliseRequest, type TrainRequest } from '../lib/training/request';
import { modelKinds } from '../lib/models/kinds';
import { shardingNames } from '../lib/data/sharding';
import { votingNames } from '../lib/ensemble';
import type { FitParams, FitReply } from './trainer.service';
import { quorumConfig } from './support/config';
import { csvLimits } from './support/csv-limits';
import { checkBudget } from '../lib/training/budget';
import { QuorumErrors } from './support/errors';
import { RestartGuard } from './support/restart-guard';
import { forgetTrainer, recordTrainerLoad, type TrainerLoad } from './strategies/trainer-load';
import { executeJob, resumableState } from './support/job-executor';
import { deriveSeed } from '../lib/util/random';
import { registerMetrics, setCounts } from '../lib/ops/metrics';

export interface RunningJob {
  state: JobState;
  abort: AbortController;
  done: Promise<void>;
  progress: Map<string, (p: { fraction: number; epoch?: number; metrics?: Record<string, number> }) => void>;
}

export type CoordinatorThis = Service & {
  catalog: DatasetCatalog;
  jobStore: JobStore;
  blobs: FsBlobStore;
  jobs: Map<string, JobState>;
  running: Map<string, RunningJob>;
  flushTimer?: NodeJS.Timeout;
  dirty: Set<string>;
  /** Set while the service stops: running jobs are left to resume, not failed. */
  stopping?: boolean;
  ingestStream(source: NodeJS.ReadableStream | AsyncIterable<Uint8Array>, options: IngestOptions, info: { name?: string; source: DatasetMeta['source'] }): Promise<DatasetMeta>;
  seedOf(job: JobState, label: number): number;
  resume(jobs: JobState[]): Promise<void>;
  touch(job: JobState): void;
  flush(): Promise<void>;
  countJobs(): void;
  jobStates?: Set<string>;
  datasetView(meta: DatasetMeta): Record<string, unknown>;
  jobSummary(job: JobState): Record<string, unknown>;
};

/** Shard transfers to trainers in this job: how many, and the median throughput (MB/s). */
function transferSummary(job: JobState): { shards: number; medianMBps: number | null } | undefined {
  const rates = job.members.map((m) => m.transferMBps).filter((v): v is number => typeof v === 'number' && v > 0).sort((a, b) => a - b);
  if (!rates.length) return undefined;
  const mid = rates.length >> 1;
  return { shards: rates.length, medianMBps: rates.length % 2 ? rates[mid] : +((rates[mid - 1] + rates[mid]) / 2).toFixed(1) };
}

const ingestOptionProps = {
  delimiter: { type: 'string', optional: true, min: 1, max: 1 },
  quote: { type: 'string', optional: true, min: 1, max: 1 },
  header: { type: 'boolean', optional: true, convert: true },
  missing: { type: 'array', items: 'string', optional: true, max: 100 },
  ignore: { type: 'array', items: 'string', optional: true, max: 10_000 },
  types: { type: 'record', key: 'string', value: { type: 'enum', values: ['numeric', 'categorical', 'boolean', 'datetime'] }, optional: true },
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
      params: { path: { type: 'string', min: 1, max: 4096 }, name: { type: 'string', optional: true, max: 64 }, ...ingestOptionProps },
      async handler(this: CoordinatorThis, ctx: Context<{ path: string; name?: string } & IngestOptions>) {
        const { path: requested, name, ...options } = ctx.params;
        const file = await resolveDataPath(quorumConfig(this.broker).dataDirs, requested);
        const { size } = await fs.stat(file);
        return this.ingestStream(readFileChunks(file), { ...options, sizeHint: size }, { name: name ?? path.basename(file), source: { type: 'file', path: requested } });
      },
    },

    /** What a training request may name: model kinds, sharding strategies, voting rules. */
    options: {
      handler() {
        const kinds = modelKinds();
        const modes = [
          { name: 'ensemble', kinds: kinds.map((k) => k.name) },
          { name: 'data-parallel', kinds: [...DATA_PARALLEL_KINDS] },
          { name: 'average', kinds: [...AVERAGE_KINDS] },
          { name: 'local', kinds: kinds.map((k) => k.name) },
        ];
        return { models: kinds, defaultModel: DEFAULT_MODEL, modes, sharding: shardingNames(), voting: { classification: votingNames('classification'), regression: votingNames('regression') } };
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
        return this.datasetView(this.catalog.get(ctx.params.id));
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
      params: {
        dataset: { type: 'string', min: 1, optional: true },
        target: { type: 'string', min: 1 },
        task: { type: 'enum', values: ['classification', 'regression'], optional: true },
        model: { type: 'multi', optional: true, rules: [{ type: 'string' }, { type: 'object' }, { type: 'array', min: 1, max: 64 }] },
        assign: { type: 'enum', values: ['spread', 'each'], optional: true },
        mode: { type: 'enum', values: ['ensemble', 'average', 'local', 'data-parallel'], optional: true },
        shards: { type: 'number', integer: true, min: 1, max: 1024, optional: true, convert: true },
        rowsPerShard: { type: 'number', integer: true, min: 10, optional: true, convert: true },
        sharding: { type: 'string', optional: true, max: 256 },
        seed: { type: 'number', integer: true, min: 0, max: 4294967295, optional: true, convert: true },
        validationFraction: { type: 'number', gt: 0, lte: 0.9, optional: true, convert: true },
        split: { type: 'enum', values: ['auto', 'stratified', 'random', 'time'], optional: true },
        timeColumn: { type: 'string', optional: true },
        ignore: { type: 'array', items: 'string', optional: true },
        voting: { type: 'string', optional: true },
        name: { type: 'string', optional: true, pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/ },
        minShards: { type: 'number', integer: true, min: 1, optional: true, convert: true },
        minFraction: { type: 'number', gt: 0, lte: 1, optional: true, convert: true },
        rounds: { type: 'number', integer: true, min: 1, max: 1000, optional: true, convert: true },
        minTrainers: { type: 'number', integer: true, min: 1, optional: true, convert: true },
        baseline: { type: 'boolean', optional: true, convert: true },
        preprocess: {
          type: 'object',
          optional: true,
          strict: true,
          props: {
            imputation: { type: 'enum', values: ['median', 'mean', 'constant'], optional: true },
            fillValue: { type: 'number', optional: true },
            maxOneHot: { type: 'number', integer: true, min: 1, max: 10_000, optional: true },
          },
        },
      },
      async handler(this: CoordinatorThis, ctx: Context<TrainRequest, { $statusCode?: number }>) {
        const request = normaliseRequest(ctx.params);
        const { maxConcurrentJobs } = quorumConfig(this.broker);
        if (this.running.size >= maxConcurrentJobs) {
          throw new QuorumError('TOO_MANY_JOBS', `${this.running.size} jobs are running on this coordinator (MAX_CONCURRENT_JOBS ${maxConcurrentJobs}): wait for one to end or cancel one`);
        }
        const now = new Date().toISOString();
        const id = `job-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
        const base = { id, status: 'preparing' as const, createdAt: now, updatedAt: now, progress: 0, shards: [], members: [], warnings: [], timings: {} };
        let job: JobState;
        let checked: Checked | undefined;
        if (request.mode === 'local') {
          // The data stays on the trainers: the schema is learned from them when the job starts.
          const name = request.name ?? 'local';
          job = { ...base, request, dataset: { id: 'local', name, rows: 0 }, name, task: request.task };
        } else {
          const dataset = await this.catalog.load(request.dataset!);
          checked = checkRequest(dataset.table, dataset.profile, request);
          const config = quorumConfig(this.broker);
          checkBudget(dataset.table, dataset.profile, request, checked, { fitMemoryBytes: config.fitMemoryBytes, maxMembers: config.maxMembers });
          job = {
            ...base,
            request: { ...request, dataset: dataset.meta.id },
            dataset: { id: dataset.meta.id, name: dataset.meta.name, rows: dataset.meta.rows },
            name: request.name ?? dataset.meta.name,
            task: checked.task,
            classes: checked.target.classes,
            voting: checked.voting,
          };
        }
        this.jobs.set(id, job);
        await this.jobStore.save(job);
        const run: RunningJob = { state: job, abort: new AbortController(), done: Promise.resolve(), progress: new Map() };
        this.running.set(id, run);
        run.done = executeJob(this, job, run, checked).finally(() => this.running.delete(id));
        ctx.meta.$statusCode = 202;
        return this.jobSummary(job);
      },
    },

    jobs: {
      handler(this: CoordinatorThis) {
        return [...this.jobs.values()].reverse().map((j) => this.jobSummary(j));
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
        return this.jobSummary(job);
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
    'shard.progress'(this: CoordinatorThis, ctx: Context<{ job: string; member: string; fraction: number; epoch?: number; metrics?: Record<string, number> }>) {
      this.running.get(ctx.params.job)?.progress.get(ctx.params.member)?.(ctx.params);
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
      return this.datasetView(meta);
    },

    /** Jobs in flight when the coordinator stopped: resume them, or fail them with the reason. */
    async resume(this: CoordinatorThis, jobs: JobState[]) {
      await this.broker.waitForServices(['registry'], 60_000).catch(() => undefined);
      for (const job of jobs) {
        const reason = await resumableState(this.broker, this, job).catch((err: Error) => err.message);
        const run: RunningJob = { state: job, abort: new AbortController(), done: Promise.resolve(), progress: new Map() };
        if (reason) {
          job.status = 'failed';
          job.error = { code: 'INTERNAL', message: `coordinator restarted: ${reason}` };
          job.finishedAt = new Date().toISOString();
          if (job.version) await this.broker.call('registry.discard', { version: job.version }).catch(() => undefined);
          await this.blobs.remove(`jobs/${job.id}`).catch(() => undefined);
          this.touch(job);
          this.logger.warn(`job ${job.id} failed: ${job.error.message}`);
          continue;
        }
        job.warnings.push(`resumed after a coordinator restart at ${new Date().toISOString()}`);
        this.logger.info(`resuming job ${job.id} (${job.members.filter((m) => m.status === 'done').length} of ${job.members.length} members already trained)`);
        this.running.set(job.id, run);
        run.done = executeJob(this, job, run).finally(() => this.running.delete(job.id));
      }
    },

    seedOf(this: CoordinatorThis, job: JobState, label: number) {
      return deriveSeed(job.request.seed, 100 + label);
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
        this.broker.broadcast('training.progress', this.jobSummary(job));
      }
      if (ids.length) this.countJobs();
    },

    /** The jobs gauge of /metrics: jobs by state. */
    countJobs(this: CoordinatorThis) {
      const counts = new Map<string, number>();
      for (const j of this.jobs.values()) counts.set(j.status, (counts.get(j.status) ?? 0) + 1);
      setCounts(this.broker.metrics, 'jobs', 'state', counts, (this.jobStates ??= new Set()));
    },

    datasetView(meta: DatasetMeta) {
      return meta;
    },

    jobSummary(job: JobState) {
      return {
        id: job.id,
        status: job.status,
        message: job.message,
        dataset: job.dataset,
        name: job.name,
        target: job.request.target,
        task: job.task,
        models: job.request.models.map((m) => m.kind),
        mode: job.request.mode,
        version: job.version,
        live: Boolean(job.liveAt),
        liveAt: job.liveAt,
        progress: job.progress,
        members: job.members.map((m) => ({ id: m.id, shard: m.shard, kind: m.kind, rows: m.rows, status: m.status, progress: m.progress, node: m.node, attempts: m.attempts, errors: m.errors, ...(m.baseline ? { baseline: true } : {}) })),
        rounds: job.rounds?.map((r) => ({ round: r.round, trainers: r.trainers, metrics: r.metrics })),
        transfer: transferSummary(job),
        metrics: job.metrics,
        error: job.error,
        createdAt: job.createdAt,
        finishedAt: job.finishedAt,
      };
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
export type { FitParams, FitReply };
