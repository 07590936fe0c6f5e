/**
 * registry: the parameter server and model store. Versions (one per job) with their metadata and
 * member artifacts on disk; the active pointer of each model name; export and import. Artifacts
 * arrive and leave as streams; `model.activated` is broadcast so every inference node reloads.
 */
import path from 'node:path';
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { QuorumError } from '../lib/errors';
import type { Report } from '../lib/metrics';
import { decideActivation } from '../lib/registry/activation';
import { decodeExport, encodeExport, examineExport } from '../lib/registry/portable';
import { checkSignature, exportKey, loadExportKey, signExport, type ExportKey } from '../lib/registry/signature';
import { VersionStore } from '../lib/registry/store';
import { averageInto, completeVersion } from '../lib/registry/completion';
import type { CrossNodeEvaluation, ImportCheck, MemberMeta, VersionMeta } from '../lib/registry/version';
import { bufferStream, readAll } from '../lib/store/streams';
import { quorumConfig } from './ports/config';
import { QuorumErrors } from './mixins/errors';
import { registerMetrics, setCounts } from '../lib/ops/metrics';
import { MAX_ARTIFACT_BYTES, MAX_IMPORT_BYTES } from '../lib/limits';

type RegistryThis = Service & {
  store: VersionStore;
  exportKey: ExportKey;
  trustedKeys: ExportKey[];
  countTimer?: NodeJS.Timeout;
  versionStates: Set<string>;
  summary(v: VersionMeta): Record<string, unknown>;
  activate(ctx: Context, id: string, reason: string): Promise<Record<string, unknown>>;
};

