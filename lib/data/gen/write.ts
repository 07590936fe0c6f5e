/**
 * Writes a synthetic CSV to a file, streamed (one chunk in memory at a time, with backpressure),
 * optionally gzip-compressed. Used by `bin/gen-data.ts` and the ingest benchmark.
 */
import { createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { syntheticCsv, type SyntheticOptions } from './synthetic';

export interface WriteSyntheticOptions {
  gzip?: boolean;
  /** Called after each chunk with the rows written so far. */
  onProgress?: (rows: number, bytes: number) => void;
}

/**
 * Generates the CSV described by `options` into `file` (parent directories created). Written to a
 * temporary name and renamed at the end, so an interrupted run never leaves a truncated file that
 * looks complete. Returns the bytes written (compressed size with gzip).
 */
export async function writeSyntheticCsv(file: string, options: SyntheticOptions, write: WriteSyntheticOptions = {}): Promise<number> {
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.partial-${process.pid}`;
  let textBytes = 0;
  const chunks = syntheticCsv(options, 1 << 20, (rows) => write.onProgress?.(rows, textBytes));
  const counted = (function* () {
    for (const c of chunks) {
      textBytes += c.length;
      yield c;
    }
  })();
  const source = Readable.from(counted, { objectMode: false });
  try {
    if (write.gzip) await pipeline(source, createGzip({ level: 6 }), createWriteStream(tmp));
    else await pipeline(source, createWriteStream(tmp));
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  return (await fs.stat(file)).size;
}
