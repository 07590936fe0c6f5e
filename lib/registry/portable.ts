/**
 * One version as one portable file: the artifact container with the version metadata as header and
 * each member artifact (and the validation rows) as byte arrays. Importing checks the checksum,
 * the format version, and that every member decodes and loads as its kind — a damaged file is
 * refused before anything is registered.
 */
import { QuorumError } from '../errors';
import { decodeArtifact, encodeArtifact, expectArtifact } from '../core/container';
import { Ensemble, loadModel, type LoadedMember } from '../inference/ensemble';
import { checkLoadedMember, checkVersionMeta, syntheticRow } from './import-check';
import type { ImportCheck, VersionMeta } from './version';
import { createHash } from 'node:crypto';
import { RowEncoder } from '../data/encode';
import { decodeRowShard, type RowShard } from '../data/shard-codec';
import { evaluateVotes } from '../inference/evaluation';
import { inSlices } from '../inference/slices';
import { headline } from '../metrics';
import { memberWeight } from './completion';

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
    if (!expected.has(name))
      throw new QuorumError('BAD_ARTIFACT', `damaged export: array '${name}' is not a member of the version nor its validation rows`, {
        field: `arrays.${name}`,
      });
  }
  const members = new Map<string, Uint8Array>();
  for (const m of meta.members) {
    const bytes = artifact.arrays[`member:${m.id}`];
    if (!(bytes instanceof Uint8Array))
      throw new QuorumError('BAD_ARTIFACT', `damaged export: member '${m.id}' has no artifact`, { field: `arrays.member:${m.id}` });
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
 * Loads every member as inference will, checks it against the metadata, predicts one synthetic
 * row, then recomputes the evaluation the file claims from its own validation rows: the report,
 * every member's metrics and voting weight are the registry's numbers, never the file's (or are
 * dropped when the file has no validation rows). Nothing is kept loaded. Throws BAD_ARTIFACT
 * naming the field. Returns the metadata to register.
 */
export async function examineExport(
  decoded: DecodedExport,
  options: { tfBackend?: string; verified: boolean },
): Promise<{ meta: VersionMeta; metrics: ImportCheck['metrics'] }> {
  const { meta } = decoded;
  checkMembersAgainstArtifacts(meta, decoded.members);
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
    const ensemble = new Ensemble(meta, loaded);
    try {
      const { x } = ensemble.encodeRows([syntheticRow(meta.encoder)]);
      const votes = ensemble.votes(x, 'all');
      const out = ensemble.combine(
        votes.filter((v) => !v.member.baseline),
        1,
        meta.voting,
      );
      if (!out.every(Number.isFinite)) throw new Error('the probe prediction is not finite');
    } catch (err) {
      throw new QuorumError('BAD_ARTIFACT', `export refused: a probe prediction on a synthetic row failed (${(err as Error).message})`, { field: 'probe' });
    }
    // Provenance a file cannot prove (which node fitted a member, how long it took) is kept only from a verified file.
    const members = meta.members.map((m) => {
      const { metrics: _metrics, weight: _weight, ...rest } = m;
      return options.verified ? rest : { ...rest, node: undefined, fitMs: undefined };
    });
    const bare: VersionMeta = { ...meta, members, report: undefined, metrics: undefined };
    if (!decoded.validation || !meta.validation) return { meta: { ...bare, validation: undefined }, metrics: 'dropped' };
    const shard = checkValidationRows(decoded.validation, meta);
    const votes = await inSlices(shard.x, (part) => ensemble.votes(part, 'all'));
    const evaluation = evaluateVotes(ensemble, shard.y, votes, meta.voting);
    const byId = new Map(evaluation.members.map((e) => [e.id, e]));
    return {
      meta: {
        ...bare,
        report: evaluation.report,
        metrics: headline(evaluation.report),
        members: members.map((m) => {
          const e = byId.get(m.id)!;
          return { ...m, metrics: e.metrics, weight: memberWeight(meta.task, e.score) };
        }),
      },
      metrics: 'recomputed',
    };
  } finally {
    loaded.forEach((m) => m.model.dispose());
  }
}

/** Largest summary (JSON) a member of an import may carry, and the longest learning curve. */
export const MAX_SUMMARY_BYTES = 1024 * 1024;
export const MAX_CURVE_POINTS = 100_000;

