/** Stream helpers for the data plane (shards and artifacts move as streams, never as one message). */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { QuorumError } from '../errors';

export interface ReadOptions {
  /** Refuse more than this many bytes (PAYLOAD_TOO_LARGE). */
  maxBytes?: number;
  /** Verify the SHA-256 (hex) of what was read (CHECKSUM_MISMATCH). */
  sha256?: string;
  /** Verify the byte count. */
  size?: number;
  /**
   * Fail when no byte arrives for this long (ms). A sender that dies mid-stream and comes back
   * under the same node id is never reported gone, so a stream without this can wait forever.
   */
  idleMs?: number;
  /**
   * Expected size (e.g. a request's Content-Length): the buffer is made once at this size and each
   * chunk copied in as it arrives, so a large body never costs one long copy at the end.
   */
  sizeHint?: number;
}

/** Reads a stream to one Buffer, enforcing a size limit and an optional checksum. */
export async function readAll(stream: NodeJS.ReadableStream | AsyncIterable<Uint8Array>, options: ReadOptions = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  const hint =
    options.sizeHint !== undefined && Number.isSafeInteger(options.sizeHint) && options.sizeHint > 0
      ? Math.min(options.sizeHint, options.maxBytes ?? Infinity)
      : 0;
  let into: Buffer | null = hint > 0 ? Buffer.allocUnsafe(hint) : null;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    if (!options.idleMs) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      const err = new QuorumError(
        'STREAM_STALLED',
        `no data for ${Math.round(options.idleMs! / 1000)} s after ${total} bytes: the sender stopped or went away`,
      );
      (stream as Readable).destroy?.(err);
    }, options.idleMs);
  };
  arm();
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
      arm();
      collect(chunk);
    }
  } finally {
    clearTimeout(timer);
  }
  function collect(chunk: Uint8Array | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    total += buf.length;
    if (options.maxBytes !== undefined && total > options.maxBytes) {
      (stream as Readable).destroy?.();
      throw new QuorumError('PAYLOAD_TOO_LARGE', `more than ${options.maxBytes} bytes`, { maxBytes: options.maxBytes });
    }
    if (into && total <= into.length) {
      buf.copy(into, total - buf.length);
      return;
    }
    if (into) {
      // More than the hint: the bytes so far become one chunk, the rest are gathered as usual.
      chunks.push(into.subarray(0, total - buf.length));
      into = null;
    }
    chunks.push(buf);
  }
  const all = into ? into.subarray(0, total) : Buffer.concat(chunks, total);
  if (options.size !== undefined && all.length !== options.size) {
    throw new QuorumError('CHECKSUM_MISMATCH', `received ${all.length} bytes, expected ${options.size}`);
  }
  if (options.sha256 && sha256(all) !== options.sha256) {
    throw new QuorumError('CHECKSUM_MISMATCH', `SHA-256 of the received ${all.length} bytes does not match`);
  }
  return all;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A readable stream over a buffer, in chunks (Moleculer splits further at maxChunkSize). */
export function bufferStream(data: Uint8Array, chunkSize = 256 * 1024): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= data.length) return void this.push(null);
      const end = Math.min(offset + chunkSize, data.length);
      this.push(Buffer.from(data.buffer, data.byteOffset + offset, end - offset));
      offset = end;
    },
  });
}
