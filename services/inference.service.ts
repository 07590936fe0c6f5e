/**
 * inference: holds the active ensemble of every model name in memory and answers predictions by
 * voting — `local` (this node runs every member) or `broadcast` (each trainer node runs its own
 * members; a deadline and a quorum). A `model.activated` broadcast makes it load the new version
 * first and swap after, so it keeps answering from the previous version while a job trains or a
 * version loads. Evaluates versions on their validation rows or on an uploaded labelled file.
 */
import { Readable } from 'node:stream';
import { Errors, type Context, type Service, type ServiceSchema, type ServiceSettingSchema } from 'moleculer';
import { decodeShard } from '../lib/data/shard-codec';
import { QuorumError, listNames } from '../lib/errors';
import { broadcastVotes } from '../lib/inference/broadcast';
import { predictionCsv, primed } from '../lib/inference/csv-out';
import { loadEnsemble, type Ensemble } from '../lib/inference/ensemble';
import { evaluateVotes, type Evaluation } from '../lib/inference/evaluation';
import { predictionJson, predictionObject, type PredictResult, type Prediction } from '../lib/inference/result';
import { encodeTable, labelledRows } from '../lib/inference/table-encoder';
import { VersionView, type MemberVote, type MissingMember, type VotingMode } from '../lib/inference/version-view';
import type { Matrix } from '../lib/models/model';
import type { VersionMeta } from '../lib/registry/version';
import { bufferStream, readAll } from '../lib/store/streams';
import { parseJson } from '../lib/util/json-guard';
import { nodesWith } from './support/cluster';
import { quorumConfig } from './support/config';
import { QuorumErrors } from './support/errors';
import { localVoting, type LocalVoting } from '../lib/inference/local';
import { ingestUpload, type PredictCsvOptions, type EvaluateFileOptions, type VoteOptions } from './support/inference-io';
import { RestartGuard } from './support/restart-guard';
import { QUORUM_METRICS, registerMetrics } from '../lib/ops/metrics';
import { refuseUnknownKeys } from './support/unknown-keys';

