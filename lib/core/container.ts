/**
 * Quorum's portable container for models (and for anything else made of a JSON header plus
 * numeric arrays: exported versions, shards). Models are data, never code: loading parses JSON and
 * copies typed arrays, after checking every length, offset and the SHA-256 of the content.
 *
 * Layout (little-endian):
 * ```
 *  0  4 bytes   magic "QRMA"
 *  4  u16       container version (CONTAINER_VERSION)
 *  6  u16       reserved (0)
 *  8  u32       header length H (bytes of UTF-8 JSON)
 * 12  u32       reserved (0)
 * 16  f64       body length B
 * 24  32 bytes  SHA-256 of header JSON + body
 * 56  H bytes   header JSON: { kind, formatVersion, header, arrays: [{name, dtype, offset, length}] }
 *     padding to a multiple of 8
 *     B bytes   body: the arrays, each starting at a multiple of 8
 * ```
 */
import { PROTOTYPE_KEYS } from '../util/json-guard';
import { createHash } from 'node:crypto';
import { QuorumError } from '../errors';

export const CONTAINER_VERSION = 1;
const MAGIC = 'QRMA';
const PREFIX = 56;
/** Header JSON larger than this is refused before parsing (a real header is a few KB). */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;

export type NumericArray = Float32Array | Float64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

const DTYPES = {
  f32: Float32Array,
  f64: Float64Array,
  i32: Int32Array,
  u32: Uint32Array,
  i16: Int16Array,
  u16: Uint16Array,
  i8: Int8Array,
  u8: Uint8Array,
} as const;
type DType = keyof typeof DTYPES;

export interface Artifact {
  /** Which model kind (or other producer) reads this artifact. */
  kind: string;
  /** The producer's own format version; its loader refuses newer versions. */
  formatVersion: number;
  /** Small JSON-serialisable description (parameters, shapes, labels…). */
  header: Record<string, unknown>;
  /** The bulk of the artifact. */
  arrays: Record<string, NumericArray>;
}

interface ArrayEntry {
  name: string;
  dtype: DType;
  offset: number;
  length: number;
}

/**
 * By the array's type name rather than `instanceof`: arrays that came from a worker thread belong
 * to another realm when the code runs in a sandbox (Jest's), and are no instances of this one's.
 */
function dtypeOf(a: NumericArray): DType {
  const type = ArrayBuffer.isView(a) ? a[Symbol.toStringTag] : undefined;
  for (const [name, ctor] of Object.entries(DTYPES)) if (type === ctor.name) return name as DType;
  throw new QuorumError('INTERNAL', `unsupported array type ${Object.prototype.toString.call(a)}`);
}

const align8 = (n: number): number => (n + 7) & ~7;
const ZEROS = Buffer.alloc(8);

interface Layout {
  headerJson: Buffer;
  entries: ArrayEntry[];
  bodyStart: number;
  bodyLength: number;
}

function layout(artifact: Artifact): Layout {
  const entries: ArrayEntry[] = [];
  let bodyLength = 0;
  for (const [name, array] of Object.entries(artifact.arrays)) {
    entries.push({ name, dtype: dtypeOf(array), offset: bodyLength, length: array.length });
    bodyLength = align8(bodyLength + array.byteLength);
  }
  const headerJson = Buffer.from(
    JSON.stringify({
      kind: artifact.kind,
      formatVersion: artifact.formatVersion,
      header: artifact.header,
      arrays: entries,
    }),
    'utf8',
  );
  return { headerJson, entries, bodyStart: align8(PREFIX + headerJson.length), bodyLength };
}

/** The fixed prefix and the header JSON, padded to the body; the hash is written later. */
function writePrefix(out: Buffer, { headerJson, bodyLength }: Layout): void {
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt16LE(CONTAINER_VERSION, 4);
  out.writeUInt32LE(headerJson.length, 8);
  out.writeDoubleLE(bodyLength, 16);
  headerJson.copy(out, PREFIX);
}

const bytesOf = (a: NumericArray): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Serialises an artifact into one self-checking buffer. */
export function encodeArtifact(artifact: Artifact): Buffer {
  const l = layout(artifact);
  const out = Buffer.alloc(l.bodyStart + l.bodyLength);
  writePrefix(out, l);
  for (const entry of l.entries) bytesOf(artifact.arrays[entry.name]).copy(out, l.bodyStart + entry.offset);
  const hash = createHash('sha256');
  hash.update(l.headerJson);
  hash.update(out.subarray(l.bodyStart));
  hash.digest().copy(out, 24);
  return out;
}

/**
 * The bytes of {@link encodeArtifact}, as a list of buffers to write one after the other: the
 * prefix with the header, then each array as a view of its own memory and its zero padding. Nothing
 * is copied, so writing a large artifact to a file costs no second copy of it in memory (and no
 * fresh pages, which are slow to fault in). The arrays must not change until the parts are written.
 */
export function encodeArtifactParts(artifact: Artifact): Buffer[] {
  const l = layout(artifact);
  const head = Buffer.alloc(l.bodyStart);
  writePrefix(head, l);
  const hash = createHash('sha256');
  hash.update(l.headerJson);
  const parts: Buffer[] = [head];
  for (const entry of l.entries) {
    const bytes = bytesOf(artifact.arrays[entry.name]);
    const pad = align8(bytes.length) - bytes.length;
    hash.update(bytes);
    parts.push(bytes);
    if (pad > 0) {
      hash.update(ZEROS.subarray(0, pad));
      parts.push(ZEROS.subarray(0, pad));
    }
  }
  hash.digest().copy(head, 24);
  return parts;
}

