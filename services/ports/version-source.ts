/** The registry as inference reads it ({@link VersionSource}). */
import type { ServiceBroker } from 'moleculer';
import type { VersionSource } from '../../lib/inference/model-cache';
import type { VersionMeta } from '../../lib/registry/version';
import { readAll } from '../../lib/store/streams';
import { quorumConfig } from './config';

export function versionSource(broker: ServiceBroker): VersionSource {
  const timeout = () => quorumConfig(broker).requestTimeoutMs;
  return {
    meta: (id) => broker.call<VersionMeta, { version: string }>('registry.get', { version: id }),
    artifact: async (id, member, expected) => {
      const stream = await broker.call<NodeJS.ReadableStream, { version: string; member: string }>('registry.artifact', { version: id, member }, { timeout: timeout() });
      return readAll(stream, { size: expected?.size, sha256: expected?.sha256, idleMs: timeout() });
    },
    active: () => broker.call<Record<string, string>>('registry.active'),
  };
}
