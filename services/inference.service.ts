/**
 * inference: holds the active ensemble of every model name in memory and answers predictions by
 * voting — `local` (this node runs every member) or `broadcast` (each trainer node runs its own
 * members; a deadline and a quorum). A `model.activated` broadcast makes it load the new version
 * first and swap after, so it keeps answering from the previous version while a job trains or a
 * version loads. Evaluates versions on their validation rows or on an uploaded labelled file.
 */
import { Readable } from 'node:stream';
import { Errors, type Context, type Service, type ServiceSchema, type ServiceSettingSchema } from 'moleculer';
import { decodeRowShard } from '../lib/data/shard-codec';
import { QuorumError } from '../lib/errors';
import { broadcastVotes } from '../lib/inference/broadcast';
import { predictionCsv, primed } from '../lib/inference/csv-out';
import type { Ensemble } from '../lib/inference/ensemble';
import { evaluateVotes, type Evaluation } from '../lib/inference/evaluation';
import { predictionJson, predictionObject, type PredictResult, type Prediction } from '../lib/inference/result';
import { encodeTable, labelledRows } from '../lib/inference/table-encoder';
import { VersionView, type MemberVote, type MissingMember, type VotingMode } from '../lib/inference/version-view';
import type { Matrix } from '../lib/models/model';
import { bufferStream, readAll } from '../lib/store/streams';
import { readJsonRows } from '../lib/inference/json-rows';
import { nextTurn } from '../lib/util/sleep';
import { nodesWith } from './ports/cluster';
import { quorumConfig } from './ports/config';
import { QuorumErrors } from './mixins/errors';
import { localVoting, type LocalVoting } from '../lib/inference/local';
import { ModelCache } from '../lib/inference/model-cache';
import { versionSource } from './ports/version-source';
import { ingestUpload, type PredictCsvOptions, type EvaluateFileOptions, type VoteOptions } from '../lib/inference/upload-read';
import { RestartGuard } from './mixins/restart-guard';
import { QUORUM_METRICS, registerMetrics } from '../lib/ops/metrics';
import { refuseUnknownKeys } from './mixins/unknown-keys';
import { MAX_JSON_BODY_BYTES, MAX_PREDICT_ROWS, STREAM_ABOVE_BYTES } from '../lib/limits';

export interface PredictParams extends VoteOptions {
  rows: Record<string, unknown>[];
  members?: boolean;
  strict?: boolean;
}

