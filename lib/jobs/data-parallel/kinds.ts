/**
 * The tree kinds that train in mode `data-parallel`, each a plug-in resolved by name: what the
 * request check, the coordinator's preparation, a trainer's session host and the mode's driver
 * ask of a kind, in one place — so none of them tests which kind it has.
 *
 * - `forest`: a port per shard (driver/ports.ts, the cluster's RemoteShard); the coordinator sums
 *   the histograms and finishes small nodes from their rows (driver/forest.ts).
 * - `gbm`: one link to the trainers, which reduce the histograms among themselves by feature blocks
 *   and answer each node's best split (driver/boost.ts, session/reduce.ts).
 */
import { QuorumError } from '../../errors';
import type { ForestModel } from '../../models/forest/model';
import type { ForestParams } from '../../models/forest/params';
import type { GbmModel } from '../../models/gbm/model';
import type { GbmParams } from '../../models/gbm/params';
import type { FeatureInfo, Matrix, TrainingSet } from '../../models/model';
import type { Bins } from '../../models/trees/binning';
import type { RemoteShard, RemoteShardEvents, TrainingCluster } from '../cluster';
import type { BlobRef } from '../job';
import { prepareBoostShards } from './boost-prepare';
import { fitGbmDataParallel, type BoostCheckpoint } from './driver/boost';
import type { DriverCost } from './driver/cost';
import { fitForestDataParallel, type ForestCheckpoint } from './driver/forest';
import { checkDataParallelParams, checkGbmDataParallelParams } from './params';
import { BoostSession } from './session/boost';
import { ShardSession } from './session/forest';
import { binShards, type BinnedShard, type BinnedShards, type ShardConfig } from './shard';
import type { HostRequest } from './wire';

/** A shard's session on a trainer, of either kind: what its host keeps, asks and frees. */
export interface DataParallelSession {
  readonly openTrees: number;
  readonly computeMs: number;
  memoryBytes(): number;
  close(): void;
  /** The answer to a request for one session (typed arrays), or null when this kind has no such request. */
  answer(msg: HostRequest): Array<Float64Array | Int32Array | Uint8Array> | null;
}

/** What the mode gives a kind's driver for one job. */
export interface DriverContext {
  job: string;
  shards: Array<{ index: number; blob: BlobRef }>;
  /** Trainers online at the start (shard i first on trainer i mod their number). */
  trainers: string[];
  cluster: Pick<TrainingCluster, 'openShard' | 'boostLink'>;
  events: RemoteShardEvents;
  input: { config: ShardConfig; bins: Bins; features: FeatureInfo[]; classes?: string[] };
  params: unknown;
  /** The job's validation rows, when the job kept some (read on demand). */
  validation(): Promise<{ x: Matrix; y: Float32Array } | null>;
  checkpoints: { read<T>(): Promise<T | null>; save(state: unknown): Promise<void> };
  isCancelled(): boolean;
  progress(fraction: number, message: string): void;
  warn(message: string): void;
  /** The learning curve (one point per round, kinds that have rounds). */
  curve: Record<string, number>[];
}

export interface DataParallelKind {
  readonly name: string;
  /** Parameters this mode does not support, refused with a 400 before the job is accepted. */
  checkParams(params: unknown): void;
  /** The coordinator's preparation: bins fitted once on all training rows, one binned shard per group. */
  prepare(data: TrainingSet, params: unknown, seed: number, groups: number, assignment: Int32Array): BinnedShards;
  /** A trainer's session for one of the job's shards. */
  openSession(shard: BinnedShard): DataParallelSession;
  /** Whether its sessions answer the trainers' reduce-scatter steps (session/host.ts 'step'). */
  readonly reduceSteps: boolean;
  /** Grows the model over the cluster's trainers; the trainers that held sessions at the end. */
  fit(ctx: DriverContext): Promise<{ model: ForestModel | GbmModel; cost: DriverCost; trainers: string[] }>;
}

