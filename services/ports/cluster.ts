import type { Readable } from 'node:stream';
import type { CallingOptions, ServiceBroker } from 'moleculer';
import { QuorumError } from '../../lib/errors';
import type { MemberMeta } from '../../lib/registry/version';
import { bufferStream, readAll, sha256, type ReadOptions } from '../../lib/store/streams';

/** Node ids that run `service` and are available now (dynamic discovery: no host lists). */
export function nodesWith(broker: ServiceBroker, service: string): string[] {
  const list = broker.registry.getServiceList({ onlyAvailable: true, skipInternal: true }) as { name: string; nodeID: string; available?: boolean }[];
  return [...new Set(list.filter((s) => s.name === service).map((s) => s.nodeID))];
}

const GONE = new Set(['SERVICE_NOT_AVAILABLE', 'SERVICE_NOT_FOUND', 'REQUEST_REJECTED']);

/**
 * Calls an action of a service that may be restarting (a registry process coming back): waits up
 * to `waitMs` for the service first, and, unless `params` is a stream, tries again when the node
 * went away during the call.
 */
export async function callService<T>(broker: ServiceBroker, action: string, params: unknown, options: CallingOptions = {}, waitMs = 60_000): Promise<T> {
  const service = action.slice(0, action.indexOf('.'));
  const retriable = !(params && typeof (params as NodeJS.ReadableStream).pipe === 'function');
  for (let attempt = 0; ; attempt++) {
    await broker.waitForServices(service, waitMs).catch(() => {
      throw new QuorumError(
        'SERVICE_UNAVAILABLE',
        `no '${service}' service came online within ${Math.round(waitMs / 1000)} s: start a node with SERVICES=${service}`,
      );
    });
    try {
      return await broker.call<T, unknown>(action, params, options);
    } catch (err) {
      const type = (err as { type?: string }).type ?? '';
      if (!retriable || attempt >= 3 || !GONE.has(type)) throw err;
    }
  }
}

/**
 * Stores a member's artifact in the registry, announced with its size and checksum (the registry
 * refuses bytes that do not match). The one way an artifact reaches the registry: a trainer's fit
 * and a coordinator's data-parallel model both come here.
 */
export function storeMember(broker: ServiceBroker, version: string, member: MemberMeta, artifact: Uint8Array): Promise<MemberMeta> {
  const announced: MemberMeta = { ...member, artifact: { size: artifact.length, sha256: sha256(artifact) } };
  return callService<MemberMeta>(broker, 'registry.putMember', bufferStream(artifact), { meta: { version, member: announced }, timeout: 0 });
}

/**
 * Reads a reply stream of `sender` whole. When the sender leaves the cluster mid-stream (killed,
 * or its heartbeats stopped), Moleculer rejects its pending calls but drops a response stream that
 * has begun without ending it; this ends the read at once with STREAM_STALLED instead of waiting out
 * `options.idleMs`.
 */
export async function readReply(broker: ServiceBroker, sender: string, stream: NodeJS.ReadableStream, options: ReadOptions = {}): Promise<Buffer> {
  const left = ({ node }: { node: { id: string } }): void => {
    if (node.id === sender)
      (stream as Readable).destroy(new QuorumError('STREAM_STALLED', `node ${sender} left the cluster while sending its reply`, { node: sender }));
  };
  broker.localBus.on('$node.disconnected', left);
  try {
    return await readAll(stream, options);
  } finally {
    broker.localBus.off('$node.disconnected', left);
  }
}

/** A member artifact from the registry, read whole (checked against `expected` when given). */
export async function readArtifact(
  broker: ServiceBroker,
  version: string,
  member: string,
  timeout: number,
  expected?: { size: number; sha256: string },
): Promise<Buffer> {
  const stream = await broker.call<NodeJS.ReadableStream, { version: string; member: string }>('registry.artifact', { version, member }, { timeout });
  return readAll(stream, { size: expected?.size, sha256: expected?.sha256, idleMs: timeout });
}
