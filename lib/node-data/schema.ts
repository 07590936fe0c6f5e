/**
 * Node-local data: each trainer with TRAINER_DATA describes its own file (columns, types,
 * categories, and what it sees of the target); the coordinator merges the descriptions into one
 * encoder and one class list, so members trained on different nodes agree on features and labels
 * without any row leaving its node.
 */
import type { DatePart, EncoderSpec, FeatureColumnSpec } from '../data/encode';
import type { ColumnRole, LogicalType, Table, ColumnProfile } from '../data/table';
import { resolveTarget } from '../data/target';
import { QuorumError } from '../errors';
import type { Task } from '../models/model';
import { DEFAULT_MISSING } from '../data/values';

export interface LocalColumn {
  name: string;
  type: LogicalType;
  role: ColumnRole;
  categories?: string[];
  labels?: [string, string];
}

export interface LocalSchema {
  nodeID: string;
  /** The file's base name (never its path). */
  file: string;
  rows: number;
  columns: LocalColumn[];
  /** How this node reads the requested target. */
  target?: { task: Task; classes?: string[] };
}

/** Categories above this are not listed (the column still merges by type). */
const MAX_LISTED = 100_000;

/** What a node tells the coordinator about its own file (never a row). */
export function describeTable(nodeID: string, file: string, table: Table, profile: ColumnProfile[], target?: string, task?: Task): LocalSchema {
  const columns = table.columns.map((c): LocalColumn => {
    const role = profile.find((p) => p.name === c.name)?.role ?? 'feature';
    if (c.type === 'categorical') return { name: c.name, type: c.type, role, categories: c.categories.slice(0, MAX_LISTED) };
    const labels = (c as { labels?: [string, string] }).labels;
    return labels ? { name: c.name, type: c.type, role, labels } : { name: c.name, type: c.type, role };
  });
  const schema: LocalSchema = { nodeID, file, rows: table.nRows, columns };
  if (target) {
    const t = resolveTarget(table, profile, target, task);
    schema.target = { task: t.task, classes: t.classes };
  }
  return schema;
}

const collator = new Intl.Collator('en', { numeric: true });

export interface MergedSchema {
  encoder: EncoderSpec;
  task: Task;
  classes?: string[];
  warnings: string[];
}

/** One encoder and one class list for every node; columns that do not agree are left out and reported. */
export function mergeSchemas(schemas: LocalSchema[], target: string, options: { task?: Task; ignore?: string[] } = {}): MergedSchema {
  if (schemas.length === 0) throw new QuorumError('NO_TRAINERS', 'no trainer node has local data: start trainers with TRAINER_DATA=path/to/file.csv');
  const warnings: string[] = [];
  for (const s of schemas) {
    if (!s.columns.some((c) => c.name === target)) {
      throw new QuorumError('UNKNOWN_COLUMN', `node '${s.nodeID}' (${s.file}) has no column '${target}'`, { node: s.nodeID, column: target });
    }
  }
  const tasks = new Set(schemas.map((s) => s.target?.task).filter(Boolean));
  const task: Task = options.task ?? (tasks.has('classification') ? 'classification' : 'regression');
  let classes: string[] | undefined;
  if (task === 'classification') {
    const all = new Set<string>();
    for (const s of schemas) for (const c of s.target?.classes ?? []) all.add(c);
    classes = [...all].sort(collator.compare);
    if (classes.length < 2) throw new QuorumError('TARGET_ONE_CLASS', `target '${target}' has a single class across all nodes ('${classes[0] ?? ''}')`);
  }

  const ignore = new Set([target, ...(options.ignore ?? [])]);
  const columns: FeatureColumnSpec[] = [];
  for (const first of schemas[0].columns) {
    if (ignore.has(first.name)) continue;
    const same = schemas.map((s) => s.columns.find((c) => c.name === first.name));
    if (same.some((c) => !c)) {
      warnings.push(`column '${first.name}' is not on every node: left out`);
      continue;
    }
    if (same.some((c) => c!.role !== 'feature')) continue;
    const types = new Set(same.map((c) => c!.type));
    if (types.size > 1) {
      warnings.push(`column '${first.name}' is ${[...types].join(' on some nodes and ')} on others: left out (force one type with 'types' when ingesting)`);
      continue;
    }
    if (first.type === 'categorical') {
      const all = new Set<string>();
      for (const c of same) for (const v of c!.categories ?? []) all.add(v);
      columns.push({ name: first.name, type: 'categorical', categories: [...all].sort(collator.compare) });
    } else if (first.type === 'datetime') {
      columns.push({ name: first.name, type: 'datetime', parts: ['year', 'month', 'day', 'weekday'] as DatePart[] });
    } else if (first.type === 'boolean') {
      columns.push(first.labels ? { name: first.name, type: 'boolean', labels: first.labels } : { name: first.name, type: 'boolean' });
    } else {
      columns.push({ name: first.name, type: 'numeric' });
    }
  }
  if (columns.length === 0) throw new QuorumError('NO_FEATURES', `the nodes' files share no feature column besides '${target}'`);
  return { encoder: { version: 1, columns, missing: [...DEFAULT_MISSING] }, task, classes, warnings };
}
