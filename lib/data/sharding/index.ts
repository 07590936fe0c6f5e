/** Sharding strategies by name: `random` (default), `stratified`, `contiguous`, `hash:<column>`. */
import { QuorumError, listNames } from '../../errors';
import { contiguousSharding } from './contiguous';
import { hashSharding } from './hash';
import { randomSharding } from './random';
import type { ShardingStrategy } from './strategy';
import { stratifiedSharding } from './stratified';

export type { ShardingContext, ShardingStrategy } from './strategy';

const STRATEGIES = new Map<string, ShardingStrategy>(
  [randomSharding, stratifiedSharding, contiguousSharding, hashSharding].map((s) => [s.name, s]),
);

export function shardingNames(): string[] {
  return [...STRATEGIES.values()].map((s) => (s.argument ? `${s.name}:<${s.argument}>` : s.name));
}

/** Parses 'name' or 'name:argument' into the strategy and its argument. */
export function resolveSharding(spec: string): { strategy: ShardingStrategy; argument?: string } {
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const argument = colon < 0 ? undefined : spec.slice(colon + 1);
  const strategy = STRATEGIES.get(name);
  if (!strategy || (strategy.argument && !argument) || (!strategy.argument && argument !== undefined)) {
    throw new QuorumError('UNKNOWN_STRATEGY', `unknown sharding '${spec}': use ${listNames(shardingNames())}`, { valid: shardingNames() });
  }
  return { strategy, argument };
}
