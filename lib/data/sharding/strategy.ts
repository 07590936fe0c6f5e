/**
 * A sharding strategy assigns the training rows to shards. Strategies are pluggable by name
 * (see index.ts); every one is deterministic for a given seed.
 */
import type { Table } from '../table';

export interface ShardingContext {
  table: Table;
  seed: number;
  /** Class index per table row (classification). */
  classOf?: Float32Array;
  /** Row order for `contiguous` (e.g. a time column); table order otherwise. */
  timeOf?: Float64Array;
  /** The argument after the colon, e.g. the column of `hash:<column>`. */
  argument?: string;
}

export interface ShardingStrategy {
  readonly name: string;
  readonly description: string;
  /** Whether the strategy takes an argument after a colon. */
  readonly argument?: 'column';
  /** Splits `rows` (table row ids) into `count` groups; groups may be empty for `hash`. */
  assign(rows: Int32Array, count: number, context: ShardingContext): Int32Array[];
}

/** Deals `rows` in turn into `count` groups (sizes differ by at most one). */
export function deal(rows: ArrayLike<number>, count: number): Int32Array[] {
  const groups: number[][] = Array.from({ length: count }, () => []);
  for (let i = 0; i < rows.length; i++) groups[i % count].push(rows[i]);
  return groups.map((g) => Int32Array.from(g));
}
