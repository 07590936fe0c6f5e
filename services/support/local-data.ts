/**
 * Node-local data for trainers (`TRAINER_DATA=path/to/file.csv`): the file is read by this node
 * only; the coordinator learns its schema, asks for a member trained on it (`fitLocal`) and for
 * every member's evaluation on the node's own validation rows (`evaluateLocal`). Only models travel.
 *
 * When the file changes enough (rows added, or a numeric column drifting), the node retrains its
 * member and publishes a new version derived from the one it served, while it and the inference
 * service keep answering with the previous one.
 */
import { promises as fs, unwatchFile, watchFile } from 'node:fs';
import path from 'node:path';
import type { Context, ServiceSchema } from 'moleculer';
import { encodeTable, featureInfo, type EncoderSpec } from '../../lib/data/encode';
import { readFileChunks } from '../../lib/data/csv/source';
import { ingestCsv } from '../../lib/data/ingest';
import { applyDense, fitDense } from '../../lib/data/preprocess';
import { splitRows } from '../../lib/data/split';
import type { ColumnProfile, Table } from '../../lib/data/table';
import { resolveTarget } from '../../lib/data/target';
import { QuorumError } from '../../lib/errors';
import { loadEnsemble } from '../../lib/inference/ensemble';
import { decideRetrain } from '../../lib/local/drift';
import { describeTable, type LocalSchema } from '../../lib/local/schema';
import { evaluate, headline, score, type Report } from '../../lib/metrics';
import { modelKindInfo } from '../../lib/models/kinds';
import type { Matrix, Task } from '../../lib/models/model';
import type { VersionMeta } from '../../lib/registry/version';
import { readAll } from '../../lib/store/streams';
import { deriveSeed } from '../../lib/util/random';
import { DEFAULT_SEED, DEFAULT_VALIDATION_FRACTION } from '../../lib/training/request';
import type { FitReply, TrainerThis } from '../trainer.service';
import { quorumConfig } from './config';

interface LocalFile {
  file: string;
  table: Table;
  profile: ColumnProfile[];
  mtimeMs: number;
  /** The table the node's current member was trained on (drift is measured against it). */
  trainedOn?: Table;
}

export interface LocalFitParams {
  job: string;
  version: string;
  member: string;
  shard: number;
  target: string;
  task: Task;
  classes?: string[];
  encoder: EncoderSpec;
  kind: string;
  params: Record<string, unknown>;
  seed: number;
  validationFraction: number;
}

export interface LocalEvaluation {
  node: string;
  rows: number;
  report: Report;
  members: { id: string; kind: string; report: Report }[];
}

type LocalThis = TrainerThis & {
  local?: LocalFile;
  retraining?: Promise<void>;
  loadLocal(): Promise<LocalFile>;
  localRows(spec: { target: string; task: Task; classes?: string[]; encoder: EncoderSpec; seed: number; validationFraction: number }): { train: Matrix; trainY: Float32Array; validation: Matrix; validationY: Float32Array };
  evaluateVersion(meta: VersionMeta): Promise<LocalEvaluation>;
  fileChanged(): Promise<void>;
};

function requireLocal(svc: LocalThis): LocalFile {
  if (!svc.local) throw new QuorumError('NOT_FOUND', `trainer ${svc.broker.nodeID} has no local data: start it with TRAINER_DATA=path/to/file.csv`);
  return svc.local;
}