const PREDICT_PARAMS = {
  rows: { type: 'array', items: 'object', min: 1, max: MAX_PREDICT_ROWS },
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
  cache: ModelCache;
  local: LocalVoting;
  checkPredict: (params: unknown) => true | unknown[];
  countPredictions(route: string, rows: number, started: bigint): void;
  prepare(options: VoteOptions): Promise<{ view: VersionView; mode: VotingMode; voting: string }>;
  votes(view: VersionView, x: Matrix, mode: VotingMode, options: VoteOptions): Promise<{ votes: MemberVote[]; missing: MissingMember[] }>;
  predict(params: PredictParams): Promise<Prediction>;
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
      async handler(this: InferenceThis, ctx: Context<NodeJS.ReadableStream, { $responseType?: string; sizeHint?: number }>) {
        const body = await readAll(ctx.params, {
          maxBytes: MAX_JSON_BODY_BYTES,
          idleMs: quorumConfig(this.broker).requestTimeoutMs,
          sizeHint: ctx.meta.sizeHint,
        });
        const params = (await readJsonRows(body, { maxRows: MAX_PREDICT_ROWS })) as unknown as PredictParams;
        refuseUnknownKeys(PREDICT_PARAMS, params, 'POST /api/predict');
        const checked =
          params !== null && typeof params === 'object' ? this.checkPredict(params) : [{ type: 'object', message: 'the body must be a JSON object' }];
        if (checked !== true) throw new Errors.ValidationError('Parameters validation error!', 'VALIDATION_ERROR', checked);
        const text = predictionJson(await this.predict(params));
        ctx.meta.$responseType = 'application/json; charset=utf-8';
        return text.length > STREAM_ABOVE_BYTES ? bufferStream(text) : text;
      },
    },

    /** Stream in: a CSV of rows (meta.options: PredictCsvOptions). Stream out: the CSV of predictions. */
    predictCsv: {
      async handler(
        this: InferenceThis,
        ctx: Context<NodeJS.ReadableStream, { options?: PredictCsvOptions; $responseType?: string; $responseHeaders?: Record<string, string> }>,
      ) {
        const started = process.hrtime.bigint();
        const options = ctx.meta.options ?? {};
        const { view, mode, voting } = await this.prepare(options);
        const { table, warnings: read } = await ingestUpload(ctx.params, options, quorumConfig(this.broker));
        const { x, warnings: encoding } = encodeTable(view.meta.encoder, table, { strict: options.strict, ignore: [view.meta.target] });
        // What the reader noticed (a column read other than expected) goes with what the encoder did.
        const warnings = [...read, ...encoding];
        // The header and the first slice are computed before answering: their errors are plain 4xx/5xx.
        const chunks = await primed(
          predictionCsv(view, table, x, voting, (part) => this.votes(view, part, mode, options), options),
          2,
        );
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
        const cached = ctx.params.members ? undefined : this.cache.cached(ctx.params.version);
        const ensemble = cached ?? (await this.cache.load(ctx.params.version, true, ctx.params.members));
        try {
          const voting = ensemble.votingName(ctx.params.voting);
          const timeout = quorumConfig(this.broker).requestTimeoutMs;
          const stream = await ctx.call<NodeJS.ReadableStream, { version: string }>('registry.validation', { version: ctx.params.version }, { timeout });
          const meta = ensemble.meta.validation;
          const shard = decodeRowShard(await readAll(stream, { size: meta?.size, sha256: meta?.sha256, idleMs: timeout }));
          return evaluateVotes(ensemble, shard.y, await this.local.votes(ensemble, shard.x, 'all'), voting);
        } finally {
          // A whole version just evaluated is about to be activated: kept, it is not loaded twice.
          if (ensemble !== cached) {
            if (ctx.params.members) this.cache.drop(ensemble);
            else this.cache.keepEvaluated(ensemble);
          }
        }
      },
    },

    /** Stream in: a labelled CSV (meta.options: EvaluateFileOptions with `version`). The same report on its rows. */
    evaluateFile: {
      async handler(this: InferenceThis, ctx: Context<NodeJS.ReadableStream, { options?: EvaluateFileOptions }>): Promise<Evaluation> {
        const options = ctx.meta.options ?? {};
        if (!options.version) throw new QuorumError('BAD_REQUEST', 'evaluateFile needs meta.options.version');
        const ensemble = await this.cache.ensure(options.version);
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
        return this.cache.loaded();
      },
    },
  },

  events: {
    async 'model.activated'(this: InferenceThis, ctx: Context<{ name: string; version: string }>) {
      const { name, version } = ctx.params;
      const previous = this.cache.activeOf(name);
      try {
        await this.cache.activate(name, version);
        this.logger.info(`now answering '${name}' with ${version}`);
        ctx.emit('model.live', { name, version, node: this.broker.nodeID });
      } catch (err) {
        const now = previous ? `still answering '${name}' with ${previous}` : `requests for '${name}' will try to load it again`;
        this.logger.error(`could not load ${version}; ${now}: ${(err as Error).message}`);
      }
    },
    'model.removed'(this: InferenceThis, ctx: Context<{ version: string; name: string }>) {
      this.cache.removed(ctx.params.name, ctx.params.version);
    },
  },

  methods: {
    async predict(this: InferenceThis, params: PredictParams): Promise<Prediction> {
      const started = process.hrtime.bigint();
      const { view, mode, voting } = await this.prepare(params);
      const { x, warnings } = await view.encodeRowsInSlices(params.rows, params.strict, nextTurn);
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
      const id = await this.cache.resolveId(options);
      const view = mode === 'local' ? await this.cache.ensure(id) : await this.cache.view(id);
      return { view, mode, voting: view.votingName(options.voting) };
    },

    async votes(this: InferenceThis, view: VersionView, x: Matrix, mode: VotingMode, options: VoteOptions) {
      if (mode === 'local') return { votes: await this.local.votes(view as Ensemble, x, 'voters'), missing: [] };
      const config = quorumConfig(this.broker);
      return broadcastVotes(
        view,
        x,
        { timeoutMs: options.timeout ?? config.predictTimeoutMs, quorum: options.quorum ?? config.predictQuorum },
        {
          trainers: () => nodesWith(this.broker, 'trainer'),
          call: (node, request, timeout) => this.broker.call('trainer.predict', request, { nodeID: node, timeout, retries: 0 }),
        },
      );
    },
  },

  created(this: InferenceThis) {
    this.checkPredict = (this.broker.validator as unknown as { compile(schema: unknown): (p: unknown) => true | unknown[] }).compile(PREDICT_PARAMS);
    const config = quorumConfig(this.broker);
    this.local = localVoting({ workers: config.inferenceWorkers, tfBackend: config.tfBackend });
    this.cache = new ModelCache(versionSource(this.broker), this.local, { tfBackend: config.tfBackend, keepArtifacts: config.inferenceWorkers > 0 });
    registerMetrics(this.broker.metrics, ['predictions', 'predictSeconds']);
  },

  async started(this: InferenceThis) {
    // The registry may be on another node that is not up yet: load lazily on the first predict.
    this.cache.loadActive().catch((err) => this.logger.debug(`active versions not loaded at start: ${(err as Error).message}`));
  },

  async stopped(this: InferenceThis) {
    await this.local.close();
    this.cache.dispose();
  },
};

export default InferenceService;
