/**
 * The byte source of an ingestion: a Node stream or any async iterable of byte chunks, gunzipped
 * when it starts with the gzip magic bytes, counted, and cut off at `maxBytes` of CSV text.
 *
 * Pull-based: a chunk is read only when the parser asks for the next one, so memory stays at a
 * few chunks whatever the size of the input, and closing the source (on any error) destroys the
 * underlying stream, so a bad upload stops being read at once.
 *
 * A chunk is only valid until the next one is asked for (`readFileChunks` reuses its buffers):
 * whatever the parser keeps longer, it copies.
 */
import { promises as fs } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { QuorumError } from '../../errors';
import { fmtBytes } from './messages';

/** Pieces handed to the parser are at most this long, so progress and the event loop keep moving. */
const MAX_PIECE = 1 << 20;
/** Real CSV files compress 3–20×; an all-zero bomb compresses ~1,000×. */
export const DEFAULT_MAX_RATIO = 200;
/** Text produced before the ratio is checked (small files may compress far better). */
export const RATIO_GRACE = 4 << 20;

export type ByteSource = NodeJS.ReadableStream | AsyncIterable<Uint8Array>;

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') {
    throw new QuorumError('BAD_REQUEST', 'the CSV source yielded text, not bytes: read the file without an encoding');
  }
  throw new QuorumError('BAD_REQUEST', `the CSV source yielded ${Object.prototype.toString.call(chunk)}, not bytes`);
}

function iteratorOf(source: ByteSource): AsyncIterator<unknown> {
  const s = source as Partial<AsyncIterable<unknown>> & Partial<NodeJS.ReadableStream>;
  if (s && typeof s[Symbol.asyncIterator] === 'function') return s[Symbol.asyncIterator]!();
  // an old-style stream (readable-stream v1/v2): wrap it into a modern one
  if (s && typeof s.on === 'function' && typeof s.pause === 'function') {
    return new Readable().wrap(source as NodeJS.ReadableStream)[Symbol.asyncIterator]();
  }
  throw new QuorumError('BAD_REQUEST', 'ingestCsv needs a readable stream or an async iterable of byte chunks');
}

function gzipError(err: Error): QuorumError {
  return new QuorumError(
    'BAD_ENCODING',
    `the gzip data is damaged (${err.message}); compress the CSV again, or upload it uncompressed`,
  );
}

export class ChunkSource {
  /** Bytes read from the source as given (compressed when gzip). */
  rawBytes = 0;
  /** Bytes of CSV text produced (after gunzip). */
  textBytes = 0;
  gzip = false;
  private raw: AsyncIterator<unknown>;
  private text: AsyncIterator<unknown> | null = null;
  private piece: Buffer | null = null;
  private closed = false;

  /**
   * @param maxBytes most bytes of CSV text (after gunzip), counted as they stream out of the decompressor.
   * @param maxRatio most bytes of text per compressed byte once {@link RATIO_GRACE} bytes are out: a
   *   gzip bomb (1 MB inflating to 1 GB) is refused after a few MB, before any of it is held.
   */
  constructor(source: ByteSource, private readonly maxBytes: number, private readonly maxRatio = DEFAULT_MAX_RATIO) {
    this.raw = iteratorOf(source);
  }

  private async nextRaw(): Promise<Buffer | null> {
    const r = await this.raw.next();
    if (r.done) return null;
    const buf = toBuffer(r.value);
    this.rawBytes += buf.length;
    return buf;
  }

  /** Decides plain vs gzip from the first bytes. */
  private async open(): Promise<AsyncIterator<unknown>> {
    const head: Buffer[] = [];
    let have = 0;
    while (have < 2) {
      const b = await this.nextRaw();
      if (b === null) break;
      head.push(b);
      have += b.length;
    }
    const first = Buffer.concat(head);
    this.gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
    const nextRaw = () => this.nextRaw();
    async function* rest(): AsyncGenerator<Buffer> {
      if (first.length > 0) yield first;
      for (let b = await nextRaw(); b !== null; b = await nextRaw()) yield b;
    }
    if (!this.gzip) return rest();
    const gunzip = createGunzip({ chunkSize: 64 * 1024 });
    // errors surface through the gunzip iterator below; the callback only keeps pipeline quiet
    pipeline(Readable.from(rest(), { objectMode: false }), gunzip, () => undefined);
    return gunzip[Symbol.asyncIterator]();
  }

