import type { ServiceBroker } from 'moleculer';

/** Node ids that run `service` and are available now (dynamic discovery: no host lists). */
export function nodesWith(broker: ServiceBroker, service: string): string[] {
  const list = broker.registry.getServiceList({ onlyAvailable: true, skipInternal: true }) as { name: string; nodeID: string; available?: boolean }[];
  return [...new Set(list.filter((s) => s.name === service).map((s) => s.nodeID))];
}
