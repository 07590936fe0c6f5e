/**
 * Choosing the target column: classification or regression, class labels, the numeric target
 * vector, and which rows have no target (they are dropped and counted).
 */
import { QuorumError } from '../errors';
import type { Task } from '../core/types';
import type { Column, ColumnProfile, Table } from './table';

export interface TargetInfo {
  name: string;
  task: Task;
  /** Class labels in the order of the class indices used in `y` (classification only). */
  classes?: string[];
  /** Class index (classification) or value (regression) per table row; NaN where missing. */
  y: Float32Array;
  /** Rows whose target is present, ascending. */
  rows: Int32Array;
  /** Rows dropped because the target is missing. */
  dropped: number;
  /** Rows per class (classification), in class order. */
  balance?: { label: string; count: number }[];
}

/** A numeric target with at most this many distinct integer values is read as classes. */
const MAX_INTEGER_CLASSES = 20;
/** More classes than this is almost surely a wrong target choice. */
export const MAX_CLASSES = 1000;

const collator = new Intl.Collator('en', { numeric: true });

function numericLabels(values: Float64Array): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isNaN(v)) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return counts;
}

function inferTask(column: Column): Task {
  if (column.type === 'categorical' || column.type === 'boolean') return 'classification';
  if (column.type === 'datetime') return 'regression';
  const counts = numericLabels(column.values);
  let present = 0;
  for (const n of counts.values()) present += n;
  // Few distinct integers, each seen on average at least twice: classes (0/1, ratings, codes).
  if (counts.size > MAX_INTEGER_CLASSES || counts.size * 2 > present) return 'regression';
  for (const v of counts.keys()) if (!Number.isInteger(v)) return 'regression';
  return 'classification';
}

function labelOf(column: Column, value: number): string {
  if (column.type === 'boolean') {
    const labels = (column as { labels?: [string, string] }).labels;
    return labels ? labels[value ? 1 : 0] : value ? 'true' : 'false';
  }
  return String(value);
}

/**
 * Resolves `name` into a target. `task` overrides the inference (a numeric 0/1 column can be a
 * regression target; an integer rating can be classes).
 */
export function resolveTarget(table: Table, profile: ColumnProfile[] | undefined, name: string, task?: Task): TargetInfo {
  const column = table.columns.find((c) => c.name === name);
  if (!column) {
    const names = table.columns.map((c) => c.name);
    throw new QuorumError('UNKNOWN_COLUMN', `unknown target column '${name}': the dataset has ${names.map((n) => `'${n}'`).join(', ')}`, {
      column: name,
      columns: names,
    });
  }
  const resolvedTask = task ?? inferTask(column);
  const n = table.nRows;
  const y = new Float32Array(n).fill(NaN);
  let classes: string[] | undefined;

  if (resolvedTask === 'regression') {
    if (column.type === 'categorical') {
      throw new QuorumError('TARGET_NOT_NUMERIC', `target '${name}' holds text, so it cannot be a regression target: use task 'classification'`, { column: name });
    }
    for (let r = 0; r < n; r++) y[r] = column.values[r];
  } else if (column.type === 'categorical') {
    const present = new Set<number>();
    for (let r = 0; r < n; r++) if (column.codes[r] >= 0) present.add(column.codes[r]);
    const sorted = [...present].sort((a, b) => collator.compare(column.categories[a], column.categories[b]));
    const index = new Map(sorted.map((code, i) => [code, i]));
    classes = sorted.map((code) => column.categories[code]);
    for (let r = 0; r < n; r++) if (column.codes[r] >= 0) y[r] = index.get(column.codes[r])!;
  } else {
    const values = [...numericLabels(column.values).keys()].sort((a, b) => a - b);
    const index = new Map(values.map((v, i) => [v, i]));
    classes = values.map((v) => labelOf(column, v));
    for (let r = 0; r < n; r++) {
      const v = column.values[r];
      if (!Number.isNaN(v)) y[r] = index.get(v)!;
    }
  }

  const rowList: number[] = [];
  for (let r = 0; r < n; r++) if (!Number.isNaN(y[r])) rowList.push(r);
  if (rowList.length === 0) {
    throw new QuorumError('TARGET_ALL_MISSING', `target '${name}' is missing on every row: choose another column`, { column: name });
  }
  const info: TargetInfo = { name, task: resolvedTask, classes, y, rows: Int32Array.from(rowList), dropped: n - rowList.length };

  if (classes) {
    if (classes.length < 2) {
      throw new QuorumError(
        'TARGET_ONE_CLASS',
        `target '${name}' has a single class ('${classes[0]}'): a classifier needs at least two; choose another target or add rows of other classes`,
        { column: name, classes },
      );
    }
    const role = profile?.find((p) => p.name === name)?.role;
    if (classes.length > MAX_CLASSES || (role === 'identifier' && column.type === 'categorical')) {
      throw new QuorumError(
        'BAD_REQUEST',
        `target '${name}' has ${classes.length} distinct values (${role === 'identifier' ? 'one per row, like an identifier' : `over ${MAX_CLASSES}`}): choose another target, or task 'regression' for a numeric column`,
        { column: name, classes: classes.length },
      );
    }
    const counts = new Array<number>(classes.length).fill(0);
    for (const r of rowList) counts[y[r]]++;
    info.balance = classes.map((label, i) => ({ label, count: counts[i] }));
  }
  return info;
}
