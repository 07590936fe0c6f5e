/**
 * Data-parallel trees (issue 13, forest first): one exact model trained over all shards by
 * summing histograms. `fitLocal` runs the whole protocol in this process (tests, benchmarks).
 */
import type { ForestModel } from '../../models/forest/model';
import type { ForestParams } from '../../models/forest/params';
import type { TrainingSet } from '../../models/model';
import { fitForestDataParallel, type DriverCost, type DriverOptions } from './driver';
import { BytesPort, LocalPort, type ShardPort } from './port';
import { ShardSession } from './session';
import { decodeShard, encodeShard, prepareShards } from './shard';

export { fitForestDataParallel, type DriverCost, type DriverOptions } from './driver';
export { BytesPort, LocalPort, type ShardPort } from './port';
export { ShardSession, type NodeRef, type SplitOrder, type ApplyRequest, type NodeRows } from './session';
export { prepareShards, encodeShard, decodeShard, chunkBytes, joinChunks, rowWeight, MAX_MESSAGE, type BinnedShard, type ShardConfig } from './shard';

export interface LocalFitOptions extends DriverOptions {
  /** Shard of each training row (default: contiguous ranges). */
  assignment?: Int32Array;
  /** Send every shard, request and reply through bytes (proves the wire format). */
  bytes?: boolean;
  /** Called with the sessions before they are closed (memory accounting in tests). */
  onSessions?: (sessions: ShardSession[]) => void;
}

export async function fitLocal(data: TrainingSet, p: ForestParams, seed: number, nShards: number, opts: LocalFitOptions = {}): Promise<{ model: ForestModel; cost: DriverCost; sessions: ShardSession[] }> {
  const prepared = prepareShards(data, p.maxBins, seed, nShards, p.bootstrap, opts.assignment);
  const sessions = prepared.shards.map((s) => new ShardSession(opts.bytes ? decodeShard(encodeShard(s)) : s));
  const ports: ShardPort[] = sessions.map((s) => (opts.bytes ? new BytesPort(s) : new LocalPort(s)));
  try {
    const { model, cost } = await fitForestDataParallel(ports, { config: prepared.config, bins: prepared.bins, features: data.features, classes: data.classes }, p, opts);
    opts.onSessions?.(sessions);
    return { model, cost, sessions };
  } finally {
    await Promise.all(ports.map((port) => port.close()));
  }
}
export { SessionHost, HostPort, type HostRequest, type HostReply, type SessionStatus } from './host';
