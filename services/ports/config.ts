import type { ServiceBroker } from 'moleculer';
import { parseConfig, type QuorumConfig } from '../../lib/config';

/** The validated configuration this broker was started with (see moleculer.config.ts). */
export function quorumConfig(broker: ServiceBroker): Readonly<QuorumConfig> {
  const options = broker.options as { quorum?: Readonly<QuorumConfig> };
  if (!options.quorum) options.quorum = parseConfig({});
  return options.quorum;
}
