/** The registry as inference reads it ({@link VersionSource}). */
import type { ServiceBroker } from 'moleculer';
import type { VersionSource } from '../../lib/inference/model-cache';
import type { VersionMeta } from '../../lib/registry/version';
import { readArtifact } from './cluster';
import { quorumConfig } from './config';

export function versionSource(broker: ServiceBroker): VersionSource {
  const timeout = () => quorumConfig(broker).requestTimeoutMs;
  return {
    meta: (id) => broker.call<VersionMeta, { version: string }>('registry.get', { version: id }),
    artifact: (id, member, expected) => readArtifact(broker, id, member, timeout(), expected),
    active: () => broker.call<Record<string, string>>('registry.active'),
  };
}
