import { QuorumError } from '../../errors';
import { deriveSeed } from '../../util/random';
import type { ShardingStrategy } from './strategy';

/** All rows with the same value of a column land on the same shard (e.g. one customer, one store). */
export const hashSharding: ShardingStrategy = {
  name: 'hash',
  description: "all rows of a key on one shard: 'hash:<column>'",
  argument: 'column',
  assign(rows, count, { table, argument, seed }) {
    const column = table.columns.find((c) => c.name === argument);
    if (!argument || !column) {
      throw new QuorumError('UNKNOWN_COLUMN', `sharding 'hash:${argument ?? ''}' names no column of the dataset: use 'hash:<column>' with one of ${table.columns.map((c) => c.name).join(', ')}`);
    }
    const groups: number[][] = Array.from({ length: count }, () => []);
    const salt = deriveSeed(seed, 0x5eed);
    for (const r of rows) {
      const key = column.type === 'categorical' ? column.codes[r] : Math.fround(column.values[r]);
      const bits = column.type === 'categorical' ? key : new Uint32Array(new Float32Array([key]).buffer)[0];
      groups[deriveSeed(salt, bits) % count].push(r);
    }
    return groups.map((g) => Int32Array.from(g));
  },
};
