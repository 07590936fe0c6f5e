import path from 'node:path';
import type { ServiceBroker } from 'moleculer';
import { TrainerModels, type MemberSource } from '../../lib/trainer/member-cache';
import type { VersionMeta } from '../../lib/registry/version';
import { readAll } from '../../lib/store/streams';

/** The registry as a {@link MemberSource}, and the store for `broker`'s node (none when the registry runs here). */
export function trainerModels(broker: ServiceBroker, config: { stateDir: string; services: readonly string[]; tfBackend: string }): TrainerModels {
  const source: MemberSource = {
    meta: (version) => broker.call<VersionMeta, { version: string }>('registry.get', { version }),
    artifact: async (version, member) =>
      readAll(await broker.call<NodeJS.ReadableStream, { version: string; member: string }>('registry.artifact', { version, member }, { timeout: 0 })),
  };
  const dir = config.services.includes('registry') ? null : path.join(config.stateDir, 'trainer', 'members');
  return new TrainerModels(dir, source, { nodeID: broker.nodeID, tfBackend: config.tfBackend });
}
