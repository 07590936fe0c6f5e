/**
 * One version as one portable file: the artifact container with the version metadata as header and
 * each member artifact (and the validation rows) as byte arrays. Importing checks the checksum,
 * the format version, and that every member decodes and loads as its kind — a damaged file is
 * refused before anything is registered.
 */
import { QuorumError } from '../errors';
import { decodeArtifact, encodeArtifact, expectArtifact } from '../models/format';
import { Ensemble, loadModel, type LoadedMember } from '../inference/ensemble';
import { checkLoadedMember, checkVersionMeta, syntheticRow } from './import-check';
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

/** Non-QuorumErrors from decoding (RangeError of a huge size…) are damaged files too: 422, not 500. */
function asBadArtifact(err: unknown, what: string): Error {
  if (err instanceof QuorumError) return err;
  return new QuorumError('BAD_ARTIFACT', `damaged export: ${what} (${(err as Error).message})`, { field: what });
}

export function decodeExport(bytes: Uint8Array): DecodedExport {
  const artifact = decodeArtifact(bytes);
  expectArtifact(artifact, EXPORT_KIND, EXPORT_FORMAT_VERSION);
  const meta = checkVersionMeta((artifact.header as { version?: unknown }).version);
  const expected = new Set([...meta.members.map((m) => `member:${m.id}`), 'validation']);
  for (const name of Object.keys(artifact.arrays)) {
    if (!expected.has(name)) throw new QuorumError('BAD_ARTIFACT', `damaged export: array '${name}' is not a member of the version nor its validation rows`, { field: `arrays.${name}` });
  }
  const members = new Map<string, Uint8Array>();
  for (const m of meta.members) {
    const bytes = artifact.arrays[`member:${m.id}`];
    if (!(bytes instanceof Uint8Array)) throw new QuorumError('BAD_ARTIFACT', `damaged export: member '${m.id}' has no artifact`, { field: `arrays.member:${m.id}` });
    try {
      const inner = decodeArtifact(bytes);
      if (inner.kind !== m.kind) throw new QuorumError('BAD_ARTIFACT', `damaged export: member '${m.id}' claims kind '${m.kind}' but holds a '${inner.kind}'`);
    } catch (err) {
      throw asBadArtifact(err, `member '${m.id}'`);
    }
    members.set(m.id, bytes);
  }
  const validation = artifact.arrays.validation;
  return { meta, members, validation: validation instanceof Uint8Array ? validation : undefined };
}

/**
 * Loads every member as inference will, checks it against the metadata, and predicts one synthetic
 * row with the version's encoder and voting rule; nothing is kept. Throws BAD_ARTIFACT naming the field.
 */
export async function probeExport(decoded: DecodedExport, options: { tfBackend?: string } = {}): Promise<void> {
  const { meta } = decoded;
  const loaded: LoadedMember[] = [];
  try {
    for (const [i, m] of meta.members.entries()) {
      let model;
      try {
        model = await loadModel(decoded.members.get(m.id)!, options);
      } catch (err) {
        throw asBadArtifact(err, `member '${m.id}'`);
      }
      loaded.push({ meta: m, model });
      checkLoadedMember(meta, i, model);
    }
    try {
      const ensemble = new Ensemble(meta, loaded);
      const { x } = ensemble.encodeRows([syntheticRow(meta.encoder)]);
      const votes = ensemble.votes(x, 'all');
      const out = ensemble.combine(votes.filter((v) => !v.member.baseline), 1, meta.voting);
      if (!out.every(Number.isFinite)) throw new Error('the probe prediction is not finite');
    } catch (err) {
      throw new QuorumError('BAD_ARTIFACT', `export refused: a probe prediction on a synthetic row failed (${(err as Error).message})`, { field: 'probe' });
    }
  } finally {
    loaded.forEach((m) => m.model.dispose());
  }
}
