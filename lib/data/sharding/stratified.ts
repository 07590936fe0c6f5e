import { QuorumError } from '../../errors';
import { Rng } from '../../util/random';
import type { ShardingStrategy } from './strategy';

/**
 * Every shard keeps the class mix: each class is shuffled and dealt across the shards in turn,
 * continuing where the previous class stopped so shard sizes stay even. A class with fewer rows
 * than shards cannot reach every shard; the job reports it.
 */
export const stratifiedSharding: ShardingStrategy = {
  name: 'stratified',
  description: 'every shard keeps the class mix (classification)',
  assign(rows, count, { seed, classOf }) {
    if (!classOf) throw new QuorumError('UNKNOWN_STRATEGY', "sharding 'stratified' needs a classification target: use 'random' for regression");
    const rng = new Rng(seed);
    const byClass = new Map<number, number[]>();
    for (const r of rows) {
      const k = classOf[r];
      if (!byClass.has(k)) byClass.set(k, []);
      byClass.get(k)!.push(r);
    }
    const groups: number[][] = Array.from({ length: count }, () => []);
    let next = 0;
    for (const k of [...byClass.keys()].sort((a, b) => a - b)) {
      for (const r of rng.shuffle(byClass.get(k)!)) {
        groups[next].push(r);
        next = (next + 1) % count;
      }
    }
    return groups.map((g) => Int32Array.from(g).sort());
  },
};