/** Versions kept loaded besides the active ones (explicit `version` requests, evaluations). */
const EXTRA_LOADED = 4;
/** Largest JSON body of `predictJson`, and the size above which its answer is streamed. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;
const STREAM_ABOVE_BYTES = 512 * 1024;


export interface PredictParams extends VoteOptions {
  rows: Record<string, unknown>[];
  members?: boolean;
  strict?: boolean;
}

const PREDICT_PARAMS = {
  rows: { type: 'array', items: 'object', min: 1, max: 100_000 },
  name: { type: 'string', optional: true },
  version: { type: 'string', optional: true },
  voting: { type: 'string', optional: true },
  mode: { type: 'enum', values: ['local', 'broadcast'], optional: true },
  quorum: { type: 'number', positive: true, optional: true, convert: true },
  timeout: { type: 'number', integer: true, min: 10, max: 600_000, optional: true, convert: true },
  members: { type: 'boolean', optional: true, convert: true },
  strict: { type: 'boolean', optional: true, convert: true },
};

type InferenceThis = Service & {
  ensembles: Map<string, Ensemble>;
  views: Map<string, VersionView>;
  loading: Map<string, Promise<Ensemble>>;
  active: Map<string, string>;
  activeKnown: boolean;
  countPredictions(route: string, rows: number, started: bigint): void;
  local: LocalVoting;
  checkPredict: (params: unknown) => true | unknown[];
  ensure(id: string): Promise<Ensemble>;
  view(id: string): Promise<VersionView>;
  load(id: string, evaluating: boolean, only?: string[]): Promise<Ensemble>;
  refreshActive(): Promise<void>;
  resolveId(params: { name?: string; version?: string }): Promise<string>;
  prepare(options: VoteOptions): Promise<{ view: VersionView; mode: VotingMode; voting: string }>;
  votes(view: VersionView, x: Matrix, mode: VotingMode, options: VoteOptions): Promise<{ votes: MemberVote[]; missing: MissingMember[] }>;
  predict(params: PredictParams): Promise<Prediction>;
  evict(): void;
  drop(ensemble: Ensemble): void;
};

const InferenceService: ServiceSchema<ServiceSettingSchema, InferenceThis> = {
  name: 'inference',
  mixins: [QuorumErrors, RestartGuard],

  actions: {
    /** Rows by column name → classes and probabilities (or values), by the chosen voting. */
    predict: {
      params: PREDICT_PARAMS,
      async handler(this: InferenceThis, ctx: Context<PredictParams>): Promise<PredictResult> {
        return predictionObject(await this.predict(ctx.params));
      },
    },

    /**
     * Stream in: a JSON body `{rows, …}` as for `predict`. Answers JSON text (a stream when large),
     * written straight from the typed arrays — what the gateway serves for POST /api/predict.
     */
    predictJson: {
      async handler(this: InferenceThis, ctx: Context<NodeJS.ReadableStream, { $responseType?: string }>) {
        const body = await readAll(ctx.params, { maxBytes: MAX_JSON_BYTES, idleMs: quorumConfig(this.broker).requestTimeoutMs });
        const params = parseJson(body.toString('utf8')) as PredictParams;
        refuseUnknownKeys(PREDICT_PARAMS, params, 'POST /api/predict');
        const checked = params !== null && typeof params === 'object' ? this.checkPredict(params) : [{ type: 'object', message: 'the body must be a JSON object' }];
        if (checked !== true) throw new Errors.ValidationError('Parameters validation error!', 'VALIDATION_ERROR', checked);
        const text = predictionJson(await this.predict(params));
        ctx.meta.$responseType = 'application/json; charset=utf-8';
        return text.length > STREAM_ABOVE_BYTES ? bufferStream(text) : text;
      },
    },

    /** Stream in: a CSV of rows (meta.options: PredictCsvOptions). Stream out: the CSV of predictions. */
    predictCsv: {
      async handler(this: InferenceThis, ctx: Context<NodeJS.ReadableStream, { options?: PredictCsvOptions; $responseType?: string; $responseHeaders?: Record<string, string> }>) {
        const started = process.hrtime.bigint();
        const options = ctx.meta.options ?? {};
        const { view, mode, voting } = await this.prepare(options);
        const { table } = await ingestUpload(ctx.params, options, quorumConfig(this.broker));
        const { x, warnings } = encodeTable(view.meta.encoder, table, { strict: options.strict, ignore: [view.meta.target] });
        // The header and the first slice are computed before answering: their errors are plain 4xx/5xx.
        const chunks = await primed(predictionCsv(view, table, x, voting, (part) => this.votes(view, part, mode, options), options), 2);
        this.countPredictions('csv', x.rows, started);
        ctx.meta.$responseType = 'text/csv; charset=utf-8';
        ctx.meta.$responseHeaders = {
          'Content-Disposition': `attachment; filename="${view.id}-predictions.csv"`,
          'X-Quorum-Version': view.id,
          ...(warnings.length ? { 'X-Quorum-Warnings': encodeURIComponent(warnings.join(' · ')).slice(0, 4000) } : {}),
        };
        return Readable.from(chunks);
      },
    },

    /** The ensemble, each member alone and the baseline on the version's validation rows. */
    evaluate: {
      params: { version: 'string', voting: { type: 'string', optional: true }, members: { type: 'array', items: 'string', optional: true } },
      async handler(this: InferenceThis, ctx: Context<{ version: string; voting?: string; members?: string[] }>): Promise<Evaluation> {
        const cached = ctx.params.members ? undefined : this.ensembles.get(ctx.params.version);
        const ensemble = cached ?? (await this.load(ctx.params.version, true, ctx.params.members));
        try {
          const voting = ensemble.votingName(ctx.params.voting);
          const timeout = quorumConfig(this.broker).requestTimeoutMs;
          const stream = await ctx.call<NodeJS.ReadableStream, { version: string }>('registry.validation', { version: ctx.params.version }, { timeout });
          const meta = ensemble.meta.validation;
          const shard = decodeShard(await readAll(stream, { size: meta?.size, sha256: meta?.sha256, idleMs: timeout }));
          return evaluateVotes(ensemble, shard.y, await this.local.votes(ensemble, shard.x, 'all'), voting);
        } finally {
          if (ensemble !== cached) this.drop(ensemble);
        }
      },
    },

    /** Stream in: a labelled CSV (meta.options: EvaluateFileOptions with `version`). The same report on its rows. */
    evaluateFile: {
      async handler(this: InferenceThis, ctx: Context<NodeJS.ReadableStream, { options?: EvaluateFileOptions }>): Promise<Evaluation> {
        const options = ctx.meta.options ?? {};
        if (!options.version) throw new QuorumError('BAD_REQUEST', 'evaluateFile needs meta.options.version');
        const ensemble = await this.ensure(options.version);
        const voting = ensemble.votingName(options.voting);
        const { table, warnings } = await ingestUpload(ctx.params, options, quorumConfig(this.broker));
        const labelled = labelledRows(ensemble.meta, table);
        const { x, warnings: encoding } = encodeTable(ensemble.meta.encoder, table, { rows: labelled.rows, ignore: [ensemble.meta.target] });
        const votes = await this.local.votes(ensemble, x, 'all');
        return evaluateVotes(ensemble, labelled.y, votes, voting, [...warnings, ...labelled.warnings, ...encoding]);
      },
    },

    /** Versions in memory and the active pointers this node follows. */
    loaded: {
      handler(this: InferenceThis) {
        return {
          active: Object.fromEntries(this.active),
          loaded: [...this.ensembles.values()].map((e) => ({ version: e.id, name: e.meta.name, members: e.meta.members.length })),
        };
      },
    },
  },

  events: {
    async 'model.activated'(this: InferenceThis, ctx: Context<{ name: string; version: string }>) {
      const { name, version } = ctx.params;
      // Load first, swap after: until then every request is answered by the previous version.
      // With no previous version of that name here, requests wait for this one to load rather
      // than hear that nothing is active (the job that activated it has already said 'completed').
      const previous = this.active.get(name);
      if (previous === undefined) this.active.set(name, version);
      try {
        await this.ensure(version);
        this.active.set(name, version);
        this.logger.info(`now answering '${name}' with ${version}`);
        ctx.emit('model.live', { name, version, node: this.broker.nodeID });
        this.evict();
      } catch (err) {
        const now = previous ? `still answering '${name}' with ${previous}` : `requests for '${name}' will try to load it again`;
        this.logger.error(`could not load ${version}; ${now}: ${(err as Error).message}`);
      }
    },
    'model.removed'(this: InferenceThis, ctx: Context<{ version: string; name: string }>) {
      if (this.active.get(ctx.params.name) === ctx.params.version) this.active.delete(ctx.params.name);
      const ensemble = this.ensembles.get(ctx.params.version);
      if (ensemble) this.drop(ensemble);
      this.ensembles.delete(ctx.params.version);
      this.views.delete(ctx.params.version);
    },
  },

  methods: {
    async predict(this: InferenceThis, params: PredictParams): Promise<Prediction> {
      const started = process.hrtime.bigint();
      const { view, mode, voting } = await this.prepare(params);
      const { x, warnings } = view.encodeRows(params.rows, params.strict);
      const { votes, missing } = await this.votes(view, x, mode, params);
      this.countPredictions('json', x.rows, started);
      return { view, voting, mode, rows: x.rows, combined: view.combine(votes, x.rows, voting), votes, missing, warnings, withMembers: !!params.members };
    },

    /** /metrics: rows predicted and the request's seconds, by route (`json`, `csv`). */
    countPredictions(this: InferenceThis, route: string, rows: number, started: bigint) {
      if (!this.broker.metrics.isEnabled()) return;
      this.broker.metrics.increment(QUORUM_METRICS.predictions.name, { route }, rows);
      this.broker.metrics.observe(QUORUM_METRICS.predictSeconds.name, Number(process.hrtime.bigint() - started) / 1e9, { route });
    },

    /** The version, the mode and the voting rule of a request (checked before any row is read). */
    async prepare(this: InferenceThis, options: VoteOptions) {
      const mode = options.mode ?? quorumConfig(this.broker).votingMode;
      if (mode !== 'local' && mode !== 'broadcast') throw new QuorumError('BAD_REQUEST', `unknown voting mode '${mode}': use 'local' or 'broadcast'`);
      if (options.quorum !== undefined && !(options.quorum > 0 && (options.quorum < 1 || Number.isInteger(options.quorum)))) {
        throw new QuorumError('BAD_REQUEST', `quorum ${options.quorum}: use a whole number of members (1, 2, …) or a share between 0 and 1`);
      }
      const id = await this.resolveId(options);
      const view = mode === 'local' ? await this.ensure(id) : await this.view(id);
      return { view, mode, voting: view.votingName(options.voting) };
    },

    async votes(this: InferenceThis, view: VersionView, x: Matrix, mode: VotingMode, options: VoteOptions) {
      if (mode === 'local') return { votes: await this.local.votes(view as Ensemble, x, 'voters'), missing: [] };
      const config = quorumConfig(this.broker);
      return broadcastVotes(view, x, { timeoutMs: options.timeout ?? config.predictTimeoutMs, quorum: options.quorum ?? config.predictQuorum }, {
        trainers: () => nodesWith(this.broker, 'trainer'),
        call: (node, request, timeout) => this.broker.call('trainer.predict', request, { nodeID: node, timeout, retries: 0 }),
      });
    },

    async ensure(this: InferenceThis, id: string): Promise<Ensemble> {
      const hit = this.ensembles.get(id);
      if (hit) return hit;
      let pending = this.loading.get(id);
      if (!pending) {
        pending = this.load(id, false).then((ensemble) => {
          this.ensembles.set(id, ensemble);
          this.evict();
          return ensemble;
        });
        this.loading.set(id, pending);
        pending.finally(() => this.loading.delete(id)).catch(() => undefined);
      }
      return pending;
    },

    /** What broadcast voting needs of a version: its metadata (no models). */
    async view(this: InferenceThis, id: string): Promise<VersionView> {
      const hit = this.ensembles.get(id) ?? this.views.get(id);
      if (hit) return hit;
      const meta = await this.broker.call<VersionMeta, { version: string }>('registry.get', { version: id });
      if (meta.status !== 'ready') throw new QuorumError('VERSION_NOT_READY', `version '${id}' is still training`);
      const view = new VersionView(meta);
      this.views.set(id, view);
      return view;
    },

    /** Loads a version from the registry; `evaluating` also accepts a version whose job is finishing. */
    async load(this: InferenceThis, id: string, evaluating: boolean, only?: string[]): Promise<Ensemble> {
      const full = await this.broker.call<VersionMeta, { version: string }>('registry.get', { version: id });
      const meta = only ? { ...full, members: full.members.filter((m) => only.includes(m.id)) } : full;
      if (meta.status !== 'ready' && !evaluating) throw new QuorumError('VERSION_NOT_READY', `version '${id}' is still training`);
      return loadEnsemble(meta, async (member) => {
        const stream = await this.broker.call<NodeJS.ReadableStream, { version: string; member: string }>('registry.artifact', { version: id, member }, { timeout: quorumConfig(this.broker).requestTimeoutMs });
        const m = meta.members.find((x) => x.id === member);
        return readAll(stream, { size: m?.artifact?.size, sha256: m?.artifact?.sha256, idleMs: quorumConfig(this.broker).requestTimeoutMs });
      }, { tfBackend: quorumConfig(this.broker).tfBackend, keepArtifacts: quorumConfig(this.broker).inferenceWorkers > 0 });
    },

    async refreshActive(this: InferenceThis) {
      const active = await this.broker.call<Record<string, string>>('registry.active');
      this.active = new Map(Object.entries(active));
      this.activeKnown = true;
    },

    async resolveId(this: InferenceThis, params: { name?: string; version?: string }): Promise<string> {
      if (params.version) return params.version;
      if (!this.activeKnown) await this.refreshActive();
      if (params.name) {
        const id = this.active.get(params.name);
        if (id) return id;
        throw new QuorumError('NO_ACTIVE_MODEL', `no active version for '${params.name}'${this.active.size ? `: active models are ${listNames([...this.active.keys()])}` : ': train one with POST /api/trainings'}`);
      }
      if (this.active.size === 1) return [...this.active.values()][0];
      if (this.active.size === 0) throw new QuorumError('NO_ACTIVE_MODEL', 'no model is active yet: train one with POST /api/trainings (or activate a version)');
      throw new QuorumError('BAD_REQUEST', `several models are active: pass 'name' (${listNames([...this.active.keys()])}) or 'version'`, { names: [...this.active.keys()] });
    },

    /** Frees an ensemble's models, here and in the prediction threads. */
    drop(this: InferenceThis, ensemble: Ensemble) {
      this.local.forget(ensemble);
      ensemble.dispose();
    },

    evict(this: InferenceThis) {
      const keep = new Set(this.active.values());
      const extra = [...this.ensembles.keys()].filter((id) => !keep.has(id));
      for (const id of extra.slice(0, Math.max(0, extra.length - EXTRA_LOADED))) {
        this.drop(this.ensembles.get(id)!);
        this.ensembles.delete(id);
      }
      for (const id of [...this.views.keys()].slice(0, Math.max(0, this.views.size - EXTRA_LOADED - keep.size))) this.views.delete(id);
    },
  },

  created(this: InferenceThis) {
    this.ensembles = new Map();
    this.views = new Map();
    this.loading = new Map();
    this.active = new Map();
    this.activeKnown = false;
    this.checkPredict = (this.broker.validator as unknown as { compile(schema: unknown): (p: unknown) => true | unknown[] }).compile(PREDICT_PARAMS);
    const config = quorumConfig(this.broker);
    this.local = localVoting({ workers: config.inferenceWorkers, tfBackend: config.tfBackend });
    registerMetrics(this.broker.metrics, ['predictions', 'predictSeconds']);
  },

  async started(this: InferenceThis) {
    // The registry may be on another node that is not up yet: load lazily on the first predict.
    this.refreshActive()
      .then(() => Promise.all([...this.active.values()].map((id) => this.ensure(id))))
      .catch((err) => this.logger.debug(`active versions not loaded at start: ${(err as Error).message}`));
  },

  async stopped(this: InferenceThis) {
    await this.local.close();
    for (const e of this.ensembles.values()) e.dispose();
    this.ensembles.clear();
  },
};

export default InferenceService;
