/**
 * inference: holds the active ensemble of every model name in memory and answers predictions by
 * voting. A `model.activated` broadcast makes it load the new version first and swap after, so it
 * keeps answering from the previous version while a job trains or a version loads.
 */
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { decodeShard } from '../lib/data/shard-codec';
import { QuorumError, listNames } from '../lib/errors';
import { loadEnsemble, type Ensemble, type PredictResult } from '../lib/inference/ensemble';
import type { VersionMeta } from '../lib/registry/version';
import { readAll } from '../lib/store/streams';
import { quorumConfig } from './support/config';
import { QuorumErrors } from './support/errors';
import { RestartGuard } from './support/restart-guard';

/** Versions kept loaded besides the active ones (explicit `version` requests, evaluations). */
const EXTRA_LOADED = 4;

export interface PredictParams {
  rows: Record<string, unknown>[];
  name?: string;
  version?: string;
  voting?: string;
  members?: boolean;
  strict?: boolean;
}

type InferenceThis = Service & {
  ensembles: Map<string, Ensemble>;
  loading: Map<string, Promise<Ensemble>>;
  active: Map<string, string>;
  activeKnown: boolean;
  ensure(id: string): Promise<Ensemble>;
  load(id: string, evaluating: boolean, only?: string[]): Promise<Ensemble>;
  refreshActive(): Promise<void>;
  resolve(params: { name?: string; version?: string }): Promise<Ensemble>;
  evict(): void;
};

