/**
 * Node-local data for trainers (`TRAINER_DATA=path/to/file.csv`): the file is read by this node
 * only; the coordinator learns its schema ({@link LocalData.profile}), asks for a member trained on
 * it ({@link LocalData.fit}) and for every member's evaluation on the node's own validation rows
 * ({@link LocalData.evaluate}). Only models travel.
 *
 * When the file changes enough (rows added, or a numeric column drifting), the node retrains its
 * member and publishes a new version derived from the one it served, while it and the inference
 * service keep answering with the previous one.
 */
import { promises as fs, unwatchFile, watchFile } from 'node:fs';
import path from 'node:path';
import { readFileChunks } from '../data/csv/source';
import { encodeTable, featureInfo, type EncoderSpec } from '../data/encode';
import { ingestCsv } from '../data/ingest';
import { applyDense, denseFeatures, fitDense } from '../data/preprocess';
import { splitRows } from '../data/split';
import type { ColumnProfile, Table } from '../data/table';
import { resolveTarget } from '../data/target';
import { loadEnsemble } from '../inference/ensemble';
import { decideRetrain } from '../node-data/drift';
import { describeTable, type LocalSchema } from '../node-data/schema';
import { evaluate, headline, score } from '../metrics';
import { modelKindInfo } from '../models/kinds';
import type { Task } from '../models/model';
import type { VersionMeta } from '../registry/version';
import { DEFAULT_SEED, DEFAULT_VALIDATION_FRACTION } from '../jobs/request';
import { deriveSeed } from '../util/random';
import type { FitReply, FitSpec, LocalEvaluation, LocalFitParams } from './fit-contract';
import type { FitData } from './fit-runner';

interface LocalFile {
  table: Table;
  profile: ColumnProfile[];
  mtimeMs: number;
}

interface RowsSpec {
  target: string;
  task: Task;
  classes?: string[];
  encoder: EncoderSpec;
  seed: number;
  validationFraction: number;
}

/** The registry as local data needs it. */
export interface LocalRegistry {
  list(): Promise<{ id: string; active: boolean; members: { id: string; node?: string }[] }[]>;
  get(version: string): Promise<VersionMeta>;
  derive(request: { from: string; without: string[]; node: string; reason: string }): Promise<VersionMeta>;
  complete(request: { version: string; report: unknown; members: unknown[]; policy: 'manual' | 'always' }): Promise<{ activated: boolean; reason: string }>;
  discard(version: string): Promise<void>;
  artifact(version: string, member: string): Promise<Uint8Array>;
}

export interface LocalDataPorts {
  nodeID: string;
  file: string;
  tfBackend: string;
  /** Retraining thresholds: share of new rows, population stability index of a numeric column. */
  retrain: { rowsShare: number; psi: number; policy: 'manual' | 'always' };
  registry: LocalRegistry;
  runFit(spec: FitSpec, load: () => Promise<FitData>): Promise<FitReply>;
  /** A member was retrained into a derived version (`member.retrained`). */
  retrained(event: Record<string, unknown>): void;
  log: { info(m: string): void; error(m: string): void };
}

async function readLocal(file: string): Promise<LocalFile> {
  const stat = await fs.stat(file);
  const result = await ingestCsv(readFileChunks(file), { sizeHint: stat.size });
  return { table: result.table, profile: result.profile, mtimeMs: stat.mtimeMs };
}

export class LocalData {
  /** The table the node's current member was trained on (drift is measured against it). */
  private trainedOn?: Table;
  private retraining: Promise<void> = Promise.resolve();

  private constructor(
    private local: LocalFile,
    private readonly ports: LocalDataPorts,
  ) {}

  static async open(ports: LocalDataPorts): Promise<LocalData> {
    return new LocalData(await readLocal(ports.file), ports);
  }

  /** File name and size (never its path or rows). */
  summary(): { file: string; rows: number; columns: number } {
    return { file: path.basename(this.ports.file), rows: this.local.table.nRows, columns: this.local.table.columns.length };
  }

  /** The file described (columns, types, categories, target): never a row. */
  profile(target?: string, task?: Task): LocalSchema {
    return describeTable(this.ports.nodeID, path.basename(this.ports.file), this.local.table, this.local.profile, target, task);
  }

  /** Fits a member on this node's own training rows with the job's common encoder. */
  fit(p: LocalFitParams): Promise<FitReply> {
    const table = this.local.table;
    return this.ports.runFit({ ...p, params: p.params ?? {} }, async () => {
      const data = this.fitData(p, modelKindInfo(p.kind).input === 'dense', true);
      this.trainedOn = table;
      return data;
    });
  }