/**
 * What the metadata says about its members, held against the artifacts: no artifact twice, a
 * mode its voters can have, every class predicted by some voter, summaries and curves bounded.
 */
function checkMembersAgainstArtifacts(meta: VersionMeta, artifacts: Map<string, Uint8Array>): void {
  const seen = new Map<string, string>();
  for (const m of meta.members) {
    const digest = createHash('sha256').update(artifacts.get(m.id)!).digest('hex');
    const twin = seen.get(digest);
    if (twin)
      throw new QuorumError('BAD_ARTIFACT', `export refused: member '${m.id}' is the same model as member '${twin}' (one artifact counted twice)`, {
        field: `version.members.${m.id}`,
      });
    seen.set(digest, m.id);
    const summary = m.summary === undefined ? 0 : Buffer.byteLength(JSON.stringify(m.summary));
    if (summary > MAX_SUMMARY_BYTES)
      throw new QuorumError(
        'BAD_ARTIFACT',
        `export refused: member '${m.id}' carries a ${(summary / 1048576).toFixed(1)} MB summary; a member's summary holds at most ${MAX_SUMMARY_BYTES / 1048576} MB`,
        { field: `version.members.${m.id}.summary` },
      );
    if (m.curve !== undefined && (!Array.isArray(m.curve) || m.curve.length > MAX_CURVE_POINTS))
      throw new QuorumError('BAD_ARTIFACT', `export refused: member '${m.id}' has a learning curve of more than ${MAX_CURVE_POINTS} points`, {
        field: `version.members.${m.id}.curve`,
      });
  }
  const voters = meta.members.filter((m) => !m.baseline);
  const mode = meta.mode;
  const one = (kinds: string[]) => voters.length === 1 && kinds.includes(voters[0].kind);
  const fits =
    mode === 'data-parallel'
      ? one(['forest', 'gbm'])
      : mode === 'average'
        ? one(['mlp', 'linear'])
        : mode === 'local'
          ? voters.every((m) => m.local)
          : voters.every((m) => !m.local);
  if (!fits)
    throw new QuorumError(
      'BAD_ARTIFACT',
      `export refused: version.mode '${mode}' does not fit its voting members (${voters.map((m) => `${m.kind}${m.local ? ' (local)' : ''}`).join(', ')})`,
      { field: 'version.mode' },
    );
  if (meta.task === 'classification') {
    const predicted = new Set(voters.flatMap((m) => m.classes ?? meta.classes ?? []));
    const orphan = meta.classes!.find((c) => !predicted.has(c));
    if (orphan !== undefined)
      throw new QuorumError('BAD_ARTIFACT', `export refused: class ${JSON.stringify(orphan.slice(0, 80))} of version.classes is predicted by no member`, {
        field: 'version.classes',
      });
  }
}

/** The file's validation rows, decoded and held against the metadata (shape, count, targets). */
function checkValidationRows(bytes: Uint8Array, meta: VersionMeta): RowShard {
  let shard: RowShard;
  try {
    shard = decodeRowShard(bytes);
  } catch (err) {
    throw new QuorumError('BAD_ARTIFACT', `export refused: the validation rows are damaged (${(err as Error).message})`, { field: 'arrays.validation' });
  }
  const width = new RowEncoder(meta.encoder).width;
  const bad = (why: string) => new QuorumError('BAD_ARTIFACT', `export refused: the validation rows ${why}`, { field: 'arrays.validation' });
  if (shard.x.cols !== width) throw bad(`have ${shard.x.cols} features; the encoder makes ${width}`);
  if (shard.x.rows !== meta.validation!.rows || shard.x.rows < 1) throw bad(`hold ${shard.x.rows} rows; version.validation says ${meta.validation!.rows}`);
  const classes = meta.classes?.length ?? 0;
  for (let i = 0; i < shard.y.length; i++) {
    const y = shard.y[i];
    const ok = meta.task === 'classification' ? Number.isInteger(y) && y >= 0 && y < classes : Number.isFinite(y);
    if (!ok) throw bad(`have target ${y} at row ${i}, which is not ${meta.task === 'classification' ? `a class index below ${classes}` : 'a finite number'}`);
  }
  return shard;
}
