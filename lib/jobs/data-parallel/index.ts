/**
 * Data-parallel trees, forest and gbm: one exact model trained over all shards by summing
 * histograms. `fitInProcess` / `fitGbmInProcess` run the whole protocol in this process, every shard
 * a session behind an in-process port (tests, benchmarks).
 */
import type { ForestModel } from '../../models/forest/model';
import type { ForestParams } from '../../models/forest/params';
import type { GbmModel } from '../../models/gbm/model';
import type { GbmParams } from '../../models/gbm/params';
import type { Matrix, TrainingSet } from '../../models/model';
import { prepareBoostShards } from './boost-prepare';
import { fitGbmDataParallel, type BoostOptions } from './driver/boost';
import type { DriverCost } from './driver/cost';
import { fitForestDataParallel, type DriverOptions } from './driver/forest';
import { LocalBoostLink } from './driver/local-link';
import { BytesPort, InProcessPort, type ShardPort } from './driver/ports';
import { ShardSession } from './session/forest';
import type { SessionHost } from './session/host';
import { decodeBinnedShard, encodeBinnedShard, binShards } from './shard';

// The shards (both kinds), the coordinator's preparation.
export { binShards, encodeBinnedShard, decodeBinnedShard, rowWeight, type BinnedShard, type ShardConfig } from './shard';
export { boostConfig, prepareBoostShards } from './boost-prepare';
// The wire: limits, chunks, packing, every request and reply.
export { chunkBytes, joinChunks, packArrays, unpackArrays, float64s, featureBlocks, MAX_MESSAGE } from './wire';
export type {
  NodeRef,
  SplitOrder,
  ApplyRequest,
  NodeRows,
  HostRequest,
  HostReply,
  SessionStatus,
  GroupStep,
  ReducePlan,
  BoostTree,
  RoundRequest,
  LevelRequest,
} from './wire';
// The driver side (the coordinator).
export { type DriverCost, emptyCost } from './driver/cost';
export { fitForestDataParallel, type DriverOptions, type ForestCheckpoint } from './driver/forest';
export {
  fitGbmDataParallel,
  addHead,
  type BoostLink,
  type BoostInput,
  type BoostOptions,
  type BoostCheckpoint,
  type StepVariants,
  type StepResult,
} from './driver/boost';
export { BytesPort, InProcessPort, type ShardPort } from './driver/ports';
export { HostPort } from './driver/host-port';
export { LocalBoostLink } from './driver/local-link';
export { ReplayLog } from './driver/replay';
// The session side (a trainer).
export { SessionHost } from './session/host';
export { ShardSession } from './session/forest';
export { BoostSession, type BoostConfig } from './session/boost';

export interface InProcessFitOptions extends DriverOptions {
  /** Shard of each training row (default: contiguous ranges). */
  assignment?: Int32Array;
  /** Send every shard, request and reply through bytes (proves the wire format). */
  bytes?: boolean;
  /** Called with the sessions before they are closed (memory accounting in tests). */
  onSessions?: (sessions: ShardSession[]) => void;
}

export async function fitInProcess(
  data: TrainingSet,
  p: ForestParams,
  seed: number,
  nShards: number,
  opts: InProcessFitOptions = {},
): Promise<{ model: ForestModel; cost: DriverCost; sessions: ShardSession[] }> {
  const prepared = binShards(data, p.maxBins, seed, nShards, p.bootstrap, opts.assignment);
  const sessions = prepared.shards.map((s) => new ShardSession(opts.bytes ? decodeBinnedShard(encodeBinnedShard(s)) : s));
  const ports: ShardPort[] = sessions.map((s) => (opts.bytes ? new BytesPort(s) : new InProcessPort(s)));
  try {
    const { model, cost } = await fitForestDataParallel(
      ports,
      { config: prepared.config, bins: prepared.bins, features: data.features, classes: data.classes },
      p,
      opts,
    );
    opts.onSessions?.(sessions);
    return { model, cost, sessions };
  } finally {
    await Promise.all(ports.map((port) => port.close()));
  }
}
export interface GbmLocalOptions extends BoostOptions {
  assignment?: Int32Array;
  validation?: { x: Matrix; y: Float32Array } | null;
  /** Trainers (session hosts) the shards are spread over (shard i on trainer i mod trainers; default 1). */
  trainers?: number;
  /** Kill a trainer in the middle of a step (LocalLinkOptions.failAt). */
  failAt?: { step: number; trainer: number };
  /** Called with the hosts before their sessions are closed (status, memory). */
  onHosts?: (hosts: SessionHost[]) => void;
}

/**
 * A data-parallel gbm fit in this process: the shards on `trainers` session hosts reached through a
 * {@link LocalBoostLink}, so each request, reply and block between hosts goes through the wire
 * format a trainer speaks.
 */
export async function fitGbmInProcess(
  data: TrainingSet,
  p: GbmParams,
  seed: number,
  nShards: number,
  opts: GbmLocalOptions = {},
): Promise<{ model: GbmModel; cost: DriverCost }> {
  const prepared = prepareBoostShards(data, p, seed, nShards, opts.assignment);
  const link = new LocalBoostLink(prepared.shards, { trainers: opts.trainers, failAt: opts.failAt });
  try {
    const out = await fitGbmDataParallel(
      link,
      { config: prepared.config, bins: prepared.bins, features: data.features, classes: data.classes, validation: opts.validation },
      p,
      opts,
    );
    opts.onHosts?.(link.hosts);
    return out;
  } finally {
    await link.close();
  }
}
