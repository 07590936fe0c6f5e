/**
 * An imported version checked the way inference will use it, before anything is registered: known
 * keys only, the task, classes and voting rule agree, the members exist with known kinds, the
 * encoder is one this Quorum reads and its feature count matches, and every member — loaded — agrees
 * with the metadata and predicts a synthetic row. Every failure is a BAD_ARTIFACT naming the field.
 */
import { featureInfo, RowEncoder, type EncoderSpec } from '../data/encode';
import { resolveVoting } from '../ensemble';
import { QuorumError } from '../errors';
import { PROTOTYPE_KEYS } from '../core/container';
import { modelKindNames } from '../models/kinds';
import type { TrainedModel } from '../models/model';
import type { MemberMeta, VersionMeta } from './version';

const VERSION_KEYS = new Set([
  'id',
  'name',
  'status',
  'job',
  'createdAt',
  'completedAt',
  'dataset',
  'target',
  'task',
  'classes',
  'mode',
  'voting',
  'encoder',
  'features',
  'dense',
  'members',
  'validation',
  'metrics',
  'report',
  'importedFrom',
  'localSplit',
  'crossNode',
  'derivedFrom',
  'unverified',
  'imported',
]);
const MEMBER_KEYS = new Set([
  'id',
  'kind',
  'params',
  'input',
  'shard',
  'rows',
  'node',
  'fitMs',
  'classes',
  'artifact',
  'summary',
  'curve',
  'metrics',
  'weight',
  'baseline',
  'local',
  'dense',
]);
const COLUMN_KEYS: Record<string, Set<string>> = {
  numeric: new Set(['name', 'type']),
  boolean: new Set(['name', 'type', 'labels']),
  datetime: new Set(['name', 'type', 'parts']),
  categorical: new Set(['name', 'type', 'categories']),
};
const DATE_PARTS = new Set(['year', 'month', 'day', 'weekday', 'hour', 'minute']);
export const ENCODER_VERSION = 1;
/** Largest count accepted in a metadata integer field (rows, shard…): int32. */
const MAX_INT = 2 ** 31 - 1;

function bad(field: string, why: string, value?: unknown): QuorumError {
  const shown = value === undefined ? '' : ` (found ${JSON.stringify(value)?.slice(0, 80)})`;
  return new QuorumError('BAD_ARTIFACT', `export refused: ${field} ${why}${shown}; export it again from its registry`, { field });
}

/** Throws when any object key at any depth is a prototype key. */
export function checkNoPrototypeKeys(value: unknown, field: string, depth = 0): void {
  if (depth > 64) throw bad(field, 'is nested too deeply');
  if (value === null || typeof value !== 'object') return;
  for (const key of Object.keys(value)) {
    if (PROTOTYPE_KEYS.has(key)) throw bad(`${field}.${key}`, 'is a prototype key');
    checkNoPrototypeKeys((value as Record<string, unknown>)[key], `${field}.${key}`, depth + 1);
  }
}

