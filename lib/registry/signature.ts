/**
 * Tamper-evident exports. An export file is the artifact container followed by a 48-byte trailer:
 *
 * ```
 *  0  4 bytes   magic "QSIG"
 *  4  u16       signature version (1)
 *  6  u16       reserved (0)
 *  8  8 bytes   key id: the first 8 bytes of SHA-256("quorum-export-key:" + key)
 * 16  32 bytes  HMAC-SHA256(key, every byte before the trailer)
 * ```
 *
 * The container's own SHA-256 only shows damage: whoever edits a file can recompute it. The HMAC
 * needs the cluster's secret (`EXPORT_KEY`, or one generated into the state folder), so an edited
 * file no longer verifies. A registry trusts its own key and the keys of `EXPORT_TRUSTED_KEYS`
 * (other clusters it takes models from). Keys are compared by id, MACs in constant time.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

const MAGIC = 'QSIG';
const SIGNATURE_VERSION = 1;
export const TRAILER_BYTES = 48;
/** Shortest export key accepted (as for API keys). */
export const MIN_EXPORT_KEY_LENGTH = 16;

export interface ExportKey {
  /** Hex of the key id (8 bytes): names the key in answers and logs without revealing it. */
  id: string;
  secret: Buffer;
}

export function exportKey(secret: string): ExportKey {
  const bytes = Buffer.from(secret, 'utf8');
  return { id: createHash('sha256').update('quorum-export-key:').update(bytes).digest().subarray(0, 8).toString('hex'), secret: bytes };
}

/** The container followed by its trailer, signed with `key`. */
export function signExport(container: Uint8Array, key: ExportKey): Buffer {
  const trailer = Buffer.alloc(TRAILER_BYTES);
  trailer.write(MAGIC, 0, 'latin1');
  trailer.writeUInt16LE(SIGNATURE_VERSION, 4);
  Buffer.from(key.id, 'hex').copy(trailer, 8);
  createHmac('sha256', key.secret).update(container).digest().copy(trailer, 16);
  return Buffer.concat([container, trailer]);
}

export type SignatureCheck =
  { status: 'verified'; keyId: string } | { status: 'unsigned' } | { status: 'unknown-key'; keyId: string } | { status: 'altered'; keyId: string };

/** Splits a file into its container and trailer, and checks the trailer against the known keys. */
export function checkSignature(file: Uint8Array, known: readonly ExportKey[]): { container: Uint8Array; signature: SignatureCheck } {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (buf.length < TRAILER_BYTES || buf.toString('latin1', buf.length - TRAILER_BYTES, buf.length - TRAILER_BYTES + 4) !== MAGIC) {
    return { container: file, signature: { status: 'unsigned' } };
  }
  const trailer = buf.subarray(buf.length - TRAILER_BYTES);
  const container = file.subarray(0, file.byteLength - TRAILER_BYTES);
  const keyId = trailer.subarray(8, 16).toString('hex');
  if (trailer.readUInt16LE(4) !== SIGNATURE_VERSION) return { container, signature: { status: 'unknown-key', keyId } };
  const key = known.find((k) => k.id === keyId);
  if (!key) return { container, signature: { status: 'unknown-key', keyId } };
  const mac = createHmac('sha256', key.secret).update(container).digest();
  return { container, signature: timingSafeEqual(mac, trailer.subarray(16, 48)) ? { status: 'verified', keyId } : { status: 'altered', keyId } };
}

/**
 * This registry's signing key: `configured` (EXPORT_KEY) when set, else the key kept in
 * `folder/export-key`, generated (32 random bytes, hex, mode 0600) the first time.
 */
export async function loadExportKey(folder: string, configured: string | null): Promise<{ key: ExportKey; generated: boolean; file?: string }> {
  if (configured) return { key: exportKey(configured), generated: false };
  const file = path.join(folder, 'export-key');
  await fs.mkdir(folder, { recursive: true });
  try {
    await fs.writeFile(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
    return { key: exportKey((await fs.readFile(file, 'utf8')).trim()), generated: true, file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const text = (await fs.readFile(file, 'utf8')).trim();
  if (text.length < MIN_EXPORT_KEY_LENGTH)
    throw new Error(
      `the export key in ${file} is shorter than ${MIN_EXPORT_KEY_LENGTH} characters: delete the file to have a new one generated, or set EXPORT_KEY`,
    );
  return { key: exportKey(text), generated: false, file };
}