  /** The next piece of CSV text, or null at the end. */
  async next(): Promise<Buffer | null> {
    if (this.piece !== null) return this.cut(this.piece);
    if (this.closed) return null;
    if (this.text === null) this.text = await this.open();
    let r: IteratorResult<unknown>;
    try {
      r = await this.text.next();
    } catch (err) {
      const e = err as Error & { code?: string };
      if (this.gzip && typeof e.code === 'string' && e.code.startsWith('Z_')) throw gzipError(e);
      throw err;
    }
    if (r.done) return null;
    const buf = toBuffer(r.value);
    this.textBytes += buf.length;
    if (this.textBytes > this.maxBytes) {
      throw new QuorumError(
        'PAYLOAD_TOO_LARGE',
        `the CSV is larger than the limit of ${fmtBytes(this.maxBytes)}${this.gzip ? ' (after decompression)' : ''}; ` +
          `split it, or raise maxBytes`,
        { limit: this.maxBytes },
      );
    }
    if (this.gzip && this.textBytes > RATIO_GRACE && this.textBytes > this.rawBytes * this.maxRatio) {
      throw new QuorumError(
        'PAYLOAD_TOO_LARGE',
        `the gzip data inflates more than ${this.maxRatio}× (${fmtBytes(this.textBytes)} from ${fmtBytes(this.rawBytes)}), as a decompression bomb does; ` +
          `upload the CSV uncompressed, or raise GZIP_MAX_RATIO`,
        { limit: this.maxBytes, maxRatio: this.maxRatio },
      );
    }
    return this.cut(buf);
  }

  private cut(buf: Buffer): Buffer {
    if (buf.length <= MAX_PIECE) {
      this.piece = null;
      return buf;
    }
    this.piece = buf.subarray(MAX_PIECE);
    return buf.subarray(0, MAX_PIECE);
  }

  /** Stops reading and destroys the underlying stream (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.piece = null;
    const its = [this.text, this.raw].filter((x): x is AsyncIterator<unknown> => x !== null);
    for (const it of its) {
      try {
        await it.return?.();
      } catch {
        // closing after an error: the first error is the one that matters
      }
    }
  }
}

const FILE_CHUNK = 256 * 1024;

/**
 * The bytes of a file as chunks, for `ingestFile`. Plain files are read into two buffers used in
 * turn, the next read running while the parser works on the current chunk: no fresh memory per
 * chunk (a page fault per 4 KiB is not free) and no waiting on the disk between chunks. A chunk
 * is overwritten two chunks later, which the parser allows (see the module comment). Gzip files
 * get a fresh buffer per chunk, because the decompressor may hold on to its input.
 */
export async function* readFileChunks(file: string): AsyncGenerator<Buffer> {
  const fh = await fs.open(file, 'r');
  let inFlight: Promise<{ bytesRead: number }> | undefined;
  try {
    const magic = Buffer.alloc(2);
    await fh.read(magic, 0, 2, 0);
    const gzip = magic[0] === 0x1f && magic[1] === 0x8b;
    const buffers = [Buffer.allocUnsafe(FILE_CHUNK), Buffer.allocUnsafe(FILE_CHUNK)];
    let position = 0;
    let which = 0;
    const readInto = (buf: Buffer): Promise<{ bytesRead: number }> => {
      const read = fh.read(buf, 0, buf.length, position);
      return read.then((r) => {
        position += r.bytesRead;
        return r;
      });
    };
    inFlight = readInto(buffers[0]);
    for (;;) {
      const { bytesRead } = await inFlight;
      inFlight = undefined;
      if (bytesRead === 0) return;
      const current = buffers[which];
      which ^= 1;
      if (gzip) buffers[which] = Buffer.allocUnsafe(FILE_CHUNK);
      inFlight = readInto(buffers[which]);
      yield current.subarray(0, bytesRead);
    }
  } finally {
    // let a read still running finish before the descriptor closes
    await inFlight?.catch(() => undefined);
    await fh.close();
  }
}