function knownKeys(value: Record<string, unknown>, keys: Set<string>, field: string): void {
  for (const key of Object.keys(value)) if (!keys.has(key)) throw bad(`${field}.${key}`, 'is not a known key');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function count(v: unknown, field: string, min = 0): void {
  if (v !== undefined && !(Number.isInteger(v) && (v as number) >= min && (v as number) <= MAX_INT))
    throw bad(field, `must be an integer in [${min}, ${MAX_INT}]`, v);
}

function stringList(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw bad(field, 'must be a list of strings', v);
  if (new Set(v).size !== v.length) throw bad(field, 'lists a value twice', v);
  return v as string[];
}

function checkEncoder(encoder: unknown): EncoderSpec {
  if (!isObject(encoder)) throw bad('version.encoder', 'is missing');
  knownKeys(encoder, new Set(['version', 'columns', 'missing']), 'version.encoder');
  if (encoder.version !== ENCODER_VERSION) throw bad('version.encoder.version', `must be ${ENCODER_VERSION} (an encoder this Quorum reads)`, encoder.version);
  if (!Array.isArray(encoder.columns)) throw bad('version.encoder.columns', 'must be a list');
  stringList(encoder.missing, 'version.encoder.missing');
  encoder.columns.forEach((c: unknown, i: number) => {
    const field = `version.encoder.columns[${i}]`;
    if (!isObject(c) || typeof c.name !== 'string') throw bad(field, 'must be an object with a name');
    const keys = COLUMN_KEYS[c.type as string];
    if (!keys || !Object.prototype.hasOwnProperty.call(COLUMN_KEYS, c.type as string))
      throw bad(`${field}.type`, `must be one of ${Object.keys(COLUMN_KEYS).join(', ')}`, c.type);
    knownKeys(c, keys, field);
    if (c.type === 'categorical') stringList(c.categories, `${field}.categories`);
    if (c.type === 'datetime' && !stringList(c.parts, `${field}.parts`).every((p) => DATE_PARTS.has(p)))
      throw bad(`${field}.parts`, 'names an unknown date part', c.parts);
    if (c.type === 'boolean' && c.labels !== undefined && stringList(c.labels, `${field}.labels`).length !== 2)
      throw bad(`${field}.labels`, 'must be two labels', c.labels);
  });
  stringList(
    encoder.columns.map((c: { name: string }) => c.name),
    'version.encoder.columns[].name',
  );
  return encoder as unknown as EncoderSpec;
}

function checkMember(m: unknown, i: number, meta: VersionMeta, kinds: Set<string>): MemberMeta {
  const field = `version.members[${i}]`;
  if (!isObject(m)) throw bad(field, 'must be an object');
  knownKeys(m, MEMBER_KEYS, field);
  if (typeof m.id !== 'string' || !/^[\w.:-]{1,128}$/.test(m.id)) throw bad(`${field}.id`, 'must be a short identifier', m.id);
  if (typeof m.kind !== 'string' || !kinds.has(m.kind)) throw bad(`${field}.kind`, `must be a known model kind (${[...kinds].join(', ')})`, m.kind);
  if (m.input !== 'native' && m.input !== 'dense') throw bad(`${field}.input`, "must be 'native' or 'dense'", m.input);
  if (m.input === 'dense' && !m.dense && !meta.dense) throw bad(`${field}.input`, "is 'dense' but the version has no dense transform");
  count(m.shard, `${field}.shard`);
  count(m.rows, `${field}.rows`);
  if (m.weight !== undefined && !(typeof m.weight === 'number' && Number.isFinite(m.weight) && m.weight >= 0))
    throw bad(`${field}.weight`, 'must be a finite number ≥ 0', m.weight);
  if (m.classes !== undefined) {
    const classes = stringList(m.classes, `${field}.classes`);
    if (meta.task !== 'classification') throw bad(`${field}.classes`, 'is set on a regression version');
    const own = new Set(meta.classes);
    const stray = classes.find((c) => !own.has(c));
    if (stray !== undefined) throw bad(`${field}.classes`, `names class '${stray}', which is not in version.classes`, m.classes);
  }
  return m as unknown as MemberMeta;
}

/** Checks the version metadata of an export (before its members are loaded). */
export function checkVersionMeta(raw: unknown): VersionMeta {
  if (!isObject(raw)) throw bad('version', 'is missing');
  checkNoPrototypeKeys(raw, 'version');
  knownKeys(raw, VERSION_KEYS, 'version');
  const meta = raw as unknown as VersionMeta;
  if (typeof meta.name !== 'string' || meta.name.length === 0 || meta.name.length > 200) throw bad('version.name', 'must be a non-empty string', meta.name);
  if (typeof meta.id !== 'string') throw bad('version.id', 'must be a string', meta.id);
  if (typeof meta.target !== 'string') throw bad('version.target', 'must be a string', meta.target);
  if (meta.task !== 'classification' && meta.task !== 'regression') throw bad('version.task', "must be 'classification' or 'regression'", meta.task);
  if (!['ensemble', 'average', 'local', 'data-parallel'].includes(meta.mode))
    throw bad('version.mode', "must be 'ensemble', 'average', 'local' or 'data-parallel'", meta.mode);
  if (meta.task === 'classification') {
    if (stringList(meta.classes, 'version.classes').length < 1) throw bad('version.classes', 'is empty for a classifier');
  } else if (meta.classes !== undefined) throw bad('version.classes', 'is set on a regression version');
  if (typeof meta.voting !== 'string') throw bad('version.voting', 'must be a string', meta.voting);
  if (meta.unverified !== undefined && typeof meta.unverified !== 'boolean') throw bad('version.unverified', 'must be true or false', meta.unverified);
  try {
    resolveVoting(meta.voting, meta.task);
  } catch (err) {
    throw bad('version.voting', `is not a voting rule for ${meta.task}: ${(err as Error).message}`, meta.voting);
  }
  if (!isObject(meta.dataset)) throw bad('version.dataset', 'is missing');
  count(meta.dataset.rows, 'version.dataset.rows');
  const encoder = checkEncoder(meta.encoder);
  const width = featureInfo(encoder).length;
  if (!Array.isArray(meta.features) || meta.features.length !== width) {
    throw bad('version.features', `must list the ${width} features the encoder produces`, Array.isArray(meta.features) ? meta.features.length : meta.features);
  }
  if (!Array.isArray(meta.members) || meta.members.length === 0) throw bad('version.members', 'is empty: a version needs at least one member');
  const kinds = new Set(modelKindNames());
  const members = meta.members.map((m, i) => checkMember(m, i, meta, kinds));
  stringList(
    members.map((m) => m.id),
    'version.members[].id',
  );
  if (!members.some((m) => !m.baseline)) throw bad('version.members', 'has no member that votes (all are baselines)');
  return meta;
}

/** A row with a plausible value for every encoder column. */
export function syntheticRow(encoder: EncoderSpec): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const c of encoder.columns) {
    if (c.type === 'numeric') row[c.name] = 0;
    else if (c.type === 'boolean') row[c.name] = c.labels ? c.labels[0] : false;
    else if (c.type === 'datetime') row[c.name] = '2020-01-01T00:00:00Z';
    else row[c.name] = c.categories[0] ?? null;
  }
  return row;
}

/** Checks each loaded member against its metadata (task, classes, feature count). */
export function checkLoadedMember(meta: VersionMeta, i: number, model: TrainedModel): void {
  const m = meta.members[i];
  const field = `version.members[${i}]`;
  if (model.kind !== m.kind) throw bad(`${field}.kind`, `says '${m.kind}' but the artifact holds a '${model.kind}'`);
  if (model.task !== meta.task) throw bad(`${field}`, `is a ${model.task} model in a ${meta.task} version`);
  const classes = m.classes?.length ?? meta.classes?.length ?? 0;
  if (meta.task === 'classification' && model.nClasses !== classes)
    throw bad(`${field}.classes`, `lists ${classes} classes, the model predicts ${model.nClasses}`);
  const width = new RowEncoder(meta.encoder).width;
  if (m.input === 'native' && model.nFeatures !== width) throw bad(`${field}`, `reads ${model.nFeatures} features, the encoder makes ${width}`);
}