const InferenceService: ServiceSchema<ServiceSettingSchema, InferenceThis> = {
  name: 'inference',
  mixins: [QuorumErrors, RestartGuard],

  actions: {
    predict: {
      params: {
        rows: { type: 'array', items: 'object', min: 1, max: 100_000 },
        name: { type: 'string', optional: true },
        version: { type: 'string', optional: true },
        voting: { type: 'string', optional: true },
        members: { type: 'boolean', optional: true, convert: true },
        strict: { type: 'boolean', optional: true, convert: true },
      },
      async handler(this: InferenceThis, ctx: Context<PredictParams>): Promise<PredictResult> {
        const ensemble = await this.resolve(ctx.params);
        return ensemble.predictRows(ctx.params.rows, ctx.params);
      },
    },

    /** The ensemble and each member alone on the version's validation rows. */
    evaluate: {
      params: { version: 'string', voting: { type: 'string', optional: true }, members: { type: 'array', items: 'string', optional: true } },
      async handler(this: InferenceThis, ctx: Context<{ version: string; voting?: string; members?: string[] }>) {
        const cached = ctx.params.members ? undefined : this.ensembles.get(ctx.params.version);
        const ensemble = cached ?? (await this.load(ctx.params.version, true, ctx.params.members));
        const stream = await ctx.call<NodeJS.ReadableStream, { version: string }>('registry.validation', { version: ctx.params.version }, { timeout: quorumConfig(this.broker).requestTimeoutMs });
        const meta = ensemble.meta.validation;
        const shard = decodeShard(await readAll(stream, { size: meta?.size, sha256: meta?.sha256, idleMs: quorumConfig(this.broker).requestTimeoutMs }));
        try {
          return ensemble.evaluate(shard.x, shard.y, ctx.params.voting);
        } finally {
          if (ensemble !== cached) ensemble.dispose();
        }
      },
    },

    /** Versions in memory and the active pointers this node follows. */
    loaded: {
      handler(this: InferenceThis) {
        return {
          active: Object.fromEntries(this.active),
          loaded: [...this.ensembles.values()].map((e) => ({ version: e.meta.id, name: e.meta.name, members: e.members.length })),
        };
      },
    },
  },

  events: {
    async 'model.activated'(this: InferenceThis, ctx: Context<{ name: string; version: string }>) {
      const { name, version } = ctx.params;
      try {
        await this.ensure(version);
        this.active.set(name, version);
        this.logger.info(`now answering '${name}' with ${version}`);
        this.evict();
      } catch (err) {
        this.logger.error(`could not load ${version}; still answering '${name}' with ${this.active.get(name) ?? 'nothing'}: ${(err as Error).message}`);
      }
    },
    'model.removed'(this: InferenceThis, ctx: Context<{ version: string; name: string }>) {
      if (this.active.get(ctx.params.name) === ctx.params.version) this.active.delete(ctx.params.name);
      this.ensembles.get(ctx.params.version)?.dispose();
      this.ensembles.delete(ctx.params.version);
    },
  },

  methods: {
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

    /** Loads a version from the registry; `evaluating` also accepts a version whose job is finishing. */
    async load(this: InferenceThis, id: string, evaluating: boolean, only?: string[]): Promise<Ensemble> {
      const full = await this.broker.call<VersionMeta, { version: string }>('registry.get', { version: id });
      const meta = only ? { ...full, members: full.members.filter((m) => only.includes(m.id)) } : full;
      if (meta.status !== 'ready' && !evaluating) throw new QuorumError('VERSION_NOT_READY', `version '${id}' is still training`);
      return loadEnsemble(meta, async (member) => {
        const stream = await this.broker.call<NodeJS.ReadableStream, { version: string; member: string }>('registry.artifact', { version: id, member }, { timeout: quorumConfig(this.broker).requestTimeoutMs });
        const m = meta.members.find((x) => x.id === member);
        return readAll(stream, { size: m?.artifact?.size, sha256: m?.artifact?.sha256, idleMs: quorumConfig(this.broker).requestTimeoutMs });
      }, { tfBackend: quorumConfig(this.broker).tfBackend });
    },

    async refreshActive(this: InferenceThis) {
      const active = await this.broker.call<Record<string, string>>('registry.active');
      this.active = new Map(Object.entries(active));
      this.activeKnown = true;
    },

    async resolve(this: InferenceThis, params: { name?: string; version?: string }): Promise<Ensemble> {
      if (params.version) return this.ensure(params.version);
      if (!this.activeKnown) await this.refreshActive();
      let id: string | undefined;
      if (params.name) {
        id = this.active.get(params.name);
        if (!id) {
          throw new QuorumError('NO_ACTIVE_MODEL', `no active version for '${params.name}'${this.active.size ? `: active models are ${listNames([...this.active.keys()])}` : ': train one with POST /api/trainings'}`);
        }
      } else if (this.active.size === 1) {
        id = [...this.active.values()][0];
      } else if (this.active.size === 0) {
        throw new QuorumError('NO_ACTIVE_MODEL', 'no model is active yet: train one with POST /api/trainings (or activate a version)');
      } else {
        throw new QuorumError('BAD_REQUEST', `several models are active: pass 'name' (${listNames([...this.active.keys()])}) or 'version'`, {
          names: [...this.active.keys()],
        });
      }
      return this.ensure(id);
    },

    evict(this: InferenceThis) {
      const keep = new Set(this.active.values());
      const extra = [...this.ensembles.keys()].filter((id) => !keep.has(id));
      for (const id of extra.slice(0, Math.max(0, extra.length - EXTRA_LOADED))) {
        this.ensembles.get(id)?.dispose();
        this.ensembles.delete(id);
      }
    },
  },

  created(this: InferenceThis) {
    this.ensembles = new Map();
    this.loading = new Map();
    this.active = new Map();
    this.activeKnown = false;
  },

  async started(this: InferenceThis) {
    // The registry may be on another node that is not up yet: load lazily on the first predict.
    this.refreshActive()
      .then(() => Promise.all([...this.active.values()].map((id) => this.ensure(id))))
      .catch((err) => this.logger.debug(`active versions not loaded at start: ${(err as Error).message}`));
  },

  stopped(this: InferenceThis) {
    for (const e of this.ensembles.values()) e.dispose();
    this.ensembles.clear();
  },
};

export default InferenceService;