const forest: DataParallelKind = {
  name: 'forest',
  checkParams: (params) => checkDataParallelParams(params as ForestParams),
  prepare: (data, params, seed, groups, assignment) => {
    const p = params as ForestParams;
    return binShards(data, p.maxBins, seed, groups, p.bootstrap, assignment);
  },
  openSession: (shard) => new ShardSession(shard),
  reduceSteps: false,
  async fit(ctx) {
    const p = ctx.params as ForestParams;
    const ports: RemoteShard[] = ctx.shards.map((s, i) => ctx.cluster.openShard(ctx.job, s.index, s.blob, ctx.trainers[i % ctx.trainers.length], ctx.events));
    try {
      const resume = await ctx.checkpoints.read<ForestCheckpoint>();
      if (resume) ctx.warn(`data-parallel forest resumed from its checkpoint after ${resume.trees} of ${p.nEstimators} trees`);
      const { model, cost } = await fitForestDataParallel(ports, ctx.input, p, {
        isCancelled: ctx.isCancelled,
        resume,
        checkpoint: ctx.checkpoints.save,
        onProgress: (done, total) => ctx.progress(done / total, `${done} of ${total} trees`),
      });
      return { model, cost, trainers: [...new Set(ports.map((port) => port.nodeID).filter((n): n is string => !!n))].sort() };
    } finally {
      await Promise.all(ports.map((port) => port.close()));
    }
  },
};

const gbm: DataParallelKind = {
  name: 'gbm',
  checkParams: (params) => checkGbmDataParallelParams(params as GbmParams),
  prepare: (data, params, seed, groups, assignment) => {
    const p = params as GbmParams;
    return prepareBoostShards(data, p, p.seed ?? seed, groups, assignment);
  },
  openSession: (shard) => new BoostSession(shard),
  reduceSteps: true,
  async fit(ctx) {
    const p = ctx.params as GbmParams;
    const total = p.nEstimators;
    const link = ctx.cluster.boostLink(ctx.job, ctx.shards, ctx.trainers, ctx.input.config.nBins, ctx.events);
    try {
      const validation = await ctx.validation();
      const resume = await ctx.checkpoints.read<BoostCheckpoint>();
      const point = (epoch: number, loss: number, valLoss: number | null) => ctx.curve.push({ epoch, loss, ...(valLoss !== null ? { valLoss } : {}) });
      if (resume) {
        for (let r = 1; r < resume.trainLosses.length; r++) point(r, resume.trainLosses[r], resume.validLosses[r - 1]);
        ctx.warn(`data-parallel gbm resumed from its checkpoint after round ${resume.round} of ${total}`);
      }
      const { model, cost } = await fitGbmDataParallel(link, { ...ctx.input, validation }, p, {
        isCancelled: ctx.isCancelled,
        resume,
        checkpoint: ctx.checkpoints.save,
        onRound: (round, _total, trainLoss, validLoss) => {
          point(round, trainLoss, validLoss);
          const vl = validLoss !== null ? `, validation ${validLoss.toPrecision(4)}` : '';
          ctx.progress(round / total, `round ${round} of ${total} (loss ${trainLoss.toPrecision(4)}${vl})`);
        },
      });
      return { model, cost, trainers: link.nodes() };
    } finally {
      await link.close();
    }
  },
};

const KINDS: Record<string, DataParallelKind> = { forest, gbm };

/** The kinds mode `data-parallel` trains. */
export const DATA_PARALLEL_KINDS = Object.keys(KINDS) as readonly string[];

export function dataParallelKind(name: string): DataParallelKind {
  const kind = KINDS[name];
  if (!kind) {
    throw new QuorumError('BAD_REQUEST', `mode 'data-parallel' does not train kind '${name}': use ${DATA_PARALLEL_KINDS.map((k) => `'${k}'`).join(' or ')}`, {
      valid: [...DATA_PARALLEL_KINDS],
    });
  }
  return kind;
}

/** The kind a binned shard was prepared for (its config says whether it boosts). */
export function kindOfShard(config: ShardConfig): DataParallelKind {
  return config.boost ? gbm : forest;
}