  /** Every member of a version (and the ensemble) on this node's own validation rows. */
  async evaluate(meta: VersionMeta): Promise<LocalEvaluation> {
    const split = meta.localSplit ?? { seed: DEFAULT_SEED, validationFraction: DEFAULT_VALIDATION_FRACTION };
    const rows = this.rows({ target: meta.target, task: meta.task, classes: meta.classes, encoder: meta.encoder, ...split });
    const ensemble = await loadEnsemble(meta, (member) => this.ports.registry.artifact(meta.id, member), { tfBackend: this.ports.tfBackend });
    try {
      const votes = ensemble.votes(rows.validation, 'all');
      const voters = votes.filter((v) => !v.member.baseline);
      return {
        node: this.ports.nodeID,
        rows: rows.validation.rows,
        report: evaluate(meta.task, rows.validationY, ensemble.combine(voters, rows.validation.rows, meta.voting), meta.classes),
        members: votes.map((v) => ({ id: v.member.id, kind: v.member.kind, report: evaluate(meta.task, rows.validationY, v.output, meta.classes) })),
      };
    } finally {
      ensemble.dispose();
    }
  }

  /** Follows the file: a change is read and may retrain (one retraining at a time). */
  watch(): void {
    watchFile(this.ports.file, { interval: 1000 }, (curr, prev) => {
      if (curr.mtimeMs === prev.mtimeMs || curr.size === 0) return;
      this.retraining = this.retraining.then(() => this.fileChanged()).catch((err: Error) => this.ports.log.error(`local data reload failed: ${err.message}`));
    });
  }

  unwatch(): void {
    unwatchFile(this.ports.file);
  }

  /** The node's rows for a job: the job's encoder, global class indices, a seeded local split. */
  private rows(spec: RowsSpec) {
    const { table, profile } = this.local;
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
  }

  /** A fit's data from the node's rows (a dense member gets its own transform, fitted on them). */
  private fitData(spec: RowsSpec, dense: boolean, withValidation: boolean): FitData {
    const rows = this.rows(spec);
    const transform = dense ? fitDense(rows.train, featureInfo(spec.encoder), { seed: spec.seed }) : undefined;
    const train = transform ? applyDense(transform, rows.train) : rows.train;
    const validation = transform ? applyDense(transform, rows.validation) : rows.validation;
    return {
      train: { x: train.data, rows: train.rows, cols: train.cols, y: rows.trainY },
      validation: withValidation && validation.rows ? { x: validation.data, rows: validation.rows, cols: validation.cols, y: rows.validationY } : undefined,
      features: transform ? denseFeatures(transform) : featureInfo(spec.encoder),
      member: { local: true, ...(transform ? { dense: transform } : {}) },
    };
  }

  /** The file changed: retrain this node's member if it changed enough, as a derived version. */
  private async fileChanged(): Promise<void> {
    const { registry, nodeID, log } = this.ports;
    const before = this.local;
    const next = await readLocal(this.ports.file);
    const decision = decideRetrain(this.trainedOn ?? before.table, next.table, { rowsShare: this.ports.retrain.rowsShare, psi: this.ports.retrain.psi });
    this.local = next;
    log.info(`local data ${path.basename(this.ports.file)} changed: ${decision.reason}`);
    if (!decision.retrain) return;
    const mine = (await registry.list()).filter((v) => v.active && v.members.some((m) => m.node === nodeID));
    for (const summary of mine) {
      const from = await registry.get(summary.id);
      const member = from.members.find((m) => m.node === nodeID && m.local);
      if (!member || from.mode !== 'local') continue;
      const derived = await registry.derive({ from: from.id, without: [member.id], node: nodeID, reason: decision.reason });
      try {
        const split = from.localSplit ?? { seed: DEFAULT_SEED, validationFraction: DEFAULT_VALIDATION_FRACTION };
        const spec = { target: from.target, task: from.task, classes: from.classes, encoder: from.encoder, ...split };
        await this.ports.runFit(
          {
            job: `retrain-${derived.id}`,
            version: derived.id,
            member: member.id,
            shard: member.shard,
            kind: member.kind,
            params: member.params,
            seed: split.seed,
            task: from.task,
            classes: from.classes,
          },
          async () => {
            const data = this.fitData(spec, member.input === 'dense', false);
            this.trainedOn = this.local.table;
            return data;
          },
        );
        // Evaluated on this node's own rows only: the other nodes' data never comes here.
        const evaluation = await this.evaluate(await registry.get(derived.id));
        const completion = await registry.complete({
          version: derived.id,
          report: evaluation.report,
          members: evaluation.members.map((m) => ({ id: m.id, metrics: headline(m.report), score: score(m.report) })),
          policy: this.ports.retrain.policy,
        });
        log.info(`retrained ${member.id} into ${derived.id} (${decision.reason}); ${completion.activated ? 'active' : `not activated: ${completion.reason}`}`);
        this.ports.retrained({ node: nodeID, from: from.id, version: derived.id, member: member.id, reason: decision.reason, activated: completion.activated });
      } catch (err) {
        log.error(`retraining ${member.id} of ${from.id} failed: ${(err as Error).message}`);
        await registry.discard(derived.id).catch(() => undefined);
      }
    }
  }
}
