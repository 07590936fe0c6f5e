/**
 * One version as one portable file: the artifact container with the version metadata as header and
 * each member artifact (and the validation rows) as byte arrays. Importing checks the checksum,
 * the format version, and that every member decodes and loads as its kind — a damaged file is
 * refused before anything is registered.
 */
import { QuorumError } from '../errors';
import { decodeArtifact, encodeArtifact, expectArtifact } from '../models/format';
import { resolveModelKind } from '../models/kinds';
import type { VersionMeta } from './version';

export const EXPORT_KIND = 'quorum-version';
export const EXPORT_FORMAT_VERSION = 1;

export function encodeExport(meta: VersionMeta, members: Map<string, Uint8Array>, validation?: Uint8Array): Buffer {
  const arrays: Record<string, Uint8Array> = {};
  for (const [id, bytes] of members) arrays[`member:${id}`] = bytes;
  if (validation) arrays.validation = validation;
  return encodeArtifact({ kind: EXPORT_KIND, formatVersion: EXPORT_FORMAT_VERSION, header: { version: meta, exportedAt: new Date().toISOString() }, arrays });
}

export interface DecodedExport {
  meta: VersionMeta;
  members: Map<string, Uint8Array>;
  validation?: Uint8Array;
}

export function decodeExport(bytes: Uint8Array): DecodedExport {
  const artifact = decodeArtifact(bytes);
  expectArtifact(artifact, EXPORT_KIND, EXPORT_FORMAT_VERSION);
  const meta = (artifact.header as { version?: VersionMeta }).version;
  if (!meta || typeof meta !== 'object' || !Array.isArray(meta.members) || typeof meta.name !== 'string' || !meta.encoder) {
    throw new QuorumError('BAD_ARTIFACT', 'damaged export: the version metadata is incomplete');
  }
  const members = new Map<string, Uint8Array>();
  for (const m of meta.members) {
    const bytes = artifact.arrays[`member:${m.id}`];
    if (!(bytes instanceof Uint8Array)) throw new QuorumError('BAD_ARTIFACT', `damaged export: member '${m.id}' has no artifact`);
    const inner = decodeArtifact(bytes);
    if (inner.kind !== m.kind) throw new QuorumError('BAD_ARTIFACT', `damaged export: member '${m.id}' claims kind '${m.kind}' but holds a '${inner.kind}'`);
    resolveModelKind(inner.kind).load(inner).dispose();
    members.set(m.id, bytes);
  }
  const validation = artifact.arrays.validation;
  return { meta, members, validation: validation instanceof Uint8Array ? validation : undefined };
}