/** Keys that could reach an object's prototype when metadata is spread or merged. */
export { PROTOTYPE_KEYS };

/** JSON.parse reviver: refuses prototype keys anywhere in a header. */
function refusePrototypeKeys(this: unknown, key: string, value: unknown): unknown {
  if (PROTOTYPE_KEYS.has(key)) throw damaged(`the header holds a '${key}' key`);
  return value;
}

function damaged(reason: string): QuorumError {
  return new QuorumError('BAD_ARTIFACT', `damaged model artifact: ${reason}; export it again from its registry`);
}

/**
 * Parses and verifies a container. Arrays are copied out, so the result does not keep `bytes`
 * alive and every array is properly aligned.
 */
export function decodeArtifact(bytes: Uint8Array): Artifact {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < PREFIX) throw damaged(`${buf.length} bytes is shorter than the ${PREFIX}-byte prefix`);
  if (buf.toString('latin1', 0, 4) !== MAGIC) throw damaged('not a Quorum artifact (wrong magic bytes)');
  const version = buf.readUInt16LE(4);
  if (version > CONTAINER_VERSION) {
    throw new QuorumError(
      'UNSUPPORTED_FORMAT_VERSION',
      `artifact container version ${version} is newer than this Quorum reads (${CONTAINER_VERSION}); upgrade Quorum`,
    );
  }
  const headerLength = buf.readUInt32LE(8);
  const bodyLength = buf.readDoubleLE(16);
  if (headerLength > MAX_HEADER_BYTES || PREFIX + headerLength > buf.length) throw damaged('header length out of range');
  const bodyStart = align8(PREFIX + headerLength);
  if (!Number.isInteger(bodyLength) || bodyStart + bodyLength !== buf.length) {
    throw damaged(`expected ${bodyStart + bodyLength} bytes, got ${buf.length} (truncated or padded)`);
  }
  const headerJson = buf.subarray(PREFIX, PREFIX + headerLength);
  const hash = createHash('sha256');
  hash.update(headerJson);
  hash.update(buf.subarray(bodyStart));
  if (!hash.digest().equals(buf.subarray(24, 56))) throw damaged('checksum mismatch');

  let parsed: { kind?: unknown; formatVersion?: unknown; header?: unknown; arrays?: unknown };
  try {
    parsed = JSON.parse(headerJson.toString('utf8'), refusePrototypeKeys);
  } catch (err) {
    if (err instanceof QuorumError) throw err;
    throw damaged('header is not JSON');
  }
  if (typeof parsed.kind !== 'string' || !Number.isInteger(parsed.formatVersion)) throw damaged('header lacks kind or formatVersion');
  if (typeof parsed.header !== 'object' || parsed.header === null || !Array.isArray(parsed.arrays)) throw damaged('header lacks fields');

  // Every entry is checked before anything is allocated: names unique, regions inside the body and
  // disjoint, so the decoded arrays never add up to more than the file (an array table naming one
  // region a thousand times would otherwise multiply the file's size in memory).
  const entries: (ArrayEntry & { byteLength: number })[] = [];
  const names = new Set<string>();
  for (const raw of parsed.arrays as ArrayEntry[]) {
    const ctor = DTYPES[raw?.dtype];
    if (!ctor || typeof raw.name !== 'string' || !Number.isSafeInteger(raw.offset) || !Number.isSafeInteger(raw.length)) {
      throw damaged('bad array entry');
    }
    if (PROTOTYPE_KEYS.has(raw.name)) throw damaged(`an array is named '${raw.name}'`);
    if (names.has(raw.name)) throw damaged(`array '${raw.name}' is listed twice`);
    names.add(raw.name);
    if (raw.offset < 0 || raw.length < 0 || raw.offset % 8 !== 0) throw damaged(`array '${raw.name}' misplaced`);
    const byteLength = raw.length * ctor.BYTES_PER_ELEMENT;
    if (raw.offset + byteLength > bodyLength) throw damaged(`array '${raw.name}' runs past the end`);
    entries.push({ ...raw, byteLength });
  }
  const byOffset = [...entries].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1];
    if (byOffset[i].offset < prev.offset + prev.byteLength) throw damaged(`arrays '${prev.name}' and '${byOffset[i].name}' overlap`);
  }
  const arrays: Record<string, NumericArray> = {};
  for (const entry of entries) {
    const copy = new DTYPES[entry.dtype](entry.length);
    new Uint8Array(copy.buffer).set(buf.subarray(bodyStart + entry.offset, bodyStart + entry.offset + entry.byteLength));
    arrays[entry.name] = copy;
  }
  return {
    kind: parsed.kind,
    formatVersion: parsed.formatVersion as number,
    header: parsed.header as Record<string, unknown>,
    arrays,
  };
}

/**
 * Guard used by every loader: right kind, a format version it knows, and the arrays it needs with
 * the expected types.
 */
export function expectArtifact(artifact: Artifact, kind: string, maxFormatVersion: number, arrays: Record<string, DType> = {}): void {
  if (artifact.kind !== kind) throw damaged(`artifact is a '${artifact.kind}', not a '${kind}'`);
  if (artifact.formatVersion > maxFormatVersion) {
    throw new QuorumError(
      'UNSUPPORTED_FORMAT_VERSION',
      `'${kind}' artifact format ${artifact.formatVersion} is newer than this Quorum reads (${maxFormatVersion}); upgrade Quorum`,
    );
  }
  for (const [name, dtype] of Object.entries(arrays)) {
    const a = artifact.arrays[name];
    if (!a || !(a instanceof DTYPES[dtype])) throw damaged(`'${kind}' artifact lacks array '${name}' (${dtype})`);
  }
}
