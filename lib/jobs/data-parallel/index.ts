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
import { fitGbmDataParallel, type BoostOptions } from './boost-driver';
import { prepareBoostShards } from './boost-prepare';
import { HostPort, SessionHost } from './host';
import { fitForestDataParallel, type DriverCost, type DriverOptions } from './driver';
import { BytesPort, InProcessPort, type ShardPort } from './port';
import { ShardSession } from './session';
import { decodeBinnedShard, encodeBinnedShard, binShards } from './shard';

export { fitForestDataParallel, type DriverCost, type DriverOptions, type ForestCheckpoint } from './driver';
export { BytesPort, InProcessPort, type ShardPort } from './port';
export { ShardSession, type NodeRef, type SplitOrder, type ApplyRequest, type NodeRows } from './session';
export { binShards, encodeBinnedShard, decodeBinnedShard, chunkBytes, joinChunks, rowWeight, MAX_MESSAGE, type BinnedShard, type ShardConfig } from './shard';

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
export { SessionHost, HostPort, type HostRequest, type HostReply, type SessionStatus } from './host';
export { fitGbmDataParallel, type BoostPort, type BoostInput, type BoostOptions, type BoostCheckpoint } from './boost-driver';
export { BoostSession, type BoostConfig, type BoostTree, type RoundRequest, type LevelRequest } from './boost-session';
export { boostConfig, prepareBoostShards } from './boost-prepare';

export interface GbmLocalOptions extends BoostOptions {
  assignment?: Int32Array;
  validation?: { x: Matrix; y: Float32Array } | null;
  /** Called with the host before its sessions are closed (status, memory). */
  onHost?: (host: SessionHost) => void;
}

/**
 * A data-parallel gbm fit in this process: every shard a session of one SessionHost, reached
 * through HostPorts, so each request and reply goes through the wire format a trainer speaks.
 */
export async function fitGbmInProcess(
  data: TrainingSet,
  p: GbmParams,
  seed: number,
  nShards: number,
  opts: GbmLocalOptions = {},
): Promise<{ model: GbmModel; cost: DriverCost }> {
  const prepared = prepareBoostShards(data, p, seed, nShards, opts.assignment);
  const host = new SessionHost(60_000);
  const ports = prepared.shards.map((s, i) => {
    const port = new HostPort(`local/${i}`, async (msg) => host.handle(JSON.parse(JSON.stringify(msg, (_, v) => (v instanceof Uint8Array ? undefined : v)))));
    host.handle({ op: 'open', id: port.id, shard: encodeBinnedShard(s) });
    return port;
  });
  try {
    const out = await fitGbmDataParallel(
      ports,
      { config: prepared.config, bins: prepared.bins, features: data.features, classes: data.classes, validation: opts.validation },
      p,
      opts,
    );
    opts.onHost?.(host);
    return out;
  } finally {
    await Promise.all(ports.map((port) => port.close()));
  }
}
