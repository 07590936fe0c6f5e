/**
 * The trainer's ports on the broker: the registry for its fits and its local data, the
 * coordinator's blobs (shards and validation rows, fetched as checked streams).
 */
import type { Context, ServiceBroker } from 'moleculer';
import { applyDense, type DenseSpec } from '../../lib/data/preprocess';
import { decodeRowShard } from '../../lib/data/shard-codec';
import { QUORUM_METRICS } from '../../lib/ops/metrics';
import type { VersionMeta } from '../../lib/registry/version';
import type { FitRunnerPorts } from '../../lib/trainer/fit-runner';
import type { LocalRegistry } from '../../lib/trainer/local-data';
import type { TrainerModels } from '../../lib/trainer/member-cache';
import type { BlobRef } from '../../lib/jobs/job';
import type { SharedSet } from '../../lib/workers/protocol';
import { nodesWith, readArtifact, readReply, storeMember } from './cluster';
import { quorumConfig } from './config';

export function fitRunnerPorts(broker: ServiceBroker, models: TrainerModels, changed: () => void): FitRunnerPorts {
  return {
    nodeID: broker.nodeID,
    progress: (spec, p) => void broker.emit('shard.progress', { job: spec.job, member: spec.member, node: broker.nodeID, ...p }),
    store: (version, member, artifact) => storeMember(broker, version, member, artifact),
    keep: (version, member, artifact) => models.keep(version, member, artifact),
    changed,
    fitted: (kind, seconds) => {
      if (broker.metrics.isEnabled()) broker.metrics.observe(QUORUM_METRICS.fitSeconds.name, seconds, { kind });
    },
    warn: (message) => broker.logger.warn(message),
  };
}

export function localRegistry(broker: ServiceBroker): LocalRegistry {
  const timeout = quorumConfig(broker).requestTimeoutMs;
  return {
    list: () => broker.call('registry.list'),
    get: (version) => broker.call<VersionMeta, unknown>('registry.get', { version }),
    derive: (request) => broker.call<VersionMeta, unknown>('registry.derive', request),
    complete: (request) => broker.call('registry.complete', request),
    discard: async (version) => void (await broker.call('registry.discard', { version })),
    artifact: (version, member) => readArtifact(broker, version, member, timeout),
  };
}

/**
 * Waits (up to the request timeout) until `nodeID` is known to run `service`: a coordinator that
 * just restarted may ask for a fit before this node has heard of its services.
 */
export async function nodeServes(broker: ServiceBroker, nodeID: string, service: string): Promise<void> {
  const deadline = Date.now() + quorumConfig(broker).requestTimeoutMs;
  while (!nodesWith(broker, service).includes(nodeID) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

/** A blob of a coordinator, read whole and checked against its size and checksum. */
export async function fetchBlob(ctx: Context, ref: BlobRef & { nodeID: string }): Promise<Buffer> {
  const broker = ctx.broker;
  const timeout = quorumConfig(broker).requestTimeoutMs;
  await nodeServes(broker, ref.nodeID, 'coordinator');
  const stream = await ctx.call<NodeJS.ReadableStream, { id: string }>('coordinator.blob', { id: ref.id }, { nodeID: ref.nodeID, timeout });
  const bytes = await readReply(broker, ref.nodeID, stream, { size: ref.size, sha256: ref.sha256, idleMs: timeout });
  if (broker.metrics.isEnabled()) broker.metrics.increment(QUORUM_METRICS.shardBytes.name, undefined, bytes.byteLength);
  return bytes;
}

/** A shard (or validation rows) as a fit's input, through the job's dense transform if the kind needs one. */
export async function fetchSet(ctx: Context, ref: BlobRef & { nodeID: string }, dense?: DenseSpec): Promise<{ set: SharedSet; seconds: number }> {
  const started = process.hrtime.bigint();
  const bytes = await fetchBlob(ctx, ref);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const shard = decodeRowShard(bytes);
  const x = dense ? applyDense(dense, shard.x) : shard.x;
  return { set: { x: x.data, rows: x.rows, cols: x.cols, y: shard.y }, seconds };
}

/** A member artifact from the registry (the start weights of an averaging round). */
export async function fetchArtifact(ctx: Context, version: string, member: string): Promise<Uint8Array> {
  const bytes = await readArtifact(ctx.broker, version, member, quorumConfig(ctx.broker).requestTimeoutMs);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