const RegistryService: ServiceSchema<ServiceSettingSchema, RegistryThis> = {
  name: 'registry',
  mixins: [QuorumErrors],

  actions: {
    create: {
      params: { meta: 'object' },
      async handler(this: RegistryThis, ctx: Context<{ meta: Omit<VersionMeta, 'id' | 'status' | 'createdAt'> }>) {
        return this.store.create({ ...ctx.params.meta, members: [] });
      },
    },

    /** Stream in: a member artifact. meta: { version, member }. */
    putMember: {
      async handler(this: RegistryThis, ctx: Context<NodeJS.ReadableStream, { version: string; member: MemberMeta }>) {
        const { version, member } = ctx.meta;
        if (!version || !member?.id) throw new QuorumError('BAD_REQUEST', 'putMember needs meta.version and meta.member');
        const bytes = await readAll(ctx.params, { maxBytes: MAX_ARTIFACT_BYTES, idleMs: quorumConfig(this.broker).requestTimeoutMs });
        return this.store.putMember(version, member, bytes);
      },
    },

    /** Stream in: the validation rows of a version. meta: { version, rows }. */
    putValidation: {
      async handler(this: RegistryThis, ctx: Context<NodeJS.ReadableStream, { version: string; rows: number; sha256?: string }>) {
        const bytes = await readAll(ctx.params, { maxBytes: MAX_ARTIFACT_BYTES, sha256: ctx.meta.sha256, idleMs: quorumConfig(this.broker).requestTimeoutMs });
        await this.store.putValidation(ctx.meta.version, bytes, ctx.meta.rows);
        return { version: ctx.meta.version, size: bytes.length };
      },
    },

    /** The job is done: record metrics, mark ready, apply the activation policy. */
    complete: {
      params: {
        version: 'string',
        report: 'object',
        members: { type: 'array', items: { type: 'object', props: { id: 'string', metrics: 'object', score: 'number' } } },
        policy: { type: 'enum', values: ['always', 'if-better', 'manual'], optional: true },
        keep: { type: 'array', items: 'string', optional: true },
        crossNode: { type: 'object', optional: true },
        takeover: { type: 'boolean', optional: true },
      },
      async handler(
        this: RegistryThis,
        ctx: Context<{
          version: string;
          report: Report;
          members: { id: string; metrics: Record<string, number | null>; score: number }[];
          policy?: 'always' | 'if-better' | 'manual';
          keep?: string[];
          crossNode?: CrossNodeEvaluation;
          takeover?: boolean;
        }>,
      ) {
        const { version } = ctx.params;
        const updated = await completeVersion(this.store, ctx.params);
        const policy = ctx.params.policy ?? quorumConfig(this.broker).activation;
        const currentId = this.store.activeVersions()[updated.name];
        const current = currentId ? this.store.get(currentId) : undefined;
        const decision = decideActivation(policy, updated, current, { takeover: ctx.params.takeover ?? true });
        if (decision.activate) return { version, ...(await this.activate(ctx, version, decision.reason)) };
        this.logger.info(`version ${version} not activated: ${decision.reason}`);
        return { version, activated: false, reason: decision.reason };
      },
    },

    /**
     * Parameter server: the row-weighted mean of a round's weights becomes member `into` (the
     * global model); the round's parts are dropped.
     */
    average: {
      params: {
        version: 'string',
        into: { type: 'string', default: 'global' },
        parts: { type: 'array', min: 1, items: { type: 'object', props: { member: 'string', rows: { type: 'number', positive: true } } } },
      },
      async handler(this: RegistryThis, ctx: Context<{ version: string; into: string; parts: { member: string; rows: number }[] }>) {
        return averageInto(this.store, ctx.params.version, ctx.params.into, ctx.params.parts);
      },
    },

    /** A new version from another, minus some members (a node retraining its own local member). */
    derive: {
      params: { from: 'string', without: { type: 'array', items: 'string' }, node: 'string', reason: 'string' },
      async handler(this: RegistryThis, ctx: Context<{ from: string; without: string[]; node: string; reason: string }>) {
        const { from, without, node, reason } = ctx.params;
        return this.store.derive(from, without, { derivedFrom: { version: from, node, reason }, job: undefined });
      },
    },

    /** Drops a version whose job failed or was cancelled: nothing half-made stays registered. */
    discard: {
      params: { version: 'string' },
      async handler(this: RegistryThis, ctx: Context<{ version: string }>) {
        const meta = this.store.get(ctx.params.version);
        if (meta.status === 'ready') throw new QuorumError('CONFLICT', `version '${meta.id}' is ready: remove it instead`);
        await this.store.remove(meta.id, true);
        // Trainers drop the copies they kept for broadcast voting.
        ctx.broadcast('model.removed', { version: meta.id, name: meta.name, discarded: true });
        return { version: meta.id, discarded: true };
      },
    },

    list: {
      params: { name: { type: 'string', optional: true } },
      handler(this: RegistryThis, ctx: Context<{ name?: string }>) {
        return this.store
          .list(ctx.params.name)
          .filter((v) => v.status === 'ready')
          .map((v) => this.summary(v));
      },
    },

    get: {
      params: { version: 'string' },
      handler(this: RegistryThis, ctx: Context<{ version: string }>) {
        const v = this.store.get(ctx.params.version);
        return { ...v, active: this.store.activeVersions()[v.name] === v.id };
      },
    },

    active: {
      handler(this: RegistryThis) {
        return this.store.activeVersions();
      },
    },

    activations: {
      handler(this: RegistryThis) {
        return this.store.activations();
      },
    },

    activate: {
      params: { version: 'string' },
      async handler(this: RegistryThis, ctx: Context<{ version: string }>) {
        return { version: ctx.params.version, ...(await this.activate(ctx, ctx.params.version, 'activated by hand')) };
      },
    },

    remove: {
      params: { version: 'string', force: { type: 'boolean', optional: true, convert: true } },
      async handler(this: RegistryThis, ctx: Context<{ version: string; force?: boolean }>) {
        const meta = this.store.get(ctx.params.version);
        if (meta.status !== 'ready') throw new QuorumError('VERSION_NOT_READY', `version '${meta.id}' is still training: cancel its job instead`);
        await this.store.remove(meta.id, ctx.params.force);
        ctx.broadcast('model.removed', { version: meta.id, name: meta.name });
        return { version: meta.id, removed: true };
      },
    },

    /** Stream out: one member artifact. */
    artifact: {
      params: { version: 'string', member: 'string' },
      async handler(this: RegistryThis, ctx: Context<{ version: string; member: string }>) {
        return bufferStream(await this.store.readMember(ctx.params.version, ctx.params.member));
      },
    },

    /** Stream out: the validation rows of a version. */
    validation: {
      params: { version: 'string' },
      async handler(this: RegistryThis, ctx: Context<{ version: string }>) {
        return bufferStream(await this.store.readValidation(ctx.params.version));
      },
    },

    /** Stream out: the whole version as one portable file. */
    export: {
      params: { version: 'string' },
      async handler(this: RegistryThis, ctx: Context<{ version: string }, { $responseType?: string; $responseHeaders?: Record<string, string> }>) {
        const meta = this.store.get(ctx.params.version);
        if (meta.status !== 'ready') throw new QuorumError('VERSION_NOT_READY', `version '${meta.id}' is still training`);
        const members = new Map<string, Uint8Array>();
        for (const m of meta.members) members.set(m.id, await this.store.readMember(meta.id, m.id));
        const validation = meta.validation ? await this.store.readValidation(meta.id) : undefined;
        const bytes = signExport(encodeExport(meta, members, validation), this.exportKey);
        ctx.meta.$responseType = 'application/octet-stream';
        ctx.meta.$responseHeaders = { 'Content-Disposition': `attachment; filename="${meta.id}.quorum"`, 'Content-Length': String(bytes.length) };
        return bufferStream(bytes);
      },
    },

    /**
     * Stream in: an export file. meta: { name?, trust? } — registered as a new version of that name.
     * The file must be signed by a key this registry trusts, unless an admin imports it with
     * `trust: 'unsigned'` (then it is marked unverified); whatever the signature, its metrics are
     * recomputed from its validation rows (or dropped) before anything is registered.
     */
    import: {
      async handler(
        this: RegistryThis,
        ctx: Context<NodeJS.ReadableStream, { name?: string; filename?: string; activate?: boolean; options?: { trust?: string } }>,
      ) {
        const trust = ctx.meta.options?.trust;
        if (trust !== undefined && trust !== 'unsigned')
          throw new QuorumError('BAD_REQUEST', `trust must be 'unsigned' (to import a file no known key signed), got '${String(trust).slice(0, 40)}'`);
        const bytes = await readAll(ctx.params, { maxBytes: MAX_IMPORT_BYTES, idleMs: quorumConfig(this.broker).requestTimeoutMs });
        const { container, signature } = checkSignature(bytes, this.trustedKeys);
        if (signature.status !== 'verified' && trust !== 'unsigned') {
          const why = {
            unsigned: 'is not signed (an export of an older Quorum, or a file made elsewhere)',
            'unknown-key': `is signed by key ${'keyId' in signature ? signature.keyId : ''}, which this registry does not know`,
            altered: 'was changed after it was signed: its signature does not match its bytes',
          }[signature.status];
          throw new QuorumError(
            'UNSIGNED_EXPORT',
            `the export ${why}: add its cluster's export key to EXPORT_TRUSTED_KEYS, or import it with trust=unsigned (admin) to take it as unverified`,
            { signature: signature.status },
          );
        }
        const decoded = decodeExport(container);
        const verified = signature.status === 'verified';
        const examined = await examineExport(decoded, { tfBackend: quorumConfig(this.broker).tfBackend, verified });
        const source = examined.meta;
        const imported: ImportCheck = { signature: signature.status, ...('keyId' in signature ? { signer: signature.keyId } : {}), metrics: examined.metrics };
        const created = await this.store.create({
          ...source,
          name: ctx.meta.name ?? source.name,
          job: undefined,
          members: [],
          importedFrom: `${source.id}${ctx.meta.filename ? ` (${path.basename(ctx.meta.filename).slice(0, 120)})` : ''}`,
          imported,
          ...(verified ? {} : { unverified: true }),
        } as Omit<VersionMeta, 'id' | 'status' | 'createdAt'>);
        try {
          for (const m of source.members) await this.store.putMember(created.id, { ...m, artifact: undefined }, decoded.members.get(m.id)!);
          if (decoded.validation && source.validation) await this.store.putValidation(created.id, decoded.validation, source.validation.rows);
          const ready = await this.store.update(created.id, {
            status: 'ready',
            completedAt: source.completedAt,
            report: source.report,
            metrics: source.metrics,
          });
          this.logger.info(`imported ${ready.id} from ${ready.importedFrom}: signature ${signature.status}, metrics ${examined.metrics}`);
          return this.summary(ready);
        } catch (err) {
          await this.store.remove(created.id, true).catch(() => undefined);
          throw err;
        }
      },
    },
  },

  methods: {
    summary(this: RegistryThis, v: VersionMeta) {
      return {
        id: v.id,
        name: v.name,
        status: v.status,
        active: this.store.activeVersions()[v.name] === v.id,
        createdAt: v.createdAt,
        completedAt: v.completedAt,
        job: v.job,
        dataset: v.dataset,
        target: v.target,
        task: v.task,
        classes: v.classes,
        mode: v.mode,
        voting: v.voting,
        members: v.members.map((m) => ({
          id: m.id,
          kind: m.kind,
          rows: m.rows,
          node: m.node,
          fitMs: m.fitMs,
          metrics: m.metrics,
          size: m.artifact?.size,
          ...(m.baseline ? { baseline: true } : {}),
        })),
        metrics: v.metrics,
        importedFrom: v.importedFrom,
        ...(v.unverified ? { unverified: true } : {}),
      };
    },

    async activate(this: RegistryThis, ctx: Context, id: string, reason: string) {
      const record = await this.store.activate(id, reason);
      this.logger.info(`version ${id} active for '${record.name}': ${reason}`);
      ctx.broadcast('model.activated', { name: record.name, version: id, previous: record.previous });
      return { activated: true, name: record.name, previous: record.previous, reason };
    },
  },

  async created(this: RegistryThis) {
    this.store = new VersionStore(path.join(quorumConfig(this.broker).stateDir, 'registry'));
    this.versionStates = new Set();
    registerMetrics(this.broker.metrics, ['versions']);
  },

  async started(this: RegistryThis) {
    await this.store.init();
    const config = quorumConfig(this.broker);
    const own = await loadExportKey(this.store.root, config.exportKey);
    this.exportKey = own.key;
    this.trustedKeys = [own.key, ...config.exportTrustedKeys.map(exportKey)];
    this.logger.info(
      `exports signed with key ${own.key.id}${own.generated ? ` (generated into ${path.relative(config.stateDir, own.file!)} under STATE_DIR)` : ''}; ${this.trustedKeys.length - 1} other cluster key(s) trusted`,
    );
    this.logger.info(`registry: ${this.store.list().length} version(s) in ${this.store.root}`);
    if (this.broker.metrics.isEnabled()) {
      // The versions gauge of /metrics, from the in-memory index (cheap: no file is read).
      const count = () => {
        const counts = new Map<string, number>();
        for (const v of this.store.list()) counts.set(v.status, (counts.get(v.status) ?? 0) + 1);
        setCounts(this.broker.metrics, 'versions', 'status', counts, this.versionStates);
      };
      count();
      this.countTimer = setInterval(count, 1000);
      this.countTimer.unref();
    }
  },

  stopped(this: RegistryThis) {
    if (this.countTimer) clearInterval(this.countTimer);
  },
};

export default RegistryService;