export const LocalData = {
  actions: {
    /** This node's file described (columns, types, categories, target): never a row. */
    localProfile: {
      params: { target: { type: 'string', optional: true }, task: { type: 'enum', values: ['classification', 'regression'], optional: true } },
      handler(this: LocalThis, ctx: Context<{ target?: string; task?: Task }>): LocalSchema {
        const local = requireLocal(this);
        return describeTable(this.broker.nodeID, path.basename(local.file), local.table, local.profile, ctx.params.target, ctx.params.task);
      },
    },

    /** Fits a member on this node's own training rows with the job's common encoder. */
    fitLocal: {
      params: {
        job: 'string', version: 'string', member: 'string', shard: 'number', target: 'string',
        task: { type: 'enum', values: ['classification', 'regression'] },
        classes: { type: 'array', items: 'string', optional: true },
        encoder: 'object', kind: 'string', params: { type: 'object', optional: true }, seed: 'number',
        validationFraction: { type: 'number', gt: 0, lte: 0.9 },
      },
      async handler(this: LocalThis, ctx: Context<LocalFitParams>): Promise<FitReply> {
        const p = ctx.params;
        const local = requireLocal(this);
        const table = local.table;
        return this.runFit({ ...p, params: p.params ?? {} }, async () => {
          const rows = this.localRows(p);
          const dense = modelKindInfo(p.kind).input === 'dense' ? fitDense(rows.train, featureInfo(p.encoder), { seed: p.seed }) : undefined;
          const train = dense ? applyDense(dense, rows.train) : rows.train;
          const validation = dense ? applyDense(dense, rows.validation) : rows.validation;
          local.trainedOn = table;
          return {
            train: { x: train.data, rows: train.rows, cols: train.cols, y: rows.trainY },
            validation: validation.rows ? { x: validation.data, rows: validation.rows, cols: validation.cols, y: rows.validationY } : undefined,
            features: dense ? dense.names.map((name) => ({ name, kind: 'numeric' as const })) : featureInfo(p.encoder),
            member: { local: true, ...(dense ? { dense } : {}) },
          };
        });
      },
    },

    /** Every member of a version (and the ensemble) on this node's own validation rows. */
    evaluateLocal: {
      params: { version: 'string' },
      async handler(this: LocalThis, ctx: Context<{ version: string }>): Promise<LocalEvaluation> {
        requireLocal(this);
        const meta = await ctx.call<VersionMeta, { version: string }>('registry.get', { version: ctx.params.version });
        return this.evaluateVersion(meta);
      },
    },
  },

  methods: {
    async loadLocal(this: LocalThis): Promise<LocalFile> {
      const file = quorumConfig(this.broker).trainerData!;
      const stat = await fs.stat(file);
      const result = await ingestCsv(readFileChunks(file), { sizeHint: stat.size });
      return { file, table: result.table, profile: result.profile, mtimeMs: stat.mtimeMs };
    },

    /** The node's rows for a job: the job's encoder, global class indices, a seeded local split. */
    localRows(this: LocalThis, spec: { target: string; task: Task; classes?: string[]; encoder: EncoderSpec; seed: number; validationFraction: number }) {
      const { table, profile } = requireLocal(this);
      const target = resolveTarget(table, profile, spec.target, spec.task);
      let y = target.y;
      let rows = target.rows;
      if (spec.task === 'classification') {
        // Local class indices → the job's class list, by label.
        const index = new Map((spec.classes ?? []).map((c, i) => [c, i]));
        const map = (target.classes ?? []).map((c) => index.get(c) ?? NaN);
        y = Float32Array.from(target.y, (v) => (Number.isNaN(v) ? NaN : map[v]));
        rows = Int32Array.from(Array.from(rows).filter((r) => !Number.isNaN(y[r])));
      }
      const split = splitRows(rows, {
        method: spec.task === 'classification' ? 'stratified' : 'random',
        seed: deriveSeed(spec.seed, 1),
        validationFraction: spec.validationFraction,
        classOf: spec.task === 'classification' ? y : undefined,
      });
      const pick = (r: Int32Array) => Float32Array.from(r, (i) => y[i]);
      return {
        train: encodeTable(spec.encoder, table, split.train),
        trainY: pick(split.train),
        validation: encodeTable(spec.encoder, table, split.validation),
        validationY: pick(split.validation),
      };
    },

    async evaluateVersion(this: LocalThis, meta: VersionMeta): Promise<LocalEvaluation> {
      const split = meta.localSplit ?? { seed: DEFAULT_SEED, validationFraction: DEFAULT_VALIDATION_FRACTION };
      const rows = this.localRows({ target: meta.target, task: meta.task, classes: meta.classes, encoder: meta.encoder, ...split });
      const timeout = quorumConfig(this.broker).requestTimeoutMs;
      const ensemble = await loadEnsemble(meta, async (member) => {
        const stream = await this.broker.call<NodeJS.ReadableStream, unknown>('registry.artifact', { version: meta.id, member }, { timeout });
        return readAll(stream, { idleMs: timeout });
      }, { tfBackend: quorumConfig(this.broker).tfBackend });
      try {
        const votes = ensemble.votes(rows.validation, 'all');
        const voters = votes.filter((v) => !v.member.baseline);
        return {
          node: this.broker.nodeID,
          rows: rows.validation.rows,
          report: evaluate(meta.task, rows.validationY, ensemble.combine(voters, rows.validation.rows, meta.voting), meta.classes),
          members: votes.map((v) => ({ id: v.member.id, kind: v.member.kind, report: evaluate(meta.task, rows.validationY, v.output, meta.classes) })),
        };
      } finally {
        ensemble.dispose();
      }
    },

    /** The file changed: retrain this node's member if it changed enough, as a derived version. */
    async fileChanged(this: LocalThis) {
      const config = quorumConfig(this.broker);
      const before = this.local!;
      const next = await this.loadLocal();
      const decision = decideRetrain(before.trainedOn ?? before.table, next.table, { rowsShare: config.retrainRows, psi: config.retrainDrift });
      this.local = { ...next, trainedOn: before.trainedOn };
      this.logger.info(`local data ${path.basename(next.file)} changed: ${decision.reason}`);
      if (!decision.retrain) return;
      const versions = await this.broker.call<{ id: string; active: boolean; members: { id: string; node?: string }[] }[]>('registry.list');
      const mine = versions.filter((v) => v.active && v.members.some((m) => m.node === this.broker.nodeID));
      for (const summary of mine) {
        const from = await this.broker.call<VersionMeta, unknown>('registry.get', { version: summary.id });
        const member = from.members.find((m) => m.node === this.broker.nodeID && m.local);
        if (!member || from.mode !== 'local') continue;
        const derived = await this.broker.call<VersionMeta, unknown>('registry.derive', { from: from.id, without: [member.id], node: this.broker.nodeID, reason: decision.reason });
        try {
          const split = from.localSplit ?? { seed: DEFAULT_SEED, validationFraction: DEFAULT_VALIDATION_FRACTION };
          await this.runFit({ job: `retrain-${derived.id}`, version: derived.id, member: member.id, shard: member.shard, kind: member.kind, params: member.params, seed: split.seed, task: from.task, classes: from.classes }, async () => {
            const rows = this.localRows({ target: from.target, task: from.task, classes: from.classes, encoder: from.encoder, ...split });
            const dense = member.input === 'dense' ? fitDense(rows.train, featureInfo(from.encoder), { seed: split.seed }) : undefined;
            const train = dense ? applyDense(dense, rows.train) : rows.train;
            this.local!.trainedOn = this.local!.table;
            return {
              train: { x: train.data, rows: train.rows, cols: train.cols, y: rows.trainY },
              features: dense ? dense.names.map((name) => ({ name, kind: 'numeric' as const })) : featureInfo(from.encoder),
              member: { local: true, ...(dense ? { dense } : {}) },
            };
          });
          // Evaluated on this node's own rows only: the other nodes' data never comes here.
          const evaluation = await this.evaluateVersion(await this.broker.call<VersionMeta, unknown>('registry.get', { version: derived.id }));
          const completion = await this.broker.call<{ activated: boolean; reason: string }, unknown>('registry.complete', {
            version: derived.id,
            report: evaluation.report,
            members: evaluation.members.map((m) => ({ id: m.id, metrics: headline(m.report), score: score(m.report) })),
            policy: config.activation === 'manual' ? 'manual' : 'always',
          });
          this.logger.info(`retrained ${member.id} into ${derived.id} (${decision.reason}); ${completion.activated ? 'active' : `not activated: ${completion.reason}`}`);
          this.broker.broadcast('member.retrained', { node: this.broker.nodeID, from: from.id, version: derived.id, member: member.id, reason: decision.reason, activated: completion.activated });
        } catch (err) {
          this.logger.error(`retraining ${member.id} of ${from.id} failed: ${(err as Error).message}`);
          await this.broker.call('registry.discard', { version: derived.id }).catch(() => undefined);
        }
      }
    },
  },

  async started(this: LocalThis) {
    const file = quorumConfig(this.broker).trainerData;
    if (!file) return;
    this.local = await this.loadLocal();
    this.logger.info(`local data: ${path.basename(file)}, ${this.local.table.nRows} rows × ${this.local.table.columns.length} columns (stays on this node)`);
    watchFile(file, { interval: 1000 }, (curr, prev) => {
      if (curr.mtimeMs === prev.mtimeMs || curr.size === 0) return;
      // One retraining at a time; a change during one is picked up by the next event.
      this.retraining = (this.retraining ?? Promise.resolve()).then(() => this.fileChanged()).catch((err: Error) => {
        this.logger.error(`local data reload failed: ${err.message}`);
      });
    });
  },

  stopped(this: LocalThis) {
    const file = quorumConfig(this.broker).trainerData;
    if (file) unwatchFile(file);
  },
} as unknown as Partial<ServiceSchema>;
