/**
 * Float32 arrays on the wire: raw little-endian bytes (Moleculer's MessagePack serializer carries a
 * Buffer as binary), never JSON arrays of numbers (about 3× larger and slow to parse).
 */
import { QuorumError } from '../errors';

/** A view of `a`'s bytes (no copy). */
export function toWire(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Float32 values of `bytes`; copied when the bytes are not 4-byte aligned in their buffer. */
export function fromWire(bytes: Uint8Array): Float32Array {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength % 4 !== 0) {
    throw new QuorumError('BAD_REQUEST', `expected float32 bytes, got ${bytes instanceof Uint8Array ? `${bytes.byteLength} bytes` : typeof bytes}`);
  }
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}
