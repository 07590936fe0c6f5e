import type { ShardingStrategy } from './strategy';

/** Consecutive runs of rows (by time column when the job has one): time order is kept in each shard. */
export const contiguousSharding: ShardingStrategy = {
  name: 'contiguous',
  description: 'consecutive rows (time order kept)',
  assign(rows, count, { timeOf }) {
    const ordered = Array.from(rows);
    if (timeOf) ordered.sort((a, b) => (timeOf[a] - timeOf[b]) || a - b);
    const groups: Int32Array[] = [];
    for (let s = 0; s < count; s++) {
      const from = Math.floor((s * ordered.length) / count);
      const to = Math.floor(((s + 1) * ordered.length) / count);
      groups.push(Int32Array.from(ordered.slice(from, to)));
    }
    return groups;
  },
};
