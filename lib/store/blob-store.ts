/**
 * Content that is too big for a message (shards, validation sets, model artifacts) lives in a blob
 * store and travels as a stream; messages carry the blob id, size and SHA-256.
 *
 * The filesystem store keeps blobs under one root directory. Ids are relative paths of safe
 * segments (letters, digits, `.`, `_`, `-`), so no id can leave the root.
 */
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { QuorumError } from '../errors';
import { writeFileAtomic } from './atomic';
import { sha256 } from './streams';

export interface BlobInfo {
  id: string;
  size: number;
  sha256: string;
}

const SAFE_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

export function checkBlobId(id: string): string {
  if (typeof id !== 'string' || !SAFE_ID.test(id) || id.split('/').some((s) => s === '.' || s === '..')) {
    throw new QuorumError('BAD_REQUEST', `invalid blob id '${id}': use letters, digits, '.', '_', '-' and '/' between segments`);
  }
  return id;
}

export class FsBlobStore {
  constructor(readonly root: string) {}

  private file(id: string): string {
    return path.join(this.root, checkBlobId(id));
  }

  async put(id: string, data: Uint8Array): Promise<BlobInfo> {
    await writeFileAtomic(this.file(id), data);
    return { id, size: data.length, sha256: sha256(data) };
  }

  async read(id: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.file(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new QuorumError('BLOB_NOT_FOUND', `blob '${id}' not found`, { id });
      throw err;
    }
  }

  async stream(id: string): Promise<Readable> {
    const file = this.file(id);
    await this.size(id);
    return createReadStream(file, { highWaterMark: 256 * 1024 });
  }

  async size(id: string): Promise<number> {
    try {
      return (await fs.stat(this.file(id))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new QuorumError('BLOB_NOT_FOUND', `blob '${id}' not found`, { id });
      throw err;
    }
  }

  async has(id: string): Promise<boolean> {
    return fs.stat(this.file(id)).then(
      () => true,
      () => false,
    );
  }

  /** Removes a blob, or a whole prefix directory (e.g. every shard of a job). */
  async remove(idOrPrefix: string): Promise<void> {
    await fs.rm(this.file(idOrPrefix), { recursive: true, force: true });
  }
}
