/**
 * A shard on the wire and on disk: the native feature matrix and targets of its rows in the artifact
 * container (JSON header + binary arrays, SHA-256 checked on decode).
 */
import { QuorumError } from '../errors';
import { decodeArtifact, encodeArtifact, expectArtifact } from '../core/container';
import type { Matrix } from '../core/types';

export interface ShardHeader {
  job: string;
  index: number;
  [key: string]: unknown;
}

export interface RowShard {
  header: ShardHeader;
  x: Matrix;
  y: Float32Array;
}

const FORMAT_VERSION = 1;

export function encodeRowShard(shard: RowShard): Buffer {
  return encodeArtifact({
    kind: 'shard',
    formatVersion: FORMAT_VERSION,
    header: { ...shard.header, rows: shard.x.rows, cols: shard.x.cols },
    arrays: { x: shard.x.data, y: shard.y },
  });
}

export function decodeRowShard(bytes: Uint8Array): RowShard {
  const artifact = decodeArtifact(bytes);
  expectArtifact(artifact, 'shard', FORMAT_VERSION, { x: 'f32', y: 'f32' });
  const { rows, cols } = artifact.header as { rows: number; cols: number };
  const x = artifact.arrays.x as Float32Array;
  const y = artifact.arrays.y as Float32Array;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || x.length !== rows * cols || y.length !== rows) {
    throw new QuorumError('BAD_ARTIFACT', `damaged shard: ${x.length} values and ${y.length} targets for ${rows}×${cols}`);
  }
  return { header: artifact.header as ShardHeader, x: { data: x, rows, cols }, y };
}
